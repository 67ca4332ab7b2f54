package reliability_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/wamp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest/hostile"
)

const mib = 1 << 20

// floodMessages of 1 MiB each (far past every budget below), and
// floodInvocations of a few bytes each.
var floodMessages, floodInvocations = func() (int, int) {
	if raceEnabled {
		return 48, 5000
	}
	return 96, 20000
}()

const (
	// budget is what the flood tests give each bound.
	budget = 8 * mib
	// liveSlack is what the heap may retain past the budget while a flood's
	// state is held: the transport's read buffer and the message being
	// decoded (1 MiB each), the hostile router's frame and buffers, one
	// message over the bound.
	liveSlack = 6 * mib
)

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func connect(t *testing.T, url string, opts ...client.Option) *client.Client {
	t.Helper()
	opts = append([]client.Option{client.WithSerialization(client.MsgPack), client.WithoutReconnect()}, opts...)
	c, err := client.Connect(ctxFor(t, 5*time.Second), url, opts...)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = c.Close(ctx) // the hostile router may not answer GOODBYE
	})
	return c
}

// blob is a 1 MiB string argument.
var blob = strings.Repeat("x", mib)

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	require.Eventually(t, cond, 30*time.Second, 5*time.Millisecond, what)
}

// A router floods one call with 96 (48 under -race) progressive results of 1 MiB that the
// caller does not read. The call fails with ErrSlowConsumer once its unread
// results pass the session's budget, and is canceled at the router; the
// heap stays within the budget, not at the 96 MiB the router sent.
func TestProgressiveResultFlood(t *testing.T) {
	sent := make(chan int, 1)
	r := hostile.New(t, func(c *hostile.Conn) {
		c.Welcome(nil)
		call := c.Expect(wamp.CALL).(*wamp.Call)
		sent <- c.Flood(floodMessages, &wamp.Result{Request: call.Request, Details: wamp.Dict{"progress": true},
			Arguments: wamp.List{blob}})
		c.Serve(nil)
	})
	c := connect(t, r.URL(), client.WithProgressiveResultBytes(budget))
	ctx := ctxFor(t, 30*time.Second)
	peak := hostile.WatchPeak(10 * time.Millisecond)
	call, err := c.StartCall(ctx, client.CallRequest{Procedure: "com.example.flood", ReceiveProgress: true})
	require.NoError(t, err)
	n := <-sent
	waitFor(t, "the client cancels the call", func() bool { return r.Count(wamp.CANCEL) == 1 })
	st := peak.Stop()
	_, err = call.Next(ctx)
	assert.ErrorIs(t, err, client.ErrSlowConsumer)
	assert.Equal(t, floodMessages, n, "the client kept reading the flood")
	assert.Less(t, st.LiveGrowth(), uint64(budget+liveSlack), "retained heap within the budget")
	figure(t, "%d x 1 MiB progressive results, budget %d MiB: heap retained +%.1f MiB (peak in use +%.1f MiB), call failed with %q",
		n, budget/mib, float64(st.LiveGrowth())/mib, float64(st.Growth())/mib, errors.Unwrap(err))

	// The session goes on: another call is answered.
	_, err = c.Call(ctx, client.CallRequest{Procedure: "com.example.other"}, nil)
	assert.ErrorIs(t, err, client.ErrNoSuchProcedure)
}

// registerScript answers the client's REGISTER with registration 1, then
// runs flood and serves.
func registerScript(flood func(c *hostile.Conn)) hostile.Script {
	return func(c *hostile.Conn) {
		c.Welcome(nil)
		reg := c.Expect(wamp.REGISTER).(*wamp.Register)
		c.Send(&wamp.Registered{Request: reg.Request, Registration: 1})
		flood(c)
		c.Serve(nil)
	}
}

// blocking registers a handler that blocks until release is closed, and
// counts the handlers started.
func blocking(t *testing.T, c *client.Client, release <-chan struct{}) *atomic.Int32 {
	var started atomic.Int32
	_, err := c.Register(ctxFor(t, 5*time.Second), "com.example.flood",
		func(ctx context.Context, inv *client.Invocation) (client.Payload, error) {
			started.Add(1)
			select {
			case <-release:
			case <-ctx.Done():
			}
			return client.Payload{}, nil
		}, client.RegisterOptions{})
	require.NoError(t, err)
	return &started
}

