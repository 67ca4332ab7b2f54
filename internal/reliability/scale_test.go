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

// leaveWatch records when the router ended each session
// (wamp.session.on_leave), seen by an admin client of the router.
type leaveWatch struct {
	mu   sync.Mutex
	seen map[uint64]time.Time
	ch   chan struct{} // closed and replaced on every leave
}

func watchLeaves(ctx context.Context, t *testing.T, r *kit.Router) *leaveWatch {
	t.Helper()
	w := &leaveWatch{seen: map[uint64]time.Time{}, ch: make(chan struct{})}
	admin := r.Admin(t)
	_, err := admin.Subscribe(ctx, "wamp.session.on_leave", func(ev *client.Event) {
		if len(ev.Args) == 0 {
			return
		}
		id, ok := asUint64(ev.Args[0])
		if !ok {
			return
		}
		w.mu.Lock()
		w.seen[id] = time.Now()
		close(w.ch)
		w.ch = make(chan struct{})
		w.mu.Unlock()
	}, client.SubscribeOptions{})
	require.NoError(t, err)
	return w
}

// wait returns when the router ended session id, failing the test after d.
func (w *leaveWatch) wait(t *testing.T, id uint64, d time.Duration) time.Time {
	t.Helper()
	deadline := time.After(d)
	for {
		w.mu.Lock()
		at, ok := w.seen[id]
		ch := w.ch
		w.mu.Unlock()
		if ok {
			return at
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("the router did not end session %d within %s", id, d)
		}
	}
}

func asUint64(v any) (uint64, bool) {
	switch n := v.(type) {
	case uint64:
		return n, true
	case int64:
		return uint64(n), n >= 0
	case int:
		return uint64(n), n >= 0
	case float64:
		return uint64(n), n >= 0
	}
	return 0, false
}

func closeBounded(c *client.Client) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = c.Close(ctx)
}

