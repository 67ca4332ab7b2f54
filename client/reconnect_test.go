package client_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/router"
	"github.com/wampkit/wampkit/internal/wamptest"
	"github.com/wampkit/wampkit/metaclient"
)

func echoHandler(_ context.Context, inv *client.Invocation) (client.Payload, error) {
	return inv.Payload(), nil
}

// stateLog records state changes from the callback.
type stateLog struct {
	mu      sync.Mutex
	states  []client.State
	changed chan struct{} // closed and replaced on every add
}

func (s *stateLog) add(st client.State) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.states = append(s.states, st)
	if s.changed != nil {
		close(s.changed)
	}
	s.changed = make(chan struct{})
}

func (s *stateLog) get() []client.State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]client.State(nil), s.states...)
}

// waitFor waits until the calls recorded satisfy ok (no polling: each call
// wakes it), failing the test after 10s.
func (s *stateLog) waitFor(t testing.TB, ok func([]client.State) bool) {
	t.Helper()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		if s.changed == nil {
			s.changed = make(chan struct{})
		}
		done, ch := ok(s.states), s.changed
		s.mu.Unlock()
		if done {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("state listener calls: %v", s.get())
		}
	}
}

func TestRouterRestartWhileCalling(t *testing.T) {
	leakCheck(t)
	r := wamptest.NewRestartable(t, router.Config{})
	var states stateLog
	calleeC := dial(t, r.WebsocketURL(), client.WithReconnect(wamptest.FastBackoff), client.WithStateCallback(states.add))
	callerC := dial(t, r.WebsocketURL(), client.WithReconnect(wamptest.FastBackoff))
	ctx := ctxT(t)
	const calls, workers = 400, 8
	var served atomic.Int64
	var runs [calls]atomic.Int32 // handler runs per input
	reg, err := calleeC.Register(ctx, "test.echo", func(_ context.Context, inv *client.Invocation) (client.Payload, error) {
		served.Add(1)
		if i, ok := toInt(inv.Payload().Args[0]); ok && i >= 0 && i < calls {
			runs[i].Add(1)
		}
		time.Sleep(2 * time.Millisecond) // keep calls in flight
		return inv.Payload(), nil
	}, client.RegisterOptions{})
	require.NoError(t, err)
	idBefore := reg.ID()

	var answered, lost, made atomic.Int64
	var answers [calls]atomic.Int32
	var restartedAt, firstAfter atomic.Int64 // unix nanos
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				made.Add(1)
				res, err := callWhileRestoring(ctx, callerC, i)
				switch {
				case err == nil:
					got, _ := toInt(res.Args[0])
					if got != int64(i) {
						t.Errorf("call %d answered with %v", i, res.Args)
					}
					answers[i].Add(1)
					answered.Add(1)
					if restartedAt.Load() != 0 {
						firstAfter.CompareAndSwap(0, time.Now().UnixNano())
					}
				case errors.Is(err, client.ErrConnectionLost) && !client.SafeToRetry(err):
					lost.Add(1)
				default:
					t.Errorf("call %d: unexpected error %v", i, err)
				}
			}
		}()
	}
	for i := range calls {
		if i == calls/2 {
			restartedAt.Store(r.Restart(100 * time.Millisecond).UnixNano())
		}
		next <- i
	}
	close(next)
	wg.Wait()

	assert.Equal(t, made.Load(), answered.Load()+lost.Load(), "every call is answered or fails with connection lost")
	assert.Equal(t, int64(calls), made.Load())
	for i := range answers {
		require.LessOrEqual(t, answers[i].Load(), int32(1), "call %d answered twice", i)
		require.LessOrEqual(t, runs[i].Load(), int32(1), "call %d ran twice", i)
		if answers[i].Load() == 1 {
			require.Equal(t, int32(1), runs[i].Load(), "call %d answered without running", i)
		}
	}
	require.NotZero(t, firstAfter.Load(), "calls resume after the restart")
	require.Greater(t, lost.Load(), int64(0), "the restart cut calls in flight")
	t.Logf("router restart to first successful call: %v (made %d, answered %d, connection lost %d, handler runs %d)",
		time.Duration(firstAfter.Load()-restartedAt.Load()), made.Load(), answered.Load(), lost.Load(), served.Load())
	require.NotZero(t, reg.ID(), "the registration handle works across the restart")
	t.Logf("registration ID before the restart %d, after %d (the new router assigns it; it may coincide)", idBefore, reg.ID())
	select {
	case <-reg.Done():
		t.Fatalf("the registration ended: %v", reg.Err())
	default:
	}
	wamptest.Eventually(t, func() bool {
		s := states.get()
		return len(s) >= 2 && s[len(s)-2] == client.Reconnecting && s[len(s)-1] == client.Connected
	}, "state callback saw reconnecting then connected")
}