// A router floods 20,000 (5,000 under -race) INVOCATIONs at handlers that block. At most the
// cap (64 here) start; every other invocation is answered
// wamp.error.unavailable at once, so goroutines stay at the cap, not at
// 20,000.
func TestInvocationFlood(t *testing.T) {
	const limit = 64
	n := floodInvocations
	r := hostile.New(t, registerScript(func(c *hostile.Conn) {
		c.FloodWith(n, func(i int) wamp.Message {
			return &wamp.Invocation{Request: wamp.ID(i + 1), Registration: 1, Details: wamp.Dict{}, Arguments: wamp.List{i}}
		})
	}))
	c := connect(t, r.URL(), client.WithMaxConcurrentInvocations(limit))
	release := make(chan struct{})
	peak := hostile.WatchPeak(10 * time.Millisecond)
	started := blocking(t, c, release)
	waitFor(t, "every excess invocation is refused", func() bool { return r.Count(wamp.ERROR) == n-limit })
	st := peak.Stop()
	assert.EqualValues(t, limit, started.Load(), "handlers started")
	assert.LessOrEqual(t, st.PeakGoroutines-st.BaseGoroutines, limit+32, "goroutines at the cap")
	e := r.Find(wamp.ERROR).(*wamp.Error)
	assert.Equal(t, wamp.URI("wamp.error.unavailable"), e.Error)
	close(release)
	waitFor(t, "the admitted invocations are answered", func() bool { return r.Count(wamp.YIELD) == limit })
	figure(t, "%d INVOCATIONs, cap %d: %d handlers ran, %d refused (wamp.error.unavailable), peak goroutines +%d, heap retained +%.1f MiB (peak in use +%.1f MiB)",
		n, limit, started.Load(), r.Count(wamp.ERROR), st.PeakGoroutines-st.BaseGoroutines, float64(st.LiveGrowth())/mib, float64(st.Growth())/mib)
}

// The same flood with the default cap (1024).
func TestInvocationFloodDefaultCap(t *testing.T) {
	n := floodInvocations
	r := hostile.New(t, registerScript(func(c *hostile.Conn) {
		c.FloodWith(n, func(i int) wamp.Message {
			return &wamp.Invocation{Request: wamp.ID(i + 1), Registration: 1, Details: wamp.Dict{}}
		})
	}))
	c := connect(t, r.URL())
	release := make(chan struct{})
	peak := hostile.WatchPeak(10 * time.Millisecond)
	started := blocking(t, c, release)
	limit := client.DefaultMaxConcurrentInvocations
	waitFor(t, "every excess invocation is refused", func() bool { return r.Count(wamp.ERROR) == n-limit })
	st := peak.Stop()
	close(release)
	assert.EqualValues(t, limit, started.Load())
	waitFor(t, "the admitted invocations are answered", func() bool { return r.Count(wamp.YIELD) == limit })
	figure(t, "%d INVOCATIONs, default cap %d: peak goroutines +%d, heap retained +%.1f MiB (peak in use +%.1f MiB)",
		n, limit, st.PeakGoroutines-st.BaseGoroutines, float64(st.LiveGrowth())/mib, float64(st.Growth())/mib)
}

// A router floods 96 INVOCATIONs of 1 MiB at handlers that block. Their
// arguments count against the invocation input budget: once it is full,
// the rest are refused, and the heap stays within the budget.
func TestLargeInvocationFlood(t *testing.T) {
	r := hostile.New(t, registerScript(func(c *hostile.Conn) {
		c.FloodWith(floodMessages, func(i int) wamp.Message {
			return &wamp.Invocation{Request: wamp.ID(i + 1), Registration: 1, Details: wamp.Dict{}, Arguments: wamp.List{blob}}
		})
	}))
	c := connect(t, r.URL(), client.WithInvocationBytes(budget))
	release := make(chan struct{})
	peak := hostile.WatchPeak(10 * time.Millisecond)
	started := blocking(t, c, release)
	waitFor(t, "the flood is answered", func() bool { return int(started.Load())+r.Count(wamp.ERROR) == floodMessages })
	st := peak.Stop()
	close(release)
	assert.LessOrEqual(t, int(started.Load()), budget/mib, "handlers admitted within the budget")
	assert.Less(t, st.LiveGrowth(), uint64(budget+liveSlack), "retained heap within the budget")
	figure(t, "%d x 1 MiB INVOCATIONs, budget %d MiB: %d admitted, %d refused, heap retained +%.1f MiB (peak in use +%.1f MiB), peak goroutines +%d",
		floodMessages, budget/mib, started.Load(), r.Count(wamp.ERROR), float64(st.LiveGrowth())/mib, float64(st.Growth())/mib,
		st.PeakGoroutines-st.BaseGoroutines)
}

