package client

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/transport"
	"github.com/gammazero/nexus/v3/wamp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/internal/wire"
)

func echo(_ context.Context, inv *Invocation) (engineResult, error) {
	return engineResult{Args: inv.args}, nil
}

func TestRevocationReachesEngineWithIDAndReason(t *testing.T) {
	var mu sync.Mutex
	var gotReg *sessionReg
	var gotReason string
	revoked := make(chan struct{})
	f := joinFake(t, sessionConfig{OnRevoke: func(reg *sessionReg, reason string) {
		mu.Lock()
		gotReg, gotReason = reg, reason
		mu.Unlock()
		close(revoked)
	}})
	reg := f.register("com.app.proc", 4242, echo, nil)
	f.send(&wire.Unregistered{Request: 0, Details: wire.RevocationDetails(4242, "moving endpoint")})
	select {
	case <-revoked:
	case <-time.After(2 * time.Second):
		t.Fatal("revocation not delivered")
	}
	mu.Lock()
	assert.Same(t, reg, gotReg)
	assert.Equal(t, "moving endpoint", gotReason)
	mu.Unlock()
	ok, reason := reg.Revoked()
	assert.True(t, ok)
	assert.Equal(t, "moving endpoint", reason)
	assert.Empty(t, f.sess.Registrations(), "a revoked registration is gone from the engine")

	// An INVOCATION for the revoked registration is refused, not run.
	f.send(&wamp.Invocation{Request: 9, Registration: 4242, Details: wamp.Dict{}})
	e := f.expect(wamp.ERROR).(*wamp.Error)
	assert.Equal(t, wamp.ErrNoSuchRegistration, e.Error)
}

func TestInvocationIDsInAnyOrder(t *testing.T) {
	f := joinFake(t, sessionConfig{})
	f.register("com.app.echo", 1, echo, nil)
	// fox-wamp style random IDs: decreasing and sparse.
	ids := []wamp.ID{900000, 17, 123456789, 3, 42}
	for i, id := range ids {
		f.send(&wamp.Invocation{Request: id, Registration: 1, Details: wamp.Dict{}, Arguments: wamp.List{i}})
	}
	seen := map[wamp.ID]bool{}
	for range ids {
		y := f.expect(wamp.YIELD).(*wamp.Yield)
		seen[y.Request] = true
	}
	for _, id := range ids {
		assert.True(t, seen[id], "invocation %d answered", id)
	}
}

func TestMalformedMessageEndsSessionWithProtocolViolation(t *testing.T) {
	f := joinFake(t, sessionConfig{})
	f.send(&wire.Malformed{Err: errors.New("bad frame"), Size: 3})
	a := f.expect(wamp.ABORT).(*wamp.Abort)
	assert.Equal(t, wamp.ErrProtocolViolation, a.Reason)
	select {
	case <-f.sess.Done():
	case <-time.After(2 * time.Second):
		t.Fatal("session did not end")
	}
	assert.ErrorIs(t, f.sess.Err(), ErrProtocol)
}

func TestUnexpectedMessageEndsSession(t *testing.T) {
	f := joinFake(t, sessionConfig{})
	f.send(&wamp.Welcome{ID: 5, Details: wamp.Dict{}})
	a := f.expect(wamp.ABORT).(*wamp.Abort)
	assert.Equal(t, wamp.ErrProtocolViolation, a.Reason)
	<-f.sess.Done()
}

func TestPendingCallFailsOnConnectionLoss(t *testing.T) {
	f := joinFake(t, sessionConfig{})
	ctx := context.Background()
	call, _ := f.startCall(ctx, engineCallRequest{Procedure: "com.app.x"})
	f.hangUp() // router goes away
	_, err := call.Next(ctx)
	assert.ErrorIs(t, err, ErrConnectionLost)
}

func TestLateResultAfterKillNoWaitIsDropped(t *testing.T) {
	f := joinFake(t, sessionConfig{})
	ctx, cancel := context.WithCancel(context.Background())
	call, c := f.startCall(ctx, engineCallRequest{Procedure: "com.app.x"})
	cancel()
	cancelMsg := f.expectAsync(wamp.CANCEL)
	_, err := call.Next(ctx)
	assert.ErrorIs(t, err, context.Canceled)
	cn := (<-cancelMsg).(*wamp.Cancel)
	assert.Equal(t, "killnowait", cn.Options["mode"])
	// The router's answer and a stray RESULT arrive late: nothing breaks.
	f.send(&wamp.Error{Type: wamp.CALL, Request: c.Request, Details: wamp.Dict{}, Error: wamp.ErrCanceled})
	f.send(&wamp.Result{Request: c.Request, Details: wamp.Dict{}})
	call2, c2 := f.startCall(context.Background(), engineCallRequest{Procedure: "com.app.y"})
	f.send(&wamp.Result{Request: c2.Request, Details: wamp.Dict{}, Arguments: wamp.List{"ok"}})
	r, err := call2.Next(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "ok", r.Args[0])
}

