package client_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/gammazero/nexus/v3/wamp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/router"
	"github.com/wampkit/wampkit/internal/wamptest"
	"github.com/wampkit/wampkit/metaclient"
)

// leakCheck verifies, after every other cleanup of the test, that no
// goroutine is left. Call it first.
func leakCheck(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
}

func TestReconnectGivesUpAfterMaxRetries(t *testing.T) {
	leakCheck(t)
	r := wamptest.NewRestartable(t, router.Config{})
	var states stateLog
	c := dial(t, r.WebsocketURL(), client.WithStateCallback(states.add),
		client.WithReconnect(func() backoff.BackOff {
			return backoff.WithMaxRetries(backoff.NewConstantBackOff(10*time.Millisecond), 3)
		}))
	ctx := ctxT(t)
	reg, err := c.Register(ctx, "test.echo", echoHandler, client.RegisterOptions{})
	require.NoError(t, err)

	r.Stop()
	require.NoError(t, c.WaitState(ctx, client.Closed))
	var re *client.ReconnectError
	require.ErrorAs(t, c.Err(), &re)
	assert.Equal(t, 4, re.Attempts, "the first attempt and 3 retries")
	assert.ErrorIs(t, c.Err(), client.ErrReconnectFailed)
	assert.ErrorIs(t, c.Err(), client.ErrConnectionLost)

	_, err = c.Call(ctx, client.CallRequest{Procedure: "test.echo"}, nil)
	assert.ErrorIs(t, err, client.ErrClosed)
	assert.ErrorIs(t, err, client.ErrReconnectFailed, "the request error says why")
	assert.True(t, client.SafeToRetry(err))
	<-reg.Done()
	assert.ErrorIs(t, reg.Err(), client.ErrConnectionLost)
	select {
	case <-c.Done():
	default:
		t.Fatal("Done is closed once Closed")
	}
	require.NoError(t, c.Close(ctx))
	assert.Equal(t, []client.State{client.Connected, client.Reconnecting, client.Closed}, states.get())
}

func TestReconnectGivesUpAfterMaxElapsed(t *testing.T) {
	leakCheck(t)
	r := wamptest.NewRestartable(t, router.Config{})
	c := dial(t, r.WebsocketURL(), client.WithReconnect(func() backoff.BackOff {
		b := backoff.NewExponentialBackOff()
		b.InitialInterval, b.MaxInterval, b.MaxElapsedTime = 10*time.Millisecond, 50*time.Millisecond, 300*time.Millisecond
		return b
	}))
	r.Stop()
	begin := time.Now()
	require.NoError(t, c.WaitState(ctxT(t), client.Closed))
	assert.Less(t, time.Since(begin), 3*time.Second)
	assert.ErrorIs(t, c.Err(), client.ErrReconnectFailed)
}