// Four callee processes of one shared roundrobin registration (the test
// binary run again as a callee, see calleeproc_test.go), a caller in this
// process keeping 64 calls in flight, and every two seconds the oldest
// callee leaves and a new process takes its place. With Drain (SIGTERM: a
// rolling restart, the new process registered first) no call fails. With
// SIGKILL (the kernel resets the connection, the router sees the callee
// gone) only the calls in flight on the killed callee fail, each with a
// class saying the callee is gone (the reference router, like nexus,
// answers wamp.error.canceled "callee gone"; Bondy answers
// no_eligible_callee), and the calls started after the kill are answered
// by the others.
func TestScaleRollingCallees(t *testing.T) {
	for _, mode := range []string{"drain", "kill"} {
		t.Run(mode, func(t *testing.T) {
			d := scaleDuration()
			r := kit.NewRouter(t)
			ctx := ctxFor(t, d+2*time.Minute)
			leaves := watchLeaves(ctx, t, r)
			var callees []*calleeProcess
			for i := range scaleCallees {
				callees = append(callees, startCalleeProcess(t, r.URL(), i))
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
				at, done        time.Time // the event began and ended (the router saw the killed callee's session end; the drained process exited)
				running         int       // invocations running on a drained callee when Drain began (-1: killed)
				drainTook       time.Duration
				replacementTook time.Duration // process start to registration confirmed
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
				ev := event{running: -1}
				switch mode {
				case "drain": // a rolling restart: the new callee first, then SIGTERM
					t0 := time.Now()
					callees = append(callees[1:], startCalleeProcess(t, r.URL(), next))
					ev.replacementTook = time.Since(t0)
					ev.at = time.Now()
					ev.running, ev.drainTook = old.drain(t)
					ev.done = time.Now()
				case "kill": // abrupt: SIGKILL, then a replacement
					ev.at = time.Now()
					old.kill()
					reaped := time.Now()
					// Until the router sees the connection reset it still
					// routes calls to the dead callee: they fail too.
					ev.done = leaves.wait(t, old.session, 10*time.Second)
					ev.drainTook = reaped.Sub(ev.at) // for a kill: SIGKILL to reaped
					t0 := time.Now()
					callees = append(callees[1:], startCalleeProcess(t, r.URL(), next))
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
				what := fmt.Sprintf("SIGKILL reaped in %s, the router ended its session %s after the SIGKILL",
					ev.drainTook.Round(time.Millisecond), ev.done.Sub(ev.at).Round(time.Millisecond))
				if ev.running >= 0 {
					what = fmt.Sprintf("%d running at SIGTERM, Drain took %s, process gone after %s", ev.running,
						ev.drainTook.Round(time.Millisecond), ev.done.Sub(ev.at).Round(time.Millisecond))
				}
				recover = append(recover, fmt.Sprintf("%s; %d failed, last failure +%s; replacement process registered in %s",
					what, n, rec.Round(time.Millisecond), ev.replacementTook.Round(time.Millisecond)))
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
					// the router ended the dead callee's session and ended
					// after the SIGKILL.
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
			figure(t, "%s one of %d callee processes every %s for %s (%d events), %d concurrent calls: %d answered (%.0f/s), failed: %s; "+
				"longest time without an answer %s; worst recovery (event to its last failure) %s; race=%v",
				mode, scaleCallees, scaleEvery, d, len(events), scaleConcurrency, answered, float64(answered)/elapsed.Seconds(),
				load.classes(), time.Duration(load.maxGap.Load()).Round(time.Millisecond), worst.Round(time.Millisecond), raceEnabled)
			for i, s := range recover {
				t.Logf("event %d (%s): %s", i+1, mode, s)
			}
		})
	}
}

// A router stopped (GOODBYE system_shutdown to every session) or killed
// (the reference router in a child process, SIGKILL: the kernel resets the
// connections) under load, with every client given a second router by
// client.WithFailover: the callees and the caller move to the second
// router, the callees' registrations are restored there, and calls resume.
// The calls in flight at the stop and those that reach the second router
// before any callee is back fail (connection_lost, canceled,
// no_such_procedure); every call started once calls are answered again
// succeeds.
func TestScaleRouterFailover(t *testing.T) {
	for _, mode := range []string{"stop", "kill"} {
		t.Run(mode, func(t *testing.T) { scaleRouterFailover(t, mode) })
	}
}

func scaleRouterFailover(t *testing.T, mode string) {
	d := scaleDuration()
	r2 := kit.NewRouter(t)
	var first string
	var stopFirst func()
	switch mode {
	case "stop":
		r1 := kit.NewRouter(t)
		first, stopFirst = r1.URL(), r1.Stop // returns once every session on it has ended
	case "kill":
		ws := freeAddr(t)
		p := startRouterProcess(t, ws, freeAddr(t))
		first, stopFirst = "ws://"+ws+"/ws", p.kill // returns once the process is reaped
	}
	ctx := ctxFor(t, d+2*time.Minute)
	dial := func() *client.Client {
		c, err := client.Connect(ctx, first, client.WithFailover(r2.URL()))
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
	stopFirst()
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
	// A client may still say Connected to the first router for a moment
	// after the stop (it has not read the end yet): wait for the move.
	for i, c := range all {
		moved := false
		for deadline := time.Now().Add(30 * time.Second); !moved && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			moved = c.State() == client.Connected && c.URL() == r2.URL()
		}
		assert.True(t, moved, "client %d is connected to the second router within 30 s (now %s on %s)", i, c.State(), c.URL())
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
		// A call started before the stop may fail with it (it was in
		// flight); none fails before the stop began.
		assert.False(t, f.end.Before(stopped), "a call failed before the stop: %v", f.err)
	}
	figure(t, "router %s under %d concurrent calls, %d callees, failover to a second router: %d answered, failed: %s; "+
		"the %s returned after %s; first call started after it answered %s after the %s began, all %d clients on the second router after %s; race=%v",
		mode, scaleConcurrency, scaleCallees, answered, load.classes(), mode, stopTook.Round(time.Millisecond),
		resumed.Sub(stopped).Round(time.Millisecond), mode, len(all), moved.Round(time.Millisecond), raceEnabled)
}