// A router streams 96 input chunks of 1 MiB into one progressive
// invocation whose handler does not read them. Past the budget that
// invocation ends: NextInput reports ErrStreamOverflow, the caller is
// answered wampkit.error.input_overflow, and the heap stays within the
// budget.
func TestStreamedInputFlood(t *testing.T) {
	sent := make(chan int, 1)
	r := hostile.New(t, registerScript(func(c *hostile.Conn) {
		sent <- c.Flood(floodMessages, &wamp.Invocation{Request: 5, Registration: 1, Details: wamp.Dict{"progress": true},
			Arguments: wamp.List{blob}})
	}))
	c := connect(t, r.URL(), client.WithInvocationBytes(budget))
	ctx := ctxFor(t, 30*time.Second)
	slow, inputErr := make(chan struct{}), make(chan error, 1)
	peak := hostile.WatchPeak(10 * time.Millisecond)
	_, err := c.Register(ctx, "com.example.flood", func(ctx context.Context, inv *client.Invocation) (client.Payload, error) {
		select { // a handler busy elsewhere, that does give up when canceled
		case <-slow:
		case <-ctx.Done():
		}
		for {
			_, ok, err := inv.NextInput(ctx)
			if err != nil || !ok {
				inputErr <- err
				return client.Payload{}, err
			}
		}
	}, client.RegisterOptions{})
	require.NoError(t, err)
	waitFor(t, "the invocation's input overflows", func() bool { return r.Count(wamp.ERROR) == 1 })
	<-sent
	// The chunks sent after the overflow are dropped as they come: once the
	// client has answered a ping, it has read them all.
	_, err = c.Call(ctx, client.CallRequest{Procedure: "com.example.ping"}, nil)
	assert.ErrorIs(t, err, client.ErrNoSuchProcedure)
	st := peak.Stop()
	close(slow)
	assert.ErrorIs(t, <-inputErr, client.ErrStreamOverflow)
	e := r.Find(wamp.ERROR).(*wamp.Error)
	assert.Equal(t, wamp.URI("wampkit.error.input_overflow"), e.Error)
	assert.Less(t, st.LiveGrowth(), uint64(budget+liveSlack), "retained heap within the budget")
	figure(t, "%d x 1 MiB input chunks, budget %d MiB: invocation ended with %s, heap retained +%.1f MiB (peak in use +%.1f MiB)",
		floodMessages, budget/mib, e.Error, float64(st.LiveGrowth())/mib, float64(st.Growth())/mib)
}

// A router floods a subscription with 96 events of 1 MiB while its handler
// blocks. The client's event queue (delivery's bound, WithEventQueueBytes)
// drops what does not fit and counts it; the heap stays within the budget.
func TestEventFlood(t *testing.T) {
	r := hostile.New(t, func(c *hostile.Conn) {
		c.Welcome(nil)
		sub := c.Expect(wamp.SUBSCRIBE).(*wamp.Subscribe)
		c.Send(&wamp.Subscribed{Request: sub.Request, Subscription: 9})
		c.Flood(floodMessages, &wamp.Event{Subscription: 9, Publication: 1, Details: wamp.Dict{}, Arguments: wamp.List{blob}})
		c.Serve(nil)
	})
	c := connect(t, r.URL(), client.WithEventQueueBytes(budget))
	ctx := ctxFor(t, 30*time.Second)
	release := make(chan struct{})
	var got atomic.Int32
	peak := hostile.WatchPeak(10 * time.Millisecond)
	s, err := c.Subscribe(ctx, "com.example.flood", func(*client.Event) {
		got.Add(1)
		<-release
	}, client.SubscribeOptions{})
	require.NoError(t, err)
	waitFor(t, "every event is queued or dropped", func() bool {
		return int(got.Load())+int(s.Dropped())+budget/mib >= floodMessages
	})
	time.Sleep(100 * time.Millisecond) // the last ones settle (queued or dropped)
	st := peak.Stop()
	close(release)
	assert.Positive(t, s.Dropped(), "events past the bound are dropped and counted")
	assert.Less(t, st.LiveGrowth(), uint64(budget+liveSlack), "retained heap within the budget")
	figure(t, "%d x 1 MiB events, queue bound %d MiB: %d dropped and counted, heap retained +%.1f MiB (peak in use +%.1f MiB)",
		floodMessages, budget/mib, s.Dropped(), float64(st.LiveGrowth())/mib, float64(st.Growth())/mib)
}
