package client_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/wamp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/callee"
	callerpkg "github.com/wampkit/wampkit/caller"
	"github.com/wampkit/wampkit/client"
	kit "github.com/wampkit/wampkit/client/wamptest"
	"github.com/wampkit/wampkit/internal/wamptest/hostile"
)

// drainCallee counts one callee's invocations.
type drainCallee struct {
	c                           *client.Client
	started, finished, inflight atomic.Int64
}

// A rolling restart of one of two callees of a shared roundrobin
// registration under steady load loses no call: Drain withdraws the
// registration, lets the invocations in flight on the drained callee
// finish and answer, and the router sends the rest to the other callee.
func TestDrainUnderLoadLosesNoCall(t *testing.T) {
	leakCheck(t)
	r := kit.NewRouter(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var a, b drainCallee
	for _, d := range []*drainCallee{&a, &b} {
		d.c = dial(t, r.URL())
		_, err := callee.Register(ctx, d.c, "test.drain.work", func(ctx context.Context, in int) (int, error) {
			d.started.Add(1)
			d.inflight.Add(1)
			defer d.inflight.Add(-1)
			select {
			case <-time.After(20 * time.Millisecond): // keep invocations in flight
			case <-ctx.Done():
				return 0, ctx.Err()
			}
			d.finished.Add(1)
			return in, nil
		}, callee.Invoke(callee.RoundRobin))
		require.NoError(t, err)
	}
	cl := dial(t, r.URL())

	const calls, workers = 300, 8
	next := make(chan int)
	var failed atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				got, err := callerpkg.Call[int](ctx, cl, "test.drain.work", i)
				if err != nil || got != i {
					failed.Add(1)
					t.Errorf("call %d: got %d, %v", i, got, err)
				}
			}
		}()
	}

	var inflightAtDrain, startedAtDrain int64
	var drainErr error
	drained := make(chan struct{})
	tick := time.NewTicker(2 * time.Second / calls)
	for i := range calls {
		<-tick.C
		next <- i
		if i == calls/3 {
			go func() {
				defer close(drained)
				// Drain while an invocation runs on a (bounded wait).
				for deadline := time.Now().Add(5 * time.Second); a.inflight.Load() == 0 && time.Now().Before(deadline); {
					time.Sleep(time.Millisecond)
				}
				inflightAtDrain, startedAtDrain = a.inflight.Load(), a.started.Load()
				dctx, dcancel := context.WithTimeout(ctx, 10*time.Second)
				defer dcancel()
				drainErr = a.c.Drain(dctx)
			}()
		}
	}
	tick.Stop()
	close(next)
	wg.Wait()
	<-drained

	require.NoError(t, drainErr)
	assert.Zero(t, failed.Load(), "calls failed")
	assert.Equal(t, client.Closed, a.c.State())
	assert.Positive(t, inflightAtDrain, "Drain began with an invocation in flight on the drained callee")
	assert.GreaterOrEqual(t, a.started.Load(), startedAtDrain)
	assert.Equal(t, a.started.Load(), a.finished.Load(), "every invocation on the drained callee ran to the end")
	assert.Equal(t, int64(calls), a.finished.Load()+b.finished.Load())
	assert.Greater(t, b.finished.Load(), int64(calls/2), "the other callee took the calls after the drain")
	t.Logf("drained callee: %d invocations (%d in flight at Drain); other callee: %d", a.finished.Load(), inflightAtDrain, b.finished.Load())
}

// Drain whose ctx ends with an invocation still running interrupts it,
// closes the client anyway and says so.
func TestDrainContextEndsInterruptsAndCloses(t *testing.T) {
	leakCheck(t)
	r := kit.NewRouter(t)
	ctx := ctxT(t)
	c := dial(t, r.URL())
	running := make(chan struct{})
	_, err := c.Register(ctx, "test.drain.slow", func(hctx context.Context, _ *client.Invocation) (client.Payload, error) {
		close(running)
		<-hctx.Done()
		return client.Payload{}, hctx.Err()
	}, client.RegisterOptions{})
	require.NoError(t, err)
	cl := dial(t, r.URL())
	callErr := make(chan error, 1)
	go func() {
		_, err := cl.Call(ctx, client.CallRequest{Procedure: "test.drain.slow"}, nil)
		callErr <- err
	}()
	<-running
	dctx, dcancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer dcancel()
	err = c.Drain(dctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), "client: drain: invocations still running")
	assert.Equal(t, client.Closed, c.State())
	select {
	case err := <-callErr:
		assert.Error(t, err, "the interrupted call fails")
	case <-ctx.Done():
		t.Fatal("the interrupted call was never answered")
	}
}

