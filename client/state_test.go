package client_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/wamp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/wampkit/wampkit/callee"
	callerpkg "github.com/wampkit/wampkit/caller"
	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/router"
	"github.com/wampkit/wampkit/internal/wamptest"
)

// listenerLog records, in one order, which listener saw which change.
type listenerLog struct {
	mu  sync.Mutex
	got []string
}

func (l *listenerLog) listener(name string) func(client.StateChange) {
	return func(sc client.StateChange) {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.got = append(l.got, fmt.Sprintf("%s:%s:%t", name, sc.State, sc.URL != ""))
	}
}

func (l *listenerLog) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.got...)
}

// Several listeners (WithStateListener twice, WithStateCallback once) each
// see every change, in order, one change at a time: all listeners see a
// change before any sees the next, in the order they were given.
func TestSeveralStateListenersSeeEveryChangeInOrder(t *testing.T) {
	leakCheck(t)
	r := wamptest.NewRestartable(t, router.Config{})
	var log listenerLog
	cb := log.listener("cb")
	c, err := client.Connect(ctxT(t), r.WebsocketURL(), client.WithReconnect(wamptest.FastBackoff),
		client.WithStateListener(log.listener("a")),
		client.WithStateCallback(func(s client.State) { cb(client.StateChange{State: s, URL: "-"}) }),
		client.WithStateListener(log.listener("b")))
	require.NoError(t, err)
	ctx := ctxT(t)
	r.Stop()
	require.NoError(t, c.WaitState(ctx, client.Reconnecting))
	r.Start()
	require.NoError(t, c.WaitState(ctx, client.Connected))
	require.NoError(t, c.Close(ctx))
	waitDone(t, c)
	var want []string
	for _, s := range []client.State{client.Connected, client.Reconnecting, client.Connected, client.Closed} {
		for _, name := range []string{"a", "cb", "b"} {
			want = append(want, fmt.Sprintf("%s:%s:true", name, s))
		}
	}
	assert.Equal(t, want, log.get())
}

// A nil listener is refused at Connect, not ignored.
func TestNilStateListenerRefused(t *testing.T) {
	leakCheck(t)
	r := wamptest.NewRouter(t)
	_, err := wamptest.ConnectLocal(ctxT(t), r, client.WithStateListener(nil))
	assert.ErrorIs(t, err, client.ErrInvalidOption)
	_, err = wamptest.ConnectLocal(ctxT(t), r, client.WithStateCallback(nil))
	assert.ErrorIs(t, err, client.ErrInvalidOption)
}

// WaitForStateChange waits for a change away from the state it is given,
// as grpc's does: false when ctx ends first, true once the state differs;
// for Closed only once Done is closed (the listeners have had their Closed
// call).
func TestWaitForStateChange(t *testing.T) {
	leakCheck(t)
	r := wamptest.NewRestartable(t, router.Config{})
	var closedSeen atomic.Bool
	c, err := client.Connect(ctxT(t), r.WebsocketURL(), client.WithReconnect(wamptest.FastBackoff),
		client.WithStateCallback(func(s client.State) {
			if s == client.Closed {
				time.Sleep(50 * time.Millisecond) // Done waits for this call
				closedSeen.Store(true)
			}
		}))
	require.NoError(t, err)
	ctx := ctxT(t)
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	assert.False(t, c.WaitForStateChange(short, client.Connected), "nothing changes: ctx ends first")

	changed := make(chan bool, 1)
	go func() { changed <- c.WaitForStateChange(ctx, client.Connected) }()
	r.Stop()
	require.True(t, <-changed)
	assert.NotEqual(t, client.Connected, c.State())
	r.Start()
	for s := c.State(); s != client.Connected; s = c.State() {
		require.True(t, c.WaitForStateChange(ctx, s), "stuck in %s", s)
	}

	go func() { changed <- c.WaitForStateChange(ctx, client.Connected) }()
	require.NoError(t, c.Close(ctx))
	require.True(t, <-changed)
	assert.True(t, closedSeen.Load(), "WaitForStateChange saw Closed only after the listeners' Closed call")
	assert.Equal(t, client.Closed, c.State())
	short2, cancel2 := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel2()
	assert.False(t, c.WaitForStateChange(short2, client.Closed), "Closed is final")
}

// Close called from a state listener returns (it does not wait for its
// own listener), every listener still gets Closed as its last call, Done
// closes once they have returned, and nothing is left running.
func TestCloseFromStateListener(t *testing.T) {
	leakCheck(t)
	r := wamptest.NewRouter(t)
	var log listenerLog
	var c *client.Client
	closed := make(chan error, 1)
	ready := make(chan struct{})
	c, err := wamptest.ConnectLocal(ctxT(t), r,
		client.WithStateListener(func(sc client.StateChange) {
			switch sc.State {
			case client.Connected:
				<-ready
				closed <- c.Close(context.Background())
			case client.Closed:
				// Close again from the Closed call: idempotent, at once.
				closed <- c.Close(context.Background())
			}
		}),
		client.WithStateListener(log.listener("b")))
	require.NoError(t, err)
	close(ready)
	for range 2 {
		select {
		case err := <-closed:
			require.NoError(t, err)
		case <-time.After(10 * time.Second):
			t.Fatal("Close from a state listener hung")
		}
	}
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("Done not closed after the listeners returned")
	}
	assert.Equal(t, []string{"b:connected:false", "b:closed:false"}, log.get(), "in-process: no URL")
}

