package reliability_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/callee"
	callerpkg "github.com/wampkit/wampkit/caller"
	"github.com/wampkit/wampkit/client"
	kit "github.com/wampkit/wampkit/client/wamptest"
)

// The scale tests run for scaleDuration: 6 s by default (CI, also under
// -race), 20 s with WAMPKIT_SCALE=1 (the figures RELIABILITY.md quotes).
// Every bound they assert is loose: the machine may be loaded.
const (
	scaleCallees     = 4
	scaleConcurrency = 64
	scaleEvery       = 2 * time.Second // one callee drained or killed this often
	scaleWork        = 5 * time.Millisecond
	scaleProcedure   = "com.example.scale.work"
	// scaleResumeBound is how long calls may stop being answered after an
	// event before the test fails.
	scaleResumeBound = 10 * time.Second
)

func scaleDuration() time.Duration {
	if os.Getenv("WAMPKIT_SCALE") == "1" {
		return 20 * time.Second
	}
	return 6 * time.Second
}

// failClass names the class of a failed call, by errors.Is against the
// client's sentinels.
func failClass(err error) string {
	for _, c := range []struct {
		name   string
		target error
	}{
		{"connection_lost", client.ErrConnectionLost},
		{"not_connected", client.ErrNotConnected},
		{"canceled", client.ErrCanceled},
		{"unavailable", client.ErrUnavailable},
		{"no_eligible_callee", client.ErrNoEligibleCallee},
		{"no_such_procedure", client.ErrNoSuchProcedure},
		{"timeout", context.DeadlineExceeded},
		{"closed", client.ErrClosed},
	} {
		if errors.Is(err, c.target) {
			return c.name
		}
	}
	return "other"
}

// scaleLoad is a caller keeping scaleConcurrency calls in flight and what it
// saw.
type scaleLoad struct {
	c       *client.Client
	started time.Time

	answered atomic.Int64
	lastOK   atomic.Int64 // unix ns of the last answer
	maxGap   atomic.Int64 // longest time without an answer, ns
	// firstOK is when the first call started after okAfter (unix ns) was
	// answered (0: none yet).
	okAfter, firstOK atomic.Int64

	mu       sync.Mutex
	failed   map[string]int
	failures []scaleFailure
	byCallee map[int]int64 // answers per callee id
}

type scaleFailure struct {
	start, end time.Time
	class      string
	err        error
}

func newScaleLoad(c *client.Client) *scaleLoad {
	l := &scaleLoad{c: c, started: time.Now(), failed: map[string]int{}, byCallee: map[int]int64{}}
	l.lastOK.Store(l.started.UnixNano())
	l.okAfter.Store(1 << 62)
	return l
}

// run calls until ctx ends, with scaleConcurrency workers; it returns when
// every worker has ended.
func (l *scaleLoad) run(ctx context.Context) {
	var wg sync.WaitGroup
	for range scaleConcurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				start := time.Now()
				// Each call gets its own bounded context, not ctx: ending
				// the load must not fail the calls in flight.
				cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				id, err := callerpkg.Call[int](cctx, l.c, scaleProcedure, 1)
				cancel()
				now := time.Now()
				if err == nil {
					l.answered.Add(1)
					if start.UnixNano() > l.okAfter.Load() {
						l.firstOK.CompareAndSwap(0, now.UnixNano())
					}
					prev := l.lastOK.Swap(now.UnixNano())
					for gap := now.UnixNano() - prev; ; {
						m := l.maxGap.Load()
						if gap <= m || l.maxGap.CompareAndSwap(m, gap) {
							break
						}
					}
					l.mu.Lock()
					l.byCallee[id]++
					l.mu.Unlock()
					continue
				}
				class := failClass(err)
				l.mu.Lock()
				l.failed[class]++
				l.failures = append(l.failures, scaleFailure{start: start, end: now, class: class, err: err})
				l.mu.Unlock()
				select { // a failing caller does not spin
				case <-time.After(10 * time.Millisecond):
				case <-ctx.Done():
				}
			}
		}()
	}
	wg.Wait()
}

func (l *scaleLoad) failedTotal() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.failures)
}

func (l *scaleLoad) classes() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.failed) == 0 {
		return "none"
	}
	var s []string
	for k, v := range l.failed {
		s = append(s, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(s)
	return strings.Join(s, " ")
}

// scaleCallee is one callee client of the shared registration.
type scaleCallee struct {
	id               int
	c                *client.Client
	started, running atomic.Int64
}

// startScaleCallee connects callee id in process (so the router can cut it)
// without reconnect (a killed callee stays dead, as a killed process does)
// and registers its share of the roundrobin registration.
func startScaleCallee(ctx context.Context, t *testing.T, r *kit.Router, id int) *scaleCallee {
	t.Helper()
	c, err := r.Dial(ctx, client.WithoutReconnect())
	require.NoError(t, err)
	sc := &scaleCallee{id: id, c: c}
	t.Cleanup(func() { closeBounded(c) })
	_, err = callee.Register(ctx, c, scaleProcedure, func(hctx context.Context, _ int) (int, error) {
		sc.started.Add(1)
		sc.running.Add(1)
		defer sc.running.Add(-1)
		select {
		case <-time.After(scaleWork):
		case <-hctx.Done():
			return 0, hctx.Err()
		}
		return sc.id, nil
	}, callee.Invoke(callee.RoundRobin))
	require.NoError(t, err)
	return sc
}

func closeBounded(c *client.Client) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = c.Close(ctx)
}