// While a client drains, its running handlers can still call and publish
// (the Draining state): an invocation in flight at Drain calls another
// callee and publishes, and its caller gets the answer. New registrations
// and subscriptions are refused with ErrClosed; once closed, calls fail too.
func TestDrainingHandlerCallsAndPublishes(t *testing.T) {
	leakCheck(t)
	r := kit.NewRouter(t)
	ctx := ctxT(t)
	helper := dial(t, r.URL())
	_, err := helper.Register(ctx, "test.drain.helper", func(_ context.Context, inv *client.Invocation) (client.Payload, error) {
		return client.Payload{Args: []any{"helped"}}, nil
	}, client.RegisterOptions{})
	require.NoError(t, err)
	notes := make(chan string, 1)
	_, err = helper.Subscribe(ctx, "test.drain.note", func(ev *client.Event) {
		s, _ := ev.Args[0].(string)
		notes <- s
	}, client.SubscribeOptions{})
	require.NoError(t, err)

	c := dial(t, r.URL())
	running, release := make(chan struct{}), make(chan struct{})
	_, err = c.Register(ctx, "test.drain.outer", func(hctx context.Context, _ *client.Invocation) (client.Payload, error) {
		close(running)
		<-release
		res, err := c.Call(hctx, client.CallRequest{Procedure: "test.drain.helper"}, nil)
		if err != nil {
			return client.Payload{}, err
		}
		if _, err := c.Publish(hctx, "test.drain.note", client.Payload{Args: []any{"published while draining"}},
			client.PublishOptions{Acknowledge: true}); err != nil {
			return client.Payload{}, err
		}
		return res.Payload, nil
	}, client.RegisterOptions{})
	require.NoError(t, err)

	cl := dial(t, r.URL())
	type answer struct {
		res client.Result
		err error
	}
	answered := make(chan answer, 1)
	go func() {
		res, err := cl.Call(ctx, client.CallRequest{Procedure: "test.drain.outer"}, nil)
		answered <- answer{res, err}
	}()
	<-running
	drained := make(chan error, 1)
	go func() { drained <- c.Drain(ctx) }()
	require.NoError(t, c.WaitState(ctx, client.Draining))
	assert.Equal(t, "draining", c.State().String())
	assert.NotZero(t, c.ID(), "the session goes on while draining")

	_, err = c.Register(ctx, "test.drain.late", func(context.Context, *client.Invocation) (client.Payload, error) {
		return client.Payload{}, nil
	}, client.RegisterOptions{})
	assert.ErrorIs(t, err, client.ErrClosed, "no new registration while draining")
	_, err = c.Subscribe(ctx, "test.drain.late", func(*client.Event) {}, client.SubscribeOptions{})
	assert.ErrorIs(t, err, client.ErrClosed, "no new subscription while draining")

	close(release)
	select {
	case a := <-answered:
		require.NoError(t, a.err, "the handler's own call and publication went out while draining")
		assert.Equal(t, []any{"helped"}, a.res.Args)
	case <-ctx.Done():
		t.Fatal("the call in flight at Drain was not answered")
	}
	select {
	case n := <-notes:
		assert.Equal(t, "published while draining", n)
	case <-ctx.Done():
		t.Fatal("the publication made while draining never arrived")
	}
	require.NoError(t, <-drained)
	assert.Equal(t, client.Closed, c.State())
	_, err = c.Call(ctx, client.CallRequest{Procedure: "test.drain.helper"}, nil)
	assert.ErrorIs(t, err, client.ErrClosed)
}