// Close called from an event handler returns without waiting for that
// handler; the handler's delivery goroutine ends when it returns, before
// Done closes, and nothing is left.
func TestCloseFromEventHandlerEndsEverything(t *testing.T) {
	leakCheck(t)
	r := wamptest.NewRouter(t)
	ctx := ctxT(t)
	c, err := wamptest.ConnectLocal(ctx, r)
	require.NoError(t, err)
	closed := make(chan error, 1)
	release := make(chan struct{})
	returned := make(chan struct{})
	_, err = c.Subscribe(ctx, "test.close.from.handler", func(*client.Event) {
		defer close(returned)
		closed <- c.Close(context.Background())
		<-release // still running after its Close returned
	}, client.SubscribeOptions{})
	require.NoError(t, err)
	publishSeq(t, r.Local(t), 1, "test.close.from.handler")
	select {
	case err := <-closed:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Close from an event handler hung")
	}
	assert.Equal(t, client.Closed, c.State())
	select {
	case <-c.Done():
		t.Fatal("Done closed while an event handler still runs")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	<-returned
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("Done not closed after the handler returned")
	}
}

// waitDone waits for c's Done, failing the test after 10s.
func waitDone(t testing.TB, c *client.Client) {
	t.Helper()
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("Done not closed")
	}
}

// funcName is the name a goroutine's stack shows for f.
func funcName(f any) string { return runtime.FuncForPC(reflect.ValueOf(f).Pointer()).Name() }

// A Close whose context has already ended, while an invocation handler
// ignores its canceled context, returns ctx's error at once and leaves no
// goroutine of the client behind: the only one left is the handler's own,
// and it ends when the handler returns.
func TestCloseWithEndedContextLeavesOnlyTheHandler(t *testing.T) {
	leakCheck(t)
	r := wamptest.NewRouter(t)
	ctx := ctxT(t)
	caller := r.Local(t)
	before := goleak.IgnoreCurrent() // the router and the caller
	c, err := wamptest.ConnectLocal(ctx, r)
	require.NoError(t, err)
	started := make(chan struct{})
	release := make(chan struct{})
	stubborn := func(context.Context, any) (any, error) {
		close(started)
		<-release // ignores its context
		return nil, nil
	}
	_, err = callee.Register(ctx, c, "test.stubborn", stubborn)
	require.NoError(t, err)
	called := make(chan error, 1)
	go func() {
		_, err := callerpkg.Call[any](ctx, caller, "test.stubborn", nil)
		called <- err
	}()
	<-started

	ended, cancel := context.WithCancel(ctx)
	cancel()
	begin := time.Now()
	err = c.Close(ended)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Less(t, time.Since(begin), 4*time.Second, "bounded: the UNREGISTER and GOODBYE waits end with ctx")
	assert.Equal(t, client.Closed, c.State())
	select {
	case err := <-called: // the router fails the call once the callee is gone
		assert.Error(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("the call did not end with its callee's session")
	}
	// What runs now, beside the router and the caller: the handler's own
	// goroutine, blocked in the handler, and nothing else (goleak retries
	// while the router and the client's goroutines wind down).
	if err := goleak.Find(before, goleak.IgnoreAnyFunction(funcName(stubborn))); err != nil {
		t.Errorf("goroutines of the client left behind while the handler runs: %v", err)
	}
	close(release)
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("Done not closed")
	}
	require.NoError(t, goleak.Find(before), "the handler's goroutine ended with the handler")
}

// stickyAttacher holds each handshake until the client closes its end, then
// takes a moment more to return, as a router winding a handshake down does.
type stickyAttacher struct{ returned atomic.Int32 }

func (a *stickyAttacher) Attach(p wamp.Peer) error {
	defer a.returned.Add(1)
	for range p.Recv() { // HELLO, then nothing: the client gives up and closes
	}
	time.Sleep(100 * time.Millisecond)
	return errors.New("sticky: no handshake")
}

// The in-process handshake (Attach) runs on a goroutine of the client: a
// Connect that fails has waited for it, so nothing of it is left.
func TestFailedConnectLocalLeavesNoAttach(t *testing.T) {
	leakCheck(t)
	var a stickyAttacher
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := wamptest.ConnectLocal(ctx, &a)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.EqualValues(t, 1, a.returned.Load(), "Connect returned before the Attach it started")
}