func TestCloseWhileReconnecting(t *testing.T) {
	leakCheck(t)
	r := wamptest.NewRestartable(t, router.Config{})
	for i := range 10 {
		var states stateLog
		c, err := client.Connect(ctxT(t), r.WebsocketURL(), client.WithReconnect(wamptest.FastBackoff), client.WithStateCallback(states.add))
		require.NoError(t, err)
		_, err = c.Register(ctxT(t), "test.echo", echoHandler, client.RegisterOptions{})
		require.NoError(t, err)
		waiting := make(chan error, 1)
		r.Stop()
		require.NoError(t, c.WaitState(ctxT(t), client.Reconnecting))
		go func() { // made while reconnecting: waits, then fails with the close
			_, err := c.Call(ctxT(t), client.CallRequest{Procedure: "test.echo"}, nil)
			waiting <- err
		}()
		if i%2 == 1 {
			r.Start() // Close races the rejoin and restore
			time.Sleep(time.Duration(i) * time.Millisecond)
		}
		begin := time.Now()
		require.NoError(t, c.Close(ctxT(t)))
		// Close is bounded (a silent router costs at most 2 s for the
		// UNREGISTERs and 2 s for the GOODBYE); the rest is slack for a
		// loaded machine. A hang would be the bug.
		assert.Less(t, time.Since(begin), 8*time.Second)
		select {
		case err := <-waiting:
			// Answered before Close, refused by Close, crossed with
			// Close's UNREGISTER (no_such_registration), or sent on the
			// restored session and cut by Close's GOODBYE (connection
			// lost, it may have run): never a hang.
			if err != nil && !client.IsRemote(err) && !errors.Is(err, client.ErrConnectionLost) {
				assert.ErrorIs(t, err, client.ErrClosed)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("a call waiting for the connection must end with Close")
		}
		<-c.Done() // the listeners' Closed call is over
		s := states.get()
		require.NotEmpty(t, s)
		assert.Equal(t, client.Closed, s[len(s)-1], "Closed is the last state: %v", s)
		assert.Equal(t, client.Closed, c.State())
		r.Start()
	}
}

func TestStateCallbackMayClose(t *testing.T) {
	leakCheck(t)
	r := wamptest.NewRestartable(t, router.Config{})
	var c *client.Client
	ready := make(chan struct{})
	closed := make(chan error, 1)
	c, err := client.Connect(ctxT(t), r.WebsocketURL(), client.WithReconnect(wamptest.FastBackoff),
		client.WithStateCallback(func(s client.State) {
			if s == client.Reconnecting {
				<-ready
				closed <- c.Close(context.Background()) // on the callback goroutine
			}
		}))
	require.NoError(t, err)
	close(ready)
	r.Stop()
	select {
	case err := <-closed:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("Close from the state callback deadlocked")
	}
	require.NoError(t, c.WaitState(ctxT(t), client.Closed))
	require.NoError(t, c.Close(ctxT(t)), "and again from the test")
}

func TestWaitStateOnClosedClient(t *testing.T) {
	leakCheck(t)
	r := wamptest.NewRouter(t)
	c, err := wamptest.ConnectLocal(ctxT(t), r)
	require.NoError(t, err)
	require.NoError(t, c.WaitState(ctxT(t), client.Connected))
	require.NoError(t, c.Close(ctxT(t)))
	assert.ErrorIs(t, c.WaitState(ctxT(t), client.Reconnecting), client.ErrClosed)
	assert.NoError(t, c.WaitState(ctxT(t), client.Closed))
	short, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	c2 := r.Local(t)
	assert.ErrorIs(t, c2.WaitState(short, client.Reconnecting), context.DeadlineExceeded)
	for s, want := range map[client.State]string{client.Connecting: "connecting", client.Connected: "connected",
		client.Reconnecting: "reconnecting", client.Closed: "closed", client.State(9): "State(9)"} {
		assert.Equal(t, want, s.String())
	}
}

// TestChurnAcrossDrops registers and unregisters while the connection is
// cut again and again: in the end the router holds exactly the live
// registrations, each once.
func TestChurnAcrossDrops(t *testing.T) {
	leakCheck(t)
	r := wamptest.NewRouter(t)
	f := wamptest.NewFaulty(t, r)
	ctx := ctxT(t)
	var states stateLog
	c, err := wamptest.ConnectLocal(ctx, f, client.WithReconnect(wamptest.FastBackoff), client.WithStateCallback(states.add))
	require.NoError(t, err)
	t.Cleanup(func() { closeClient(t, c) })
	admin := r.Local(t)

	const n = 40
	var (
		mu   sync.Mutex
		live = map[string]*client.Registration{}
	)
	// The dropper cuts the connection 10 ms after each reconnect, so every
	// cut hits a live session however loaded the machine is.
	stop := make(chan struct{})
	var (
		dropper sync.WaitGroup
		drops   atomic.Int32
	)
	dropper.Add(1)
	go func() {
		defer dropper.Done()
		for {
			wctx, cancel := context.WithCancel(ctx)
			go func() {
				select {
				case <-stop:
				case <-wctx.Done():
				}
				cancel()
			}()
			err := c.WaitState(wctx, client.Connected)
			cancel()
			if err != nil {
				return
			}
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
				f.DropAll()
				drops.Add(1)
			}
		}
	}()
	stopDropper := sync.OnceFunc(func() { close(stop); dropper.Wait() })
	t.Cleanup(stopDropper) // also when the test fails half way
	for i := range n {
		uri := fmt.Sprintf("test.churn.%d", i)
		rctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		reg, err := c.Register(rctx, uri, echoHandler, client.RegisterOptions{})
		cancel()
		if err != nil {
			// Lost in flight (it may exist on the router only until that
			// session is gone), or never sent while reconnecting: either way
			// the client does not keep it.
			if !errors.Is(err, client.ErrConnectionLost) {
				require.ErrorIs(t, err, client.ErrNotConnected, "register %s", uri)
				require.True(t, client.SafeToRetry(err), "nothing was sent for %s", uri)
			}
			continue
		}
		mu.Lock()
		live[uri] = reg
		mu.Unlock()
		if i%3 == 0 {
			require.NoError(t, reg.Unregister(ctx))
			mu.Lock()
			delete(live, uri)
			mu.Unlock()
		}
		time.Sleep(3 * time.Millisecond)
	}
	wamptest.Eventually(t, func() bool { return drops.Load() >= 3 })
	stopDropper()
	require.NoError(t, c.WaitState(ctx, client.Connected))
	reconnects := 0
	for _, s := range states.get() {
		if s == client.Reconnecting {
			reconnects++
		}
	}
	require.GreaterOrEqual(t, reconnects, 3, "the churn crossed several reconnects")
	t.Logf("%d reconnects, %d live registrations of %d", reconnects, len(live), n)

	m := metaclient.New(admin)
	wamptest.Eventually(t, func() bool {
		for i := range n {
			uri := fmt.Sprintf("test.churn.%d", i)
			id, found, err := m.Lookup(ctx, uri, metaclient.Exact)
			if err != nil {
				return false
			}
			reg, want := live[uri]
			if found != want {
				return false
			}
			if want {
				if count, err := m.CountCallees(ctx, id); err != nil || count != 1 || reg.ID() != id {
					return false
				}
			}
		}
		return true
	}, "the router holds exactly the live registrations, once each")
	for uri := range live {
		res, err := c.Call(ctx, client.CallRequest{Procedure: uri, Payload: client.Payload{Args: []any{uri}}}, nil)
		require.NoError(t, err)
		assert.Equal(t, uri, res.Args[0])
	}
}