// Drain unsubscribes too: the router gets UNSUBSCRIBE, the events queued
// when Drain began are delivered before the client closes (and their
// handler can still publish), and an event that arrives after Drain began
// is dropped, even before the UNSUBSCRIBE could go out. A scripted router
// orders the messages exactly: a second SUBSCRIBE it leaves unanswered holds
// the UNSUBSCRIBE back while it sends an event after Drain began.
func TestDrainUnsubscribesAndDeliversQueuedEvents(t *testing.T) {
	const subID = 5
	pending, draining := make(chan struct{}), make(chan struct{})
	unsubscribed := make(chan wamp.ID, 1)
	published := make(chan string, 4)
	r := hostile.New(t, func(c *hostile.Conn) {
		c.Welcome(nil)
		sub := c.Expect(wamp.SUBSCRIBE).(*wamp.Subscribe)
		c.Send(&wamp.Subscribed{Request: sub.Request, Subscription: subID})
		for pub := range 2 {
			c.Send(&wamp.Event{Subscription: subID, Publication: wamp.ID(pub + 1), Details: wamp.Dict{}})
		}
		// The client's call returns after its read loop queued both events.
		call := c.Expect(wamp.CALL).(*wamp.Call)
		c.Send(&wamp.Result{Request: call.Request, Details: wamp.Dict{}})
		second := c.Expect(wamp.SUBSCRIBE).(*wamp.Subscribe)
		close(pending)
		<-draining
		c.Send(&wamp.Event{Subscription: subID, Publication: 3, Details: wamp.Dict{}}) // after Drain began
		c.Send(&wamp.Subscribed{Request: second.Request, Subscription: subID + 1})
		c.Serve(func(c *hostile.Conn, m wamp.Message) bool {
			switch m := m.(type) {
			case *wamp.Publish:
				published <- string(m.Topic)
			case *wamp.Unsubscribe:
				unsubscribed <- m.Subscription
			}
			return false
		})
	})
	c := dial(t, r.URL())
	ctx := ctxT(t)
	gate := make(chan struct{})
	var mu sync.Mutex
	var seen []uint64
	var pubErrs []error
	_, err := c.Subscribe(ctx, "test.drain.events", func(ev *client.Event) {
		<-gate
		_, err := c.Publish(ctx, "test.drain.handled", client.Payload{}, client.PublishOptions{Acknowledge: true})
		mu.Lock()
		seen = append(seen, uint64(ev.Publication))
		pubErrs = append(pubErrs, err)
		mu.Unlock()
	}, client.SubscribeOptions{})
	require.NoError(t, err)
	_, err = c.Call(ctx, client.CallRequest{Procedure: "test.sync"}, nil)
	require.NoError(t, err)
	secondErr := make(chan error, 1)
	go func() {
		_, err := c.Subscribe(ctx, "test.drain.other", func(*client.Event) {}, client.SubscribeOptions{})
		secondErr <- err
	}()
	<-pending

	drained := make(chan error, 1)
	go func() { drained <- c.Drain(ctx) }()
	require.NoError(t, c.WaitState(ctx, client.Draining))
	close(draining)
	select {
	case id := <-unsubscribed:
		assert.EqualValues(t, subID, id)
	case <-ctx.Done():
		t.Fatal("Drain sent no UNSUBSCRIBE")
	}
	close(gate)
	require.NoError(t, <-drained)
	assert.ErrorIs(t, <-secondErr, client.ErrClosed, "a subscription answered after Drain began is not kept")
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []uint64{1, 2}, seen, "queued events delivered, the one after Drain began dropped")
	assert.Equal(t, []error{nil, nil}, pubErrs, "the handler published while draining")
	require.Len(t, published, 2, "both publications reached the router (acknowledged)")
	assert.Equal(t, "test.drain.handled", <-published)
}

// A Close during a Drain that waits for a handler cuts the drain short, as
// a second signal asks a server to stop now: the handler, which honours its
// context, is interrupted, the client closes, and Close returns without
// waiting for the drain's own (unbounded) context.
func TestCloseDuringADrainCutsItShort(t *testing.T) {
	r := kit.NewRouter(t)
	ctx := ctxT(t)
	cal, cl := r.Connect(t), r.Connect(t)
	started := make(chan struct{})
	handlerErr := make(chan error, 1)
	_, err := cl.Register(ctx, "test.slow", func(hctx context.Context, _ *client.Invocation) (client.Payload, error) {
		close(started)
		<-hctx.Done() // honours its context, and nothing else ends it
		handlerErr <- hctx.Err()
		return client.Payload{}, hctx.Err()
	}, client.RegisterOptions{})
	require.NoError(t, err)
	called := make(chan error, 1)
	go func() { _, err := cal.Call(ctx, client.CallRequest{Procedure: "test.slow"}, nil); called <- err }()
	<-started
	drained := make(chan error, 1)
	go func() { drained <- cl.Drain(context.Background()) }()
	require.NoError(t, cl.WaitState(ctx, client.Draining))

	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	require.NoError(t, cl.Close(cctx), "Close waited for the drain instead of cutting it short")
	assert.Equal(t, client.Closed, cl.State())
	require.Error(t, <-handlerErr, "the handler's context was canceled")
	derr := <-drained
	require.ErrorIs(t, derr, context.Canceled, "Drain says it was cut short")
	require.ErrorIs(t, derr, client.ErrClosed, "by Close")
	require.Error(t, <-called, "the caller got an error, not a hang")
}