// The handlers of a session lost before Close are waited for by Close
// itself, under its ctx, not by a goroutine of the client: with a ctx
// already ended and a handler of the lost session ignoring its canceled
// context, Close returns ctx's error and only the handler's own goroutine
// is left, until the handler returns.
func TestCloseWithEndedContextAfterALostSession(t *testing.T) {
	leakCheck(t)
	r := wamptest.NewRouter(t)
	f := wamptest.NewFaulty(t, r)
	ctx := ctxT(t)
	caller := r.Local(t)
	before := goleak.IgnoreCurrent()
	var states stateLog
	c, err := wamptest.ConnectLocal(ctx, f, client.WithReconnect(wamptest.FastBackoff), client.WithStateCallback(states.add))
	require.NoError(t, err)
	started := make(chan struct{})
	release := make(chan struct{})
	stubborn := func(context.Context, any) (any, error) {
		close(started)
		<-release // ignores its context, canceled when the session is lost
		return nil, nil
	}
	_, err = callee.Register(ctx, c, "test.stubborn.lost", stubborn)
	require.NoError(t, err)
	called := make(chan error, 1)
	go func() {
		_, err := callerpkg.Call[any](ctx, caller, "test.stubborn.lost", nil)
		called <- err
	}()
	<-started
	f.DropAll()
	states.waitFor(t, func(s []client.State) bool { return len(s) >= 3 && s[len(s)-1] == client.Connected })
	select {
	case err := <-called: // the router fails the call once the callee's session is gone
		assert.Error(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("the call did not end with its callee's session")
	}

	ended, cancel := context.WithCancel(ctx)
	cancel()
	assert.ErrorIs(t, c.Close(ended), context.Canceled, "the lost session's handler still runs")
	if err := goleak.Find(before, goleak.IgnoreAnyFunction(funcName(stubborn))); err != nil {
		t.Errorf("goroutines of the client left behind while the lost session's handler runs: %v", err)
	}
	close(release)
	waitDone(t, c)
	require.NoError(t, goleak.Find(before), "the handler's goroutine ended with the handler")
}

// An invocation handler may close its client by giving Close its own
// context: Close cancels that context when it ends the session, so Close
// stops waiting for the handler (the caller of Close) and returns ctx's
// error instead of waiting for itself; nothing is left once it returns.
func TestCloseFromInvocationHandlerWithItsContext(t *testing.T) {
	leakCheck(t)
	r := wamptest.NewRouter(t)
	ctx := ctxT(t)
	c, err := wamptest.ConnectLocal(ctx, r)
	require.NoError(t, err)
	closed := make(chan error, 1)
	_, err = callee.Register(ctx, c, "test.shutdown", func(hctx context.Context, _ any) (any, error) {
		closed <- c.Close(hctx)
		return nil, nil
	})
	require.NoError(t, err)
	called := make(chan error, 1)
	go func() {
		_, err := callerpkg.Call[any](ctx, r.Local(t), "test.shutdown", nil)
		called <- err
	}()
	select {
	case err := <-closed:
		assert.ErrorIs(t, err, context.Canceled)
	case <-time.After(10 * time.Second):
		t.Fatal("Close from an invocation handler hung")
	}
	waitDone(t, c)
	assert.Error(t, <-called, "the callee closed before answering")
}

// The restore error handler runs on the client's callback goroutine, not
// on the reconnect goroutine that Close waits for: it may call Close.
func TestRestoreErrorHandlerMayClose(t *testing.T) {
	leakCheck(t)
	r := wamptest.NewRouter(t)
	proxy := wamptest.NewProxy(t, r.WebsocketURL())
	ctx := ctxT(t)
	var c *client.Client
	closed := make(chan error, 1)
	c, err := client.Connect(ctx, proxy.WebsocketURL(), client.WithReconnect(wamptest.FastBackoff),
		client.WithRestoreErrorHandler(func(_ *client.Registration, err error) {
			if !errors.Is(err, client.ErrProcedureAlreadyExists) {
				return
			}
			select {
			case closed <- c.Close(context.Background()):
			default: // a later report: Close was called already
			}
		}))
	require.NoError(t, err)
	other := r.Local(t)
	_, err = callee.Register(ctx, c, "test.restore.refused", func(context.Context, any) (any, error) { return "c", nil })
	require.NoError(t, err)

	// The connection drops; before c is back, another session takes the URI.
	proxy.Pause()
	proxy.DropAll()
	wamptest.Eventually(t, func() bool {
		_, err := caller(other, "test.restore.refused")
		return errors.Is(err, client.ErrNoSuchProcedure)
	})
	_, err = callee.Register(ctx, other, "test.restore.refused", func(context.Context, any) (any, error) { return "other", nil })
	require.NoError(t, err)
	proxy.Resume()
	select {
	case err := <-closed:
		require.NoError(t, err)
	case <-time.After(20 * time.Second):
		t.Fatal("Close from the restore error handler hung (or no report came)")
	}
	waitDone(t, c)
}