// Four callees of one shared roundrobin registration, a caller keeping 64
// calls in flight, and every two seconds the oldest callee leaves and a new
// one takes its place. With Drain (a rolling restart) no call fails. With a
// kill (the router cuts the callee's connection, as a dead process's would
// be) only the calls in flight on the killed callee fail, each with a class
// saying the callee is gone (the reference router, like nexus, answers
// wamp.error.canceled "callee gone"; Bondy answers no_eligible_callee), and
// the calls started after the kill are answered by the others.
func TestScaleRollingCallees(t *testing.T) {
	for _, mode := range []string{"drain", "kill"} {
		t.Run(mode, func(t *testing.T) {
			d := scaleDuration()
			r := kit.NewRouter(t)
			ctx := ctxFor(t, d+2*time.Minute)
			var callees []*scaleCallee
			for i := range scaleCallees {
				callees = append(callees, startScaleCallee(ctx, t, r, i))
			}
			cl, err := client.Connect(ctx, r.URL())
			require.NoError(t, err)
			t.Cleanup(func() { closeBounded(cl) })

			load := newScaleLoad(cl)
			lctx, stop := context.WithCancel(ctx)
			loaded := make(chan struct{})
			go func() { defer close(loaded); load.run(lctx) }()
			defer func() { stop(); <-loaded }()

			type event struct {
				at, done        time.Time // the event began and ended (the kill done, Drain returned)
				running         int64     // invocations running on the callee when it left
				failedBefore    int
				replacementTook time.Duration
			}
			var events []event
			next := scaleCallees
			tick := time.NewTicker(scaleEvery)
			end := time.After(d)
		loop:
			for {
				select {
				case <-tick.C:
				case <-end:
					break loop
				}
				old := callees[0]
				ev := event{at: time.Now(), failedBefore: load.failedTotal(), running: old.running.Load()}
				switch mode {
				case "drain": // a rolling restart: the new callee first, then Drain
					t0 := time.Now()
					callees = append(callees[1:], startScaleCallee(ctx, t, r, next))
					ev.replacementTook = time.Since(t0)
					ev.at = time.Now()
					ev.running = old.running.Load()
					dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
					require.NoError(t, old.c.Drain(dctx), "Drain")
					cancel()
					ev.done = time.Now()
				case "kill": // abrupt: cut, then a replacement
					require.NoError(t, r.DropClient(old.c))
					ev.done = time.Now()
					t0 := time.Now()
					callees = append(callees[1:], startScaleCallee(ctx, t, r, next))
					ev.replacementTook = time.Since(t0)
				}
				next++
				events = append(events, ev)
			}
			tick.Stop()
			// Calls keep being answered after the last event.
			after := load.answered.Load()
			deadline := time.Now().Add(scaleResumeBound)
			for load.answered.Load() < after+scaleConcurrency && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			stop()
			<-loaded
			elapsed := time.Since(load.started)

			require.NotEmpty(t, events)
			answered := load.answered.Load()
			failed := load.failedTotal()
			assert.GreaterOrEqual(t, answered, after+scaleConcurrency, "calls are answered after the last event")
			assert.Less(t, time.Duration(load.maxGap.Load()), scaleResumeBound, "calls stopped being answered for too long")

			// Recovery after each event: until its last failure, and until
			// the calls started after it are answered (no failure starts
			// after the event's last failure).
			var recover []string
			var worst time.Duration
			load.mu.Lock()
			failures := append([]scaleFailure(nil), load.failures...)
			load.mu.Unlock()
			for i, ev := range events {
				var last time.Time
				n := 0
				for _, f := range failures {
					if f.end.After(ev.at) && (i+1 == len(events) || f.end.Before(events[i+1].at)) {
						n++
						if f.end.After(last) {
							last = f.end
						}
					}
				}
				rec := time.Duration(0)
				if n > 0 {
					rec = last.Sub(ev.at)
				}
				worst = max(worst, rec)
				recover = append(recover, fmt.Sprintf("%d failed/%d running, last failure +%s, replacement registered in %s",
					n, ev.running, rec.Round(time.Millisecond), ev.replacementTook.Round(time.Millisecond)))
			}

			switch mode {
			case "drain":
				assert.Zero(t, failed, "no call fails in a rolling restart with Drain: %s", load.classes())
			case "kill":
				for _, f := range failures {
					switch f.class {
					case "canceled", "no_eligible_callee", "unavailable", "connection_lost":
					default:
						t.Errorf("a call failed with class %s (not 'callee gone'): %v", f.class, f.err)
					}
					// Only calls in flight at a kill fail: each began before
					// the cut was done and ended after it began.
					inFlight := false
					for _, ev := range events {
						if f.start.Before(ev.done) && f.end.After(ev.at) {
							inFlight = true
						}
					}
					assert.True(t, inFlight, "a call started %s after the start failed without a kill under it: %v",
						f.start.Sub(load.started).Round(time.Millisecond), f.err)
				}
				assert.LessOrEqual(t, failed, len(events)*scaleConcurrency, "at most the calls in flight fail")
				assert.Less(t, worst, scaleResumeBound, "the failures of a kill end within the bound")
			}
			figure(t, "%s one of %d callees every %s for %s (%d events), %d concurrent calls: %d answered (%.0f/s), failed: %s; "+
				"longest time without an answer %s; worst recovery (event to its last failure) %s; race=%v",
				mode, scaleCallees, scaleEvery, d, len(events), scaleConcurrency, answered, float64(answered)/elapsed.Seconds(),
				load.classes(), time.Duration(load.maxGap.Load()).Round(time.Millisecond), worst.Round(time.Millisecond), raceEnabled)
			for i, s := range recover {
				t.Logf("event %d (%s): %s", i+1, mode, s)
			}
		})
	}
}