func TestInterruptCancelsHandler(t *testing.T) {
	f := joinFake(t, sessionConfig{})
	started := make(chan struct{})
	f.register("com.app.slow", 1, func(ctx context.Context, _ *Invocation) (engineResult, error) {
		close(started)
		<-ctx.Done()
		return engineResult{}, ctx.Err()
	}, nil)
	f.send(&wamp.Invocation{Request: 5, Registration: 1, Details: wamp.Dict{}})
	<-started
	f.send(&wamp.Interrupt{Request: 5, Options: wamp.Dict{"mode": "kill"}})
	e := f.expect(wamp.ERROR).(*wamp.Error)
	assert.Equal(t, wamp.ErrCanceled, e.Error)
}

func TestGoodbyeFromRouterIsAcknowledged(t *testing.T) {
	f := joinFake(t, sessionConfig{})
	f.send(&wamp.Goodbye{Reason: wamp.CloseSystemShutdown, Details: wamp.Dict{}})
	g := f.expect(wamp.GOODBYE).(*wamp.Goodbye)
	assert.Equal(t, wamp.CloseGoodbyeAndOut, g.Reason)
	<-f.sess.Done()
	var e *Error
	require.ErrorAs(t, f.sess.Err(), &e)
	assert.Equal(t, string(wamp.CloseSystemShutdown), e.URI)
}

func TestAnnouncedFeatures(t *testing.T) {
	cliHello := make(chan *wamp.Hello, 1)
	f := &fakeRouter{t: t}
	_ = f
	// joinSession against a router that records HELLO.
	fr := joinFakeHello(t, cliHello)
	_ = fr
	h := <-cliHello
	roles := h.Details["roles"].(wamp.Dict)
	callee := roles["callee"].(wamp.Dict)["features"].(wamp.Dict)
	for _, feat := range []string{"progressive_call_results", "call_canceling", "progressive_call_invocations",
		"pattern_based_registration", "shared_registration", "caller_identification", "call_timeout", "registration_revocation"} {
		assert.Equal(t, true, callee[feat], feat)
	}
	caller := roles["caller"].(wamp.Dict)["features"].(wamp.Dict)
	for _, feat := range []string{"progressive_call_results", "call_canceling", "progressive_call_invocations", "call_timeout"} {
		assert.Equal(t, true, caller[feat], feat)
	}
}

// Cancel in kill mode waits for the callee's answer; a callee (or router)
// that never answers cannot keep the call pending past KillWait.
func TestExplicitCancelEndsWithinKillWait(t *testing.T) {
	for _, mode := range []CancelMode{CancelKill, CancelKillNoWait, CancelSkip} {
		t.Run(string(mode), func(t *testing.T) {
			f := joinFake(t, sessionConfig{})
			ctx := context.Background()
			call, _ := f.startCall(ctx, engineCallRequest{Procedure: "com.app.deaf", CancelMode: mode, KillWait: 100 * time.Millisecond})
			cancelMsg := f.expectAsync(wamp.CANCEL)
			begin := time.Now()
			call.Cancel()
			cn := (<-cancelMsg).(*wamp.Cancel)
			assert.Equal(t, string(mode), cn.Options["mode"])
			// The router never answers.
			_, err := call.Next(ctx)
			var ce *canceledError
			require.ErrorAs(t, err, &ce)
			assert.ErrorIs(t, err, context.Canceled)
			assert.Equal(t, mode, ce.mode)
			assert.GreaterOrEqual(t, time.Since(begin), 100*time.Millisecond, "the answer was waited for")
		})
	}
}

// When the answer comes in time, it is what Next returns.
func TestExplicitCancelReturnsTheAnswer(t *testing.T) {
	f := joinFake(t, sessionConfig{})
	ctx := context.Background()
	call, c := f.startCall(ctx, engineCallRequest{Procedure: "com.app.x", CancelMode: CancelKill, KillWait: time.Minute})
	cancelMsg := f.expectAsync(wamp.CANCEL)
	call.Cancel()
	<-cancelMsg
	f.send(&wamp.Error{Type: wamp.CALL, Request: c.Request, Details: wamp.Dict{}, Error: wamp.ErrCanceled, Arguments: wamp.List{"interrupted"}})
	_, err := call.Next(ctx)
	var re *Error
	require.ErrorAs(t, err, &re)
	assert.Equal(t, string(wamp.ErrCanceled), re.URI)
}

// A transport that dies before the router has read HELLO fails the join at
// once, not when the join's context ends.
func TestJoinFailsAtOnceWhenTheLinkDiesBeforeHello(t *testing.T) {
	cli, rtr := transport.LinkedPeers()
	rtr.Close() // the client's receive side closes; nobody will read HELLO
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	begin := time.Now()
	_, err := joinSession(ctx, cli, sessionConfig{Realm: "realm1"})
	assert.ErrorIs(t, err, ErrConnectionLost)
	assert.Less(t, time.Since(begin), 2*time.Second, "not held until the context ends")
}