func TestRefusedRestoreEndsWhenThePolicyStops(t *testing.T) {
	leakCheck(t)
	r := wamptest.NewRouter(t)
	proxy := wamptest.NewProxy(t, r.WebsocketURL())
	reports := make(chan error, 16)
	var policies atomic.Int32
	c := dial(t, proxy.WebsocketURL(),
		client.WithReconnect(func() backoff.BackOff {
			// The reconnect (first policy) retries until the proxy is
			// back; the restore retries (later ones) stop after 2.
			if policies.Add(1) == 1 {
				return backoff.NewConstantBackOff(10 * time.Millisecond)
			}
			return backoff.WithMaxRetries(backoff.NewConstantBackOff(10*time.Millisecond), 2)
		}),
		client.WithRestoreErrorHandler(func(_ *client.Registration, err error) { reports <- err }))
	other := r.WS(t)
	ctx := ctxT(t)
	reg, err := c.Register(ctx, "test.contested", echoHandler, client.RegisterOptions{})
	require.NoError(t, err)
	proxy.Pause()
	proxy.DropAll()
	require.NoError(t, c.WaitState(ctx, client.Reconnecting))
	wamptest.Eventually(t, func() bool {
		_, err := other.Register(ctx, "test.contested", echoHandler, client.RegisterOptions{})
		return err == nil
	}, "the other session takes the procedure")
	proxy.Resume()
	select {
	case <-reg.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the registration neither restored nor ended")
	}
	assert.ErrorIs(t, reg.Err(), client.ErrProcedureAlreadyExists, "it ends with the refusal, not silently")
	// The reports reach the handler on the client's callback goroutine,
	// in order, possibly after Done: wait for the four.
	for n := range 4 {
		select {
		case err := <-reports:
			assert.ErrorIs(t, err, client.ErrProcedureAlreadyExists)
		case <-time.After(5 * time.Second):
			t.Fatalf("%d reports, want 4: the first refusal, 2 retries, and the end", n)
		}
	}
	select {
	case err := <-reports:
		t.Errorf("a fifth report: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	assert.Equal(t, client.Connected, c.State(), "the client itself is fine")
}

// TestSessionLostDuringRestoreBacksOff: a router that welcomes the client
// and drops it while its state is restored is retried under the backoff
// policy, not in a tight loop; in the end the client is restored.
//
// The restored state is a subscription: a registration would race the
// router's cleanup of the session just cut (the new REGISTER can meet
// procedure_already_exists, which by design moves the client to Connected
// and retries the registration in the background).
func TestSessionLostDuringRestoreBacksOff(t *testing.T) {
	leakCheck(t)
	r := wamptest.NewRouter(t)
	f := wamptest.NewFaulty(t, r)
	ctx := ctxT(t)
	var states stateLog
	c, err := wamptest.ConnectLocal(ctx, f, client.WithStateCallback(states.add),
		client.WithReconnect(func() backoff.BackOff { return backoff.NewConstantBackOff(50 * time.Millisecond) }))
	require.NoError(t, err)
	t.Cleanup(func() { closeClient(t, c) })
	events := make(chan *client.Event, 1)
	sub, err := c.Subscribe(ctx, "test.topic", func(ev *client.Event) { events <- ev }, client.SubscribeOptions{})
	require.NoError(t, err)

	var cuts atomic.Int32
	f.SetFault(func(m wamp.Message) (bool, time.Duration) {
		if m.MessageType() == wamp.SUBSCRIBED && cuts.Add(1) <= 3 {
			go f.DropAll() // the session dies while restoring
			return true, 0
		}
		return false, 0
	})
	begin := time.Now()
	f.DropAll()
	require.NoError(t, c.WaitState(ctx, client.Reconnecting))
	// Connected again, after the restore that survived the cuts.
	states.waitFor(t, func(s []client.State) bool { return len(s) >= 3 && s[len(s)-1] == client.Connected })
	elapsed := time.Since(begin)
	assert.Greater(t, cuts.Load(), int32(3))
	assert.GreaterOrEqual(t, elapsed, 150*time.Millisecond, "three lost sessions, three backoff waits")
	assert.Equal(t, []client.State{client.Connected, client.Reconnecting, client.Connected}, states.get(),
		"no Connected for a session that was never restored")

	pub := r.Local(t)
	_, err = pub.Publish(ctx, "test.topic", client.Payload{Args: []any{"after"}}, client.PublishOptions{Acknowledge: true})
	require.NoError(t, err)
	select {
	case ev := <-events:
		assert.Equal(t, "after", ev.Args[0], "the subscription was restored")
	case <-ctx.Done():
		t.Fatal("no event after the restore")
	}
	assert.NotZero(t, sub.ID())
}