// A router stopped under load, with every client given the other router
// by client.WithFailover: the callees and the caller move to the second
// router, the callees' registrations are restored there, and calls resume.
// The calls in flight at the stop and those that reach the second router
// before any callee is back fail (connection_lost, canceled,
// no_such_procedure); every call started once calls are answered again
// succeeds.
func TestScaleRouterFailover(t *testing.T) {
	d := scaleDuration()
	r1, r2 := kit.NewRouter(t), kit.NewRouter(t)
	ctx := ctxFor(t, d+2*time.Minute)
	dial := func() *client.Client {
		c, err := client.Connect(ctx, r1.URL(), client.WithFailover(r2.URL()))
		require.NoError(t, err)
		t.Cleanup(func() { closeBounded(c) })
		return c
	}
	var all []*client.Client
	for i := range scaleCallees {
		c := dial()
		all = append(all, c)
		_, err := callee.Register(ctx, c, scaleProcedure, func(hctx context.Context, _ int) (int, error) {
			select {
			case <-time.After(scaleWork):
			case <-hctx.Done():
				return 0, hctx.Err()
			}
			return i, nil
		}, callee.Invoke(callee.RoundRobin))
		require.NoError(t, err)
	}
	cl := dial()
	all = append(all, cl)

	load := newScaleLoad(cl)
	lctx, stop := context.WithCancel(ctx)
	loaded := make(chan struct{})
	go func() { defer close(loaded); load.run(lctx) }()
	defer func() { stop(); <-loaded }()

	time.Sleep(d / 3)
	before := load.answered.Load()
	stopped := time.Now()
	r1.Stop() // returns once every session on it has ended
	stopTook := time.Since(stopped)
	load.okAfter.Store(time.Now().UnixNano())
	// Resumed: the first answer to a call started after the stop.
	var resumed time.Time
	for deadline := stopped.Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if ok := load.firstOK.Load(); ok != 0 {
			resumed = time.Unix(0, ok)
			break
		}
	}
	require.False(t, resumed.IsZero(), "calls are answered again within 30 s of the stop")
	// Every client moved to the second router.
	for i, c := range all {
		require.True(t, waitState(c, client.Connected, 30*time.Second), "client %d rejoined", i)
		assert.Equal(t, r2.URL(), c.URL(), "client %d is on the second router", i)
	}
	moved := time.Since(stopped)
	if rest := time.Until(stopped.Add(2 * d / 3)); rest > 0 {
		time.Sleep(rest)
	}
	stop()
	<-loaded

	answered := load.answered.Load()
	assert.Greater(t, answered, before+scaleConcurrency, "calls are answered after the failover")
	load.mu.Lock()
	failures := append([]scaleFailure(nil), load.failures...)
	load.mu.Unlock()
	for _, f := range failures {
		switch f.class {
		case "connection_lost", "canceled", "no_such_procedure", "not_connected":
		default:
			t.Errorf("a call failed with class %s: %v", f.class, f.err)
		}
		assert.False(t, f.start.After(resumed), "a call started after calls resumed failed: %v", f.err)
		assert.False(t, f.start.Before(stopped.Add(-time.Second)), "a call failed before the stop: %v", f.err)
	}
	figure(t, "router stopped under %d concurrent calls, %d callees, failover to a second router: %d answered, failed: %s; "+
		"Stop returned after %s; first call started after it answered %s after the stop began, all %d clients on the second router after %s; race=%v",
		scaleConcurrency, scaleCallees, answered, load.classes(), stopTook.Round(time.Millisecond), resumed.Sub(stopped).Round(time.Millisecond),
		len(all), moved.Round(time.Millisecond), raceEnabled)
}
