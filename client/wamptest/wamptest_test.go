// The kit tested as a user outside the module uses it: this file imports
// public packages only (no internal/), like the Example functions beside it.
package wamptest_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"go.uber.org/goleak"

	"github.com/wampkit/wampkit/callee"
	"github.com/wampkit/wampkit/caller"
	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/client/wamptest"
	"github.com/wampkit/wampkit/metaclient"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// ctxT ends with the test, or after 20 seconds.
func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func add(_ context.Context, in [2]int) (int, error) { return in[0] + in[1], nil }

func callAdd(ctx context.Context, c *client.Client) (int, error) {
	return caller.Call[int](ctx, c, "com.example.add", caller.Args(2, 3))
}

// callAddEventually calls com.example.add until its restored callee answers (every
// 20 ms, until ctx ends).
func callAddEventually(ctx context.Context, c *client.Client) (int, error) {
	for {
		sum, err := callAdd(ctx, c)
		// Until the router has ended the cut session, a call may still go to
		// its registration, and the router answers it canceled (callee gone).
		if !errors.Is(err, client.ErrNoSuchProcedure) && !errors.Is(err, client.ErrCanceled) {
			return sum, err
		}
		select {
		case <-ctx.Done():
			return sum, err
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// fastReconnect retries every 20 ms.
func fastReconnect() client.Option {
	return client.WithReconnect(func() backoff.BackOff { return backoff.NewConstantBackOff(20 * time.Millisecond) })
}

// dial connects to url and closes the client at cleanup.
func dial(t *testing.T, url string, opts ...client.Option) *client.Client {
	t.Helper()
	c, err := client.Connect(ctxT(t), url, opts...)
	if err != nil {
		t.Fatalf("connect %s: %v", url, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := c.Close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return c
}

// stateLog records a client's state changes.
type stateLog struct {
	mu   sync.Mutex
	seen []client.State
	ch   chan client.State
}

func newStateLog() *stateLog { return &stateLog{ch: make(chan client.State, 64)} }

func (l *stateLog) add(s client.State) {
	l.mu.Lock()
	l.seen = append(l.seen, s)
	l.mu.Unlock()
	select {
	case l.ch <- s:
	default:
	}
}

// next waits for the next state change.
func (l *stateLog) next(t *testing.T) client.State {
	t.Helper()
	select {
	case s := <-l.ch:
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("no state change within 10s")
		return 0
	}
}

// TestCalleeTestedThroughCaller: the kit's first use, on every transport
// and serializer it offers.
func TestCalleeTestedThroughCaller(t *testing.T) {
	r := wamptest.NewRouter(t)
	ctx := ctxT(t)
	if _, err := callee.Register(ctx, r.Connect(t), "com.example.add", add); err != nil {
		t.Fatal(err)
	}
	users := map[string]*client.Client{"in process": r.Connect(t)}
	for _, s := range []client.Serialization{client.JSON, client.MsgPack, client.CBOR} {
		users["websocket "+s.String()] = dial(t, r.URL(), client.WithSerialization(s))
		users["rawsocket "+s.String()] = dial(t, r.RawSocketURL(), client.WithSerialization(s))
	}
	for name, c := range users {
		if sum, err := callAdd(ctx, c); err != nil || sum != 5 {
			t.Errorf("%s: add(2, 3) = %d, %v; want 5", name, sum, err)
		}
	}
}

// TestFreshRealmPerRouter: what one test registers, another test's router
// does not have; WithRealm names the realm the router's clients join.
func TestFreshRealmPerRouter(t *testing.T) {
	ctx := ctxT(t)
	a, b := wamptest.NewRouter(t), wamptest.NewRouter(t, wamptest.WithRealm("com.example.realm"))
	if _, err := callee.Register(ctx, a.Connect(t), "com.example.add", add); err != nil {
		t.Fatal(err)
	}
	if _, err := callAdd(ctx, b.Connect(t)); !errors.Is(err, client.ErrNoSuchProcedure) {
		t.Errorf("call on another router: %v, want ErrNoSuchProcedure", err)
	}
	if c := b.Connect(t); c.Realm() != "com.example.realm" || b.Realm() != "com.example.realm" {
		t.Errorf("realm: client %q, router %q", c.Realm(), b.Realm())
	}
	if _, err := wamptest.StartRouter(wamptest.WithRealm("not a realm")); !errors.Is(err, client.ErrInvalidOption) {
		t.Errorf("StartRouter with a bad realm: %v, want ErrInvalidOption", err)
	}
}

// A nil option is skipped (the one rule of wampkit's options), for the
// router's options and for the client options Connect passes on.
func TestNilOptionIsSkipped(t *testing.T) {
	var none wamptest.RouterOption
	r := wamptest.NewRouter(t, none, wamptest.WithRealm("com.example.nil"), nil)
	var noClientOption client.Option
	if c := r.Connect(t, noClientOption, client.WithRealm("com.example.nil"), nil); c.Realm() != "com.example.nil" {
		t.Errorf("realm %q, want com.example.nil", c.Realm())
	}
}

// TestRevocationSeenOnHandle: RemoveCallee from the Admin session ends the
// callee's handle with ErrRevoked; an ordinary session may not remove
// callees.
func TestRevocationSeenOnHandle(t *testing.T) {
	r := wamptest.NewRouter(t)
	ctx := ctxT(t)
	svc := r.Connect(t)
	reg, err := callee.Register(ctx, svc, "com.example.add", add)
	if err != nil {
		t.Fatal(err)
	}
	err = metaclient.New(r.Connect(t)).RemoveCallee(ctx, reg.ID(), svc.ID(), "")
	if !errors.Is(err, client.ErrNotAuthorized) {
		t.Fatalf("RemoveCallee from an anonymous session: %v, want ErrNotAuthorized", err)
	}
	// The admin credentials work over the network too.
	admin := metaclient.New(dial(t, r.URL(), client.WithTicket(r.AdminCredentials())))
	if err := admin.RemoveCallee(ctx, reg.ID(), svc.ID(), "com.example.maintenance"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-reg.Done():
	case <-ctx.Done():
		t.Fatal("the handle did not end")
	}
	var revoked *client.RevokedError
	if !errors.Is(reg.Err(), callee.ErrRevoked) || !errors.As(reg.Err(), &revoked) || revoked.Reason != "com.example.maintenance" {
		t.Errorf("Err() = %v, want ErrRevoked with the reason", reg.Err())
	}
	if _, err := callAdd(ctx, r.Admin(t)); !errors.Is(err, client.ErrNoSuchProcedure) {
		t.Errorf("call after the revocation: %v, want ErrNoSuchProcedure", err)
	}
}

// TestDropReconnectsEveryTransport: after Drop, clients on every transport
// come back with new sessions and their registrations, and Drop has let the
// router forget the old ones (no procedure_already_exists on restore).
func TestDropReconnectsEveryTransport(t *testing.T) {
	r := wamptest.NewRouter(t)
	ctx := ctxT(t)
	urls := map[string]string{"in process": "", "websocket": r.URL(), "rawsocket": r.RawSocketURL()}
	for name, url := range urls {
		t.Run(name, func(t *testing.T) {
			states := newStateLog()
			opts := []client.Option{fastReconnect(), client.WithStateCallback(states.add)}
			var svc *client.Client
			if url == "" {
				svc = r.Connect(t, opts...)
			} else {
				svc = dial(t, url, opts...)
			}
			reg, err := callee.Register(ctx, svc, "com.example.add", add)
			if err != nil {
				t.Fatal(err)
			}
			if s := states.next(t); s != client.Connected {
				t.Fatalf("first state %s", s)
			}
			before := svc.ID()
			r.Drop()
			if s := states.next(t); s != client.Reconnecting {
				t.Fatalf("after Drop: %s, want reconnecting", s)
			}
			if s := states.next(t); s != client.Connected {
				t.Fatalf("then %s, want connected", s)
			}
			if svc.ID() == before {
				t.Error("same session after Drop")
			}
			// A restore the router refused (it may not have ended the cut
			// session yet) is retried in the background after Connected:
			// the procedure comes back soon, not necessarily at once.
			if sum, err := callAddEventually(ctx, r.Connect(t)); err != nil || sum != 5 {
				t.Errorf("add after the reconnect: %d, %v", sum, err)
			}
			if err := reg.Unregister(ctx); err != nil {
				t.Errorf("unregister the restored registration: %v", err)
			}
		})
	}
}

// TestStallHoldsTraffic: a call under Stall gets no answer; after Resume
// the held traffic is delivered and calls work again.
func TestStallHoldsTraffic(t *testing.T) {
	r := wamptest.NewRouter(t)
	ctx := ctxT(t)
	if _, err := callee.Register(ctx, r.Connect(t), "com.example.add", add); err != nil {
		t.Fatal(err)
	}
	user := r.Connect(t)
	r.Stall()
	cctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	_, err := callAdd(cctx, user)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("call under Stall: %v, want DeadlineExceeded", err)
	}
	held := make(chan error, 1)
	go func() {
		_, err := callAdd(ctx, user)
		held <- err
	}()
	select {
	case err := <-held:
		t.Fatalf("a stalled call returned: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	r.Resume()
	if err := <-held; err != nil {
		t.Errorf("held call after Resume: %v", err)
	}
}

// TestStallTripsKeepAlive: over websocket, Stall holds pings too, so a
// client with keepalive gives the connection up; new connections hang
// until Resume, then the client is back.
func TestStallTripsKeepAlive(t *testing.T) {
	r := wamptest.NewRouter(t)
	states := newStateLog()
	c := dial(t, r.URL(), client.WithKeepAlive(100*time.Millisecond), fastReconnect(), client.WithStateCallback(states.add))
	if s := states.next(t); s != client.Connected {
		t.Fatalf("first state %s", s)
	}
	r.Stall()
	if s := states.next(t); s != client.Reconnecting {
		t.Fatalf("under Stall: %s, want reconnecting", s)
	}
	time.Sleep(300 * time.Millisecond)
	if s := c.State(); s != client.Reconnecting {
		t.Fatalf("still stalled: %s, want reconnecting", s)
	}
	r.Resume()
	if err := c.WaitState(ctxT(t), client.Connected); err != nil {
		t.Fatal(err)
	}
}

// TestDelayIsLatency: Delay adds latency to each message each way, and
// does not limit throughput: a burst of progressive results takes about one
// delay, not one per result.
func TestDelayIsLatency(t *testing.T) {
	r := wamptest.NewRouter(t)
	ctx := ctxT(t)
	svc, user := r.Connect(t), r.Connect(t)
	if _, err := callee.Register(ctx, svc, "com.example.add", add); err != nil {
		t.Fatal(err)
	}
	_, err := callee.RegisterProgressive(ctx, svc, "com.example.count",
		func(_ context.Context, n int, progress func(int) error) (int, error) {
			for i := range n {
				if err := progress(i); err != nil {
					return 0, err
				}
			}
			return n, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	const d = 200 * time.Millisecond // long beside a call on a loaded machine
	r.Delay(d)
	begin := time.Now()
	if _, err := callAdd(ctx, user); err != nil {
		t.Fatal(err)
	}
	// CALL, INVOCATION, YIELD and RESULT each cross one delayed link.
	if took := time.Since(begin); took < 4*d {
		t.Errorf("delayed call took %s, want at least %s", took, 4*d)
	}
	begin = time.Now()
	res := caller.Progressive[int, int](ctx, user, "com.example.count", 50)
	for _, err := range res.Progress() {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n, err := res.Result(); err != nil || n != 50 {
		t.Fatalf("result %d, %v", n, err)
	}
	if took := time.Since(begin); took < 4*d || took > 40*d {
		t.Errorf("50 delayed progressive results took %s, want about %s (not 50 delays)", took, 4*d)
	}
	r.Delay(0)
	begin = time.Now()
	if _, err := callAdd(ctx, user); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(begin); took >= 4*d {
		t.Errorf("call after Delay(0) took %s", took)
	}
}

// TestRestartSameURL: clients reconnect to the restarted router at the
// URL they know and restore their registrations in the new, empty realm.
func TestRestartSameURL(t *testing.T) {
	r := wamptest.NewRouter(t)
	ctx := ctxT(t)
	url, raw := r.URL(), r.RawSocketURL()
	svc := dial(t, url, fastReconnect())
	if _, err := callee.Register(ctx, svc, "com.example.add", add); err != nil {
		t.Fatal(err)
	}
	before := svc.ID()

	r.Stop()
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	_, err := r.Dial(cctx, client.WithoutReconnect())
	cancel()
	if !errors.Is(err, wamptest.ErrStopped) {
		t.Fatalf("Dial on a stopped router: %v, want ErrStopped", err)
	}
	if _, err := client.Connect(ctx, url, client.WithoutReconnect()); err == nil {
		t.Fatal("Connect succeeded on a stopped router")
	}
	if err := r.Start(); err != nil {
		t.Fatal(err)
	}
	if r.URL() != url || r.RawSocketURL() != raw {
		t.Errorf("URLs changed: %s %s -> %s %s", url, raw, r.URL(), r.RawSocketURL())
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		sum, err := callAdd(ctx, dial(t, raw))
		if err == nil && sum == 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no restored registration after the restart: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if svc.ID() == before {
		t.Error("same session after the restart")
	}
	if err := r.Restart(50 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
}

// TestCleanupIsBounded: a test that leaves the router stopped, stalled or
// delayed still cleans up at once: clients first, then the router.
func TestCleanupIsBounded(t *testing.T) {
	for name, fault := range map[string]func(*wamptest.Router){
		"stopped": (*wamptest.Router).Stop,
		"stalled": (*wamptest.Router).Stall,
		"delayed": func(r *wamptest.Router) { r.Delay(time.Hour) },
	} {
		var begin time.Time
		t.Run(name, func(t *testing.T) {
			r := wamptest.NewRouter(t)
			ctx := ctxT(t)
			for range 3 {
				if _, err := callee.Register(ctx, r.Connect(t), "com.example.add", add, callee.Invoke(callee.RoundRobin)); err != nil {
					t.Fatal(err)
				}
			}
			_ = r.Admin(t)
			fault(r)
			begin = time.Now()
		})
		if took := time.Since(begin); took > 5*time.Second { // a hung cleanup takes 10 s
			t.Errorf("%s: cleanup took %s", name, took)
		}
	}
}

// TestStartRouterWithoutTB: programs and Examples start and close a router
// themselves; Close is idempotent and a closed router refuses to start.
func TestStartRouterWithoutTB(t *testing.T) {
	r, err := wamptest.StartRouter()
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	c, err := r.Dial(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := callee.Register(ctx, c, "com.example.add", add); err != nil {
		t.Fatal(err)
	}
	if sum, err := callAdd(ctx, c); err != nil || sum != 5 {
		t.Fatalf("add = %d, %v", sum, err)
	}
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := r.Start(); err == nil {
		t.Error("Start after Close succeeded")
	}
}

// TestDropClientCutsOneClient: DropClient cuts the callee's connection and
// leaves the caller's; the callee comes back with its registration.
func TestDropClientCutsOneClient(t *testing.T) {
	r := wamptest.NewRouter(t)
	ctx := ctxT(t)
	svcStates, userStates := newStateLog(), newStateLog()
	svc := r.Connect(t, fastReconnect(), client.WithStateCallback(svcStates.add))
	user := r.Connect(t, client.WithStateCallback(userStates.add))
	if _, err := callee.Register(ctx, svc, "com.example.add", add); err != nil {
		t.Fatal(err)
	}
	svcStates.next(t)
	userStates.next(t)
	userSession := user.ID()

	if err := r.DropClient(svc); err != nil {
		t.Fatal(err)
	}
	if s := svcStates.next(t); s != client.Reconnecting {
		t.Fatalf("callee after DropClient: %s, want reconnecting", s)
	}
	if s := svcStates.next(t); s != client.Connected {
		t.Fatalf("callee then: %s, want connected", s)
	}
	if sum, err := callAdd(ctx, user); err != nil || sum != 5 {
		t.Errorf("add after the callee's reconnect: %d, %v", sum, err)
	}
	if user.ID() != userSession || len(userStates.ch) != 0 {
		t.Errorf("the caller was cut too: session %d -> %d, %d state changes", userSession, user.ID(), len(userStates.ch))
	}

	if err := r.DropClient(dial(t, r.URL())); err == nil {
		t.Error("DropClient of a network client succeeded")
	}
	if err := r.DropClient(wamptest.NewRouter(t).Connect(t)); err == nil {
		t.Error("DropClient of another router's client succeeded")
	}
}