// callWhileRestoring calls test.echo with i. A caller can rejoin before the
// callee has registered again; such a call reached no callee
// (no_such_procedure), so it is retried, briefly.
func callWhileRestoring(ctx context.Context, c *client.Client, i int) (client.Result, error) {
	for attempt := 0; ; attempt++ {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		res, err := c.Call(cctx, client.CallRequest{Procedure: "test.echo", Payload: client.Payload{Args: []any{i}}}, nil)
		cancel()
		if !errors.Is(err, client.ErrNoSuchProcedure) || attempt == 200 {
			return res, err
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRestoreSkipsUnregisteredAndRevoked(t *testing.T) {
	leakCheck(t)
	r := wamptest.NewRestartable(t, router.Config{})
	c := dial(t, r.WebsocketURL(), client.WithReconnect(wamptest.FastBackoff))
	ctx := ctxT(t)
	keep, err := c.Register(ctx, "test.keep", echoHandler, client.RegisterOptions{})
	require.NoError(t, err)
	gone, err := c.Register(ctx, "test.gone", echoHandler, client.RegisterOptions{})
	require.NoError(t, err)
	revoked, err := c.Register(ctx, "test.revoked", echoHandler, client.RegisterOptions{})
	require.NoError(t, err)
	events := make(chan *client.Event, 4)
	_, err = c.Subscribe(ctx, "test.topic", func(ev *client.Event) { events <- ev }, client.SubscribeOptions{})
	require.NoError(t, err)

	require.NoError(t, gone.Unregister(ctx))
	authid, ticket := r.AdminCredentials()
	admin := dial(t, r.WebsocketURL(), client.WithTicket(authid, ticket), client.WithReconnect(wamptest.FastBackoff))
	require.NoError(t, metaclient.New(admin).RemoveCallee(ctx, revoked.ID(), c.ID(), "test"))
	<-revoked.Done()

	r.Stop()
	require.NoError(t, c.WaitState(ctx, client.Reconnecting))
	r.Start()
	require.NoError(t, c.WaitState(ctx, client.Connected))
	require.NoError(t, admin.WaitState(ctx, client.Connected))

	m := metaclient.New(admin)
	wamptest.Eventually(t, func() bool {
		_, found, err := m.Lookup(ctx, "test.keep", metaclient.Exact)
		return err == nil && found
	}, "live registration restored")
	for _, uri := range []string{"test.gone", "test.revoked"} {
		_, found, err := m.Lookup(ctx, uri, metaclient.Exact)
		require.NoError(t, err)
		assert.False(t, found, "%s must not be restored", uri)
	}
	assert.Equal(t, keep.ID(), mustLookup(t, m, "test.keep"), "the handle carries the new router ID")

	_, err = admin.Publish(ctx, "test.topic", client.Payload{Args: []any{"after"}}, client.PublishOptions{Acknowledge: true})
	require.NoError(t, err)
	select {
	case ev := <-events:
		assert.Equal(t, "after", ev.Args[0], "subscription restored")
	case <-time.After(3 * time.Second):
		t.Fatal("subscription not restored")
	}
}

func mustLookup(t *testing.T, m *metaclient.Client, uri string) client.ID {
	id, _, err := m.Lookup(ctxT(t), uri, metaclient.Exact)
	require.NoError(t, err)
	return id
}

func TestRestoreRefusedIsRetriedAndReported(t *testing.T) {
	leakCheck(t)
	r := wamptest.NewRouter(t)
	proxy := wamptest.NewProxy(t, r.WebsocketURL())
	var reports atomic.Int32
	var reported atomic.Pointer[client.Registration]
	c := dial(t, proxy.WebsocketURL(), client.WithReconnect(wamptest.FastBackoff),
		client.WithRestoreErrorHandler(func(reg *client.Registration, err error) {
			if errors.Is(err, client.ErrProcedureAlreadyExists) {
				reported.Store(reg)
				reports.Add(1)
			}
		}))
	other := r.WS(t)
	ctx := ctxT(t)
	reg, err := c.Register(ctx, "test.contested", echoHandler, client.RegisterOptions{})
	require.NoError(t, err)

	// The connection drops; before c is back, another session takes the URI.
	proxy.Pause()
	proxy.DropAll()
	wamptest.Eventually(t, func() bool {
		_, err := caller(other, "test.contested")
		return errors.Is(err, client.ErrNoSuchProcedure)
	})
	holder, err := other.Register(ctx, "test.contested", func(context.Context, *client.Invocation) (client.Payload, error) {
		return client.Payload{Args: []any{"holder"}}, nil
	}, client.RegisterOptions{})
	require.NoError(t, err)
	proxy.Resume()
	require.NoError(t, c.WaitState(ctx, client.Connected))
	wamptest.Eventually(t, func() bool { return reports.Load() > 1 }, "the refusal is reported, and retried")
	assert.Same(t, reg, reported.Load(), "the report names the handle")
	select {
	case <-reg.Done():
		t.Fatal("a refused registration must not be dropped")
	default:
	}
	res, err := caller(other, "test.contested")
	require.NoError(t, err)
	assert.Equal(t, "holder", res.Args[0], "meanwhile the holder serves")
	// Once the other session lets go, the retry restores it.
	require.NoError(t, holder.Unregister(ctx))
	wamptest.Eventually(t, func() bool {
		res, err := caller(other, "test.contested")
		return err == nil && len(res.Args) == 1 && res.Args[0] == "mine"
	}, "restored after the holder left")
}

func caller(c *client.Client, uri string) (client.Result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return c.Call(ctx, client.CallRequest{Procedure: uri, Payload: client.Payload{Args: []any{"mine"}}}, nil)
}

func TestInFlightCallFailsPromptlyAndWaitingCallsProceed(t *testing.T) {
	leakCheck(t)
	r := wamptest.NewRestartable(t, router.Config{})
	calleeC := dial(t, r.WebsocketURL(), client.WithReconnect(wamptest.FastBackoff))
	callerC := dial(t, r.WebsocketURL(), client.WithReconnect(wamptest.FastBackoff))
	failFast := dial(t, r.WebsocketURL(), client.WithReconnect(wamptest.FastBackoff), client.WithFailFast())
	ctx := ctxT(t)
	started := make(chan struct{}, 1)
	_, err := calleeC.Register(ctx, "test.slow", func(ctx context.Context, inv *client.Invocation) (client.Payload, error) {
		select {
		case started <- struct{}{}:
		default:
		}
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
		return inv.Payload(), nil
	}, client.RegisterOptions{})
	require.NoError(t, err)
	errc := make(chan error, 1)
	go func() {
		_, err := callerC.Call(ctx, client.CallRequest{Procedure: "test.slow"}, nil)
		errc <- err
	}()
	<-started
	r.Stop()
	begin := time.Now()
	err = <-errc
	assert.ErrorIs(t, err, client.ErrConnectionLost)
	assert.False(t, client.SafeToRetry(err), "the call was sent: it may have run")
	assert.Less(t, time.Since(begin), time.Second, "no hang")

	require.NoError(t, failFast.WaitState(ctx, client.Reconnecting))
	_, err = failFast.Call(ctx, client.CallRequest{Procedure: "test.slow"}, nil)
	assert.ErrorIs(t, err, client.ErrNotConnected)
	assert.True(t, client.SafeToRetry(err))

	waited := make(chan error, 1)
	go func() { // made while reconnecting: waits, then runs
		_, err := callerC.Call(ctx, client.CallRequest{Procedure: "test.slow", Payload: client.Payload{Args: []any{1}}}, nil)
		for errors.Is(err, client.ErrNoSuchProcedure) {
			time.Sleep(10 * time.Millisecond)
			_, err = callerC.Call(ctx, client.CallRequest{Procedure: "test.slow", Payload: client.Payload{Args: []any{1}}}, nil)
		}
		waited <- err
	}()
	time.Sleep(100 * time.Millisecond)
	select {
	case err := <-waited:
		t.Fatalf("a call made while reconnecting must wait for the connection, got %v", err)
	default:
	}
	r.Start()
	assert.NoError(t, <-waited)
}

func TestWithoutReconnectCloses(t *testing.T) {
	leakCheck(t)
	r := wamptest.NewRestartable(t, router.Config{})
	var states stateLog
	c, err := client.Connect(ctxT(t), r.WebsocketURL(), client.WithoutReconnect(), client.WithStateCallback(states.add))
	require.NoError(t, err)
	r.Stop()
	require.NoError(t, c.WaitState(ctxT(t), client.Closed))
	assert.ErrorIs(t, c.Err(), client.ErrConnectionLost, "Err says why the client closed")
	_, err = c.Call(ctxT(t), client.CallRequest{Procedure: "test.x"}, nil)
	assert.ErrorIs(t, err, client.ErrClosed)
	// WaitState(Closed) returned once the listeners' Closed call was over.
	assert.Equal(t, []client.State{client.Connected, client.Closed}, states.get())
	require.NoError(t, c.Close(ctxT(t)))
}

func TestCloseIsGraceful(t *testing.T) {
	leakCheck(t)
	r := wamptest.NewRouter(t)
	c, err := wamptest.ConnectLocal(ctxT(t), r)
	require.NoError(t, err)
	callerC := r.Local(t)
	ctx := ctxT(t)
	running := make(chan struct{})
	finished := make(chan struct{})
	_, err = c.Register(ctx, "test.work", func(ctx context.Context, _ *client.Invocation) (client.Payload, error) {
		close(running)
		time.Sleep(200 * time.Millisecond)
		close(finished)
		return client.Payload{Args: []any{"done"}}, nil
	}, client.RegisterOptions{})
	require.NoError(t, err)
	res := make(chan error, 1)
	go func() {
		_, err := callerC.Call(ctx, client.CallRequest{Procedure: "test.work"}, nil)
		res <- err
	}()
	<-running
	require.NoError(t, c.Close(ctx))
	select {
	case <-finished:
	default:
		t.Fatal("Close returned before the running handler finished")
	}
	assert.NoError(t, <-res, "the running call is answered")
	_, err = callerC.Call(ctx, client.CallRequest{Procedure: "test.work"}, nil)
	assert.ErrorIs(t, err, client.ErrNoSuchProcedure, "no new invocations after Close")
	assert.NoError(t, c.Close(ctx), "Close is idempotent")
	assert.Equal(t, client.Closed, c.State())

	// With an expired context Close returns promptly.
	c2, err := wamptest.ConnectLocal(ctxT(t), r)
	require.NoError(t, err)
	expired, cancel := context.WithCancel(context.Background())
	cancel()
	begin := time.Now()
	_ = c2.Close(expired)
	assert.Less(t, time.Since(begin), time.Second)
}

func TestStateSequenceAcrossARestart(t *testing.T) {
	leakCheck(t)
	r := wamptest.NewRestartable(t, router.Config{})
	var states stateLog
	c, err := client.Connect(ctxT(t), r.WebsocketURL(), client.WithReconnect(wamptest.FastBackoff), client.WithStateCallback(states.add))
	require.NoError(t, err)
	ctx := ctxT(t)
	require.NoError(t, c.WaitState(ctx, client.Connected))
	first := c.ID()
	r.Stop()
	require.NoError(t, c.WaitState(ctx, client.Reconnecting))
	assert.Zero(t, c.ID(), "no session while reconnecting")
	r.Start()
	require.NoError(t, c.WaitState(ctx, client.Connected))
	assert.NotEqual(t, first, c.ID(), "a new session")
	require.NoError(t, c.Close(ctx))
	require.NoError(t, c.WaitState(ctx, client.Closed))
	assert.Equal(t, []client.State{client.Connected, client.Reconnecting, client.Connected, client.Closed}, states.get(),
		"every change once, in order; WaitState(Closed) returns once Closed was delivered")
}

// A link that stalls (nothing is cut, nothing arrives) is noticed by the
// keepalive pings and replaced; while the router answers them the link
// stays.
func TestKeepAliveReplacesAStalledLink(t *testing.T) {
	leakCheck(t)
	r := wamptest.NewRouter(t)
	proxy := wamptest.NewProxy(t, r.WebsocketURL())
	// A pong may take up to one interval: 500 ms leaves room for a loaded
	// machine.
	c := dial(t, proxy.WebsocketURL(), client.WithKeepAlive(500*time.Millisecond), client.WithReconnect(wamptest.FastBackoff))
	ctx := ctxT(t)
	first := c.ID()

	time.Sleep(1500 * time.Millisecond) // three pings, all answered
	require.Equal(t, client.Connected, c.State())
	require.Equal(t, first, c.ID(), "an answering router keeps its session")

	proxy.SetDelay(2 * time.Second) // the link stalls: pongs come four pings late
	require.NoError(t, c.WaitState(ctx, client.Reconnecting))
	proxy.SetDelay(0)
	require.NoError(t, c.WaitState(ctx, client.Connected))
	assert.NotEqual(t, first, c.ID())
}

// TestCloseCancelsAHandlerThatWaitsForIt: a handler that runs until its
// context is canceled does not hold Close(context.Background()) forever:
// after a bounded grace the handler's context is canceled, it returns, and
// Close returns (its caller gets an answer rather than a hang).
func TestCloseCancelsAHandlerThatWaitsForIt(t *testing.T) {
	leakCheck(t)
	r := wamptest.NewRouter(t)
	c, err := wamptest.ConnectLocal(ctxT(t), r)
	require.NoError(t, err)
	callerC := r.Local(t)
	ctx := ctxT(t)
	running := make(chan struct{})
	canceled := make(chan struct{})
	_, err = c.Register(ctx, "test.forever", func(ctx context.Context, _ *client.Invocation) (client.Payload, error) {
		close(running)
		<-ctx.Done()
		close(canceled)
		return client.Payload{}, ctx.Err()
	}, client.RegisterOptions{})
	require.NoError(t, err)
	res := make(chan error, 1)
	go func() {
		_, err := callerC.Call(ctx, client.CallRequest{Procedure: "test.forever"}, nil)
		res <- err
	}()
	<-running
	closed := make(chan error, 1)
	go func() { closed <- c.Close(context.Background()) }()
	select {
	case err := <-closed:
		assert.NoError(t, err)
	case <-time.After(8 * time.Second): // grace 2 s + GOODBYE at most 2 s, with room for a loaded machine
		t.Fatal("Close(context.Background()) waited for a handler that waits for its context")
	}
	select {
	case <-canceled:
	default:
		t.Error("Close returned before the handler saw its context canceled")
	}
	select {
	case err := <-res:
		assert.Error(t, err, "the interrupted call fails")
	case <-ctx.Done():
		t.Fatal("the caller of the interrupted call got no answer")
	}
}
