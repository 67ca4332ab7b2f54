package client

import (
	"context"
	"errors"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/transport"
	"github.com/gammazero/nexus/v3/wamp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/internal/outgoing"
	"github.com/wampkit/wampkit/internal/wire"
)

type node struct {
	Name string
	Next *node
}

// careless returns payload values no serializer can carry, by name.
func careless() map[string]any {
	cyclicMap := map[string]any{}
	cyclicMap["self"] = cyclicMap
	cyclicList := []any{1, nil}
	cyclicList[1] = cyclicList
	ring := &node{Name: "a"}
	ring.Next = &node{Name: "b", Next: ring}
	return map[string]any{
		"cyclic map":       cyclicMap,
		"cyclic list":      cyclicList,
		"pointer cycle":    ring,
		"complex":          complex(1, 2),
		"channel":          make(chan int),
		"func":             func() {},
		"struct map key":   map[struct{ A int }]int{{1}: 1},
		"int map key":      map[int]string{1: "a"},
		"nested in struct": struct{ C chan int }{make(chan int)},
	}
}

// noMessage checks that the router received nothing within d.
func (f *fakeRouter) noMessage(d time.Duration) {
	f.t.Helper()
	select {
	case m := <-f.peer.Recv():
		f.t.Errorf("fake router: got %v, expected nothing", m.MessageType())
	case <-time.After(d):
	}
}

// A careless payload fails the call at once, on the caller's goroutine,
// with ErrInvalidPayload naming where; nothing is sent and the session goes
// on.
func TestCarelessPayloadFailsTheCall(t *testing.T) {
	f := joinFake(t, sessionConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for name, v := range careless() {
		_, err := f.sess.StartCall(ctx, engineCallRequest{Procedure: "com.p", Args: wamp.List{"ok", v}})
		require.Error(t, err, name)
		assert.ErrorIs(t, err, ErrInvalidPayload, name)
		assert.Contains(t, err.Error(), "args[1]", name)
		t.Logf("%s: %v", name, err)

		_, err = f.sess.Publish(ctx, "com.t", nil, nil, wamp.Dict{"x": wamp.Dict{"y": v}}, false)
		assert.ErrorIs(t, err, ErrInvalidPayload, name)
		assert.Contains(t, err.Error(), "kwargs.x.y", name)
	}
	f.noMessage(100 * time.Millisecond)
	// The session is intact.
	c, m := f.startCall(ctx, engineCallRequest{Procedure: "com.p", Args: wamp.List{1.5}})
	f.send(&wamp.Result{Request: m.Request, Details: wamp.Dict{}})
	_, err := c.Next(ctx)
	require.NoError(t, err)
}

// Under JSON, NaN and the infinities are an error at the call rather than
// null on the wire; other serializations carry them.
func TestNonFiniteFloats(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	strict := joinFake(t, sessionConfig{RejectNonFinite: true})
	for _, v := range []any{math.NaN(), math.Inf(1), float32(math.Inf(-1)), []any{map[string]any{"f": math.NaN()}}} {
		_, err := strict.sess.StartCall(ctx, engineCallRequest{Procedure: "com.p", Args: wamp.List{v}})
		assert.ErrorIs(t, err, ErrInvalidPayload)
		assert.Contains(t, err.Error(), "JSON")
	}
	strict.noMessage(50 * time.Millisecond)

	lax := joinFake(t, sessionConfig{})
	_, m := lax.startCall(ctx, engineCallRequest{Procedure: "com.p", Args: wamp.List{math.NaN()}})
	assert.True(t, math.IsNaN(m.Arguments[0].(float64)))
}

// A handler returning a careless result: the caller gets
// wamp.error.runtime_error instead of waiting forever; a careless progress
// is an error to the handler.
func TestCarelessAnswerFromHandler(t *testing.T) {
	f := joinFake(t, sessionConfig{})
	cyclic := careless()["cyclic map"]
	progressErr := make(chan error, 1)
	f.register("com.p", 3, func(_ context.Context, inv *Invocation) (engineResult, error) {
		progressErr <- inv.Progress(Payload{Args: []any{cyclic}})
		return engineResult{Args: wamp.List{cyclic}}, nil
	}, nil)
	f.send(&wamp.Invocation{Request: 11, Registration: 3, Details: wamp.Dict{wamp.OptReceiveProgress: true}})
	m, _ := f.expect(wamp.ERROR).(*wamp.Error)
	require.NotNil(t, m)
	assert.Equal(t, wamp.ID(11), m.Request)
	assert.Equal(t, wamp.URI("wamp.error.runtime_error"), m.Error)
	assert.Contains(t, m.Arguments[0], "could not be sent")
	assert.ErrorIs(t, <-progressErr, ErrInvalidPayload)
}

// Deep but finite nesting within the bound passes; past it is refused.
func TestPayloadDepthBound(t *testing.T) {
	f := joinFake(t, sessionConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	nest := func(n int) any {
		var v any = "leaf"
		for range n {
			v = []any{v}
		}
		return v
	}
	_, err := f.sess.StartCall(ctx, engineCallRequest{Procedure: "com.p", Args: wamp.List{nest(outgoing.MaxDepth + 5)}})
	assert.True(t, errors.Is(err, ErrInvalidPayload), "%v", err)
	_, m := f.startCall(ctx, engineCallRequest{Procedure: "com.p", Args: wamp.List{nest(outgoing.MaxDepth - 5)}})
	assert.NotNil(t, m)
}

// reportingPeer is an in-memory link whose test can report a message as
// unsent, as the wire peers do when the serializer refuses it or it is too
// large.
type reportingPeer struct {
	wamp.Peer
	mu sync.Mutex
	f  func(wamp.Message, error)
}

func (p *reportingPeer) OnUnsent(f func(wamp.Message, error)) { p.mu.Lock(); p.f = f; p.mu.Unlock() }

func (p *reportingPeer) unsent(m wamp.Message, err error) {
	p.mu.Lock()
	f := p.f
	p.mu.Unlock()
	f(m, err)
}

// A message the transport could not send fails its own request only: the
// call ends with ErrMessageTooLarge, an acknowledged publication too, and an
// invocation's answer is replaced by runtime_error for its caller.
func TestUnsentMessageFailsItsRequest(t *testing.T) {
	cli, rtr := transport.LinkedPeers()
	rp := &reportingPeer{Peer: cli}
	f := &fakeRouter{t: t, peer: rtr}
	go func() {
		if _, ok := f.expect(wamp.HELLO).(*wamp.Hello); ok {
			f.send(&wamp.Welcome{ID: 77, Details: wamp.Dict{}})
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := joinSession(ctx, rp, sessionConfig{Realm: "realm1"})
	require.NoError(t, err)
	f.sess = s
	t.Cleanup(func() {
		go f.drain()
		_ = s.Close(ctx)
		<-s.Done()
	})
	tooLarge := &wire.TooLargeError{Size: 9000, Limit: 8192}

	c, m := f.startCall(ctx, engineCallRequest{Procedure: "com.p"})
	rp.unsent(m, tooLarge)
	_, err = c.Next(ctx)
	assert.ErrorIs(t, err, ErrMessageTooLarge)

	errc := make(chan error, 1)
	go func() {
		_, err := s.Publish(ctx, "com.t", nil, wamp.List{1}, nil, true)
		errc <- err
	}()
	pub := f.expect(wamp.PUBLISH)
	rp.unsent(pub, tooLarge)
	assert.ErrorIs(t, <-errc, ErrMessageTooLarge)

	rp.unsent(&wamp.Yield{Request: 12, Options: wamp.Dict{}}, tooLarge)
	e, _ := f.expect(wamp.ERROR).(*wamp.Error)
	require.NotNil(t, e)
	assert.Equal(t, wamp.ID(12), e.Request)
	assert.Equal(t, wamp.URI("wamp.error.runtime_error"), e.Error)

	c2, m2 := f.startCall(ctx, engineCallRequest{Procedure: "com.p"})
	f.send(&wamp.Result{Request: m2.Request, Details: wamp.Dict{}})
	_, err = c2.Next(ctx)
	require.NoError(t, err, "the session goes on")
}

// HELLO details the application gave (WithHelloDetails) are checked too:
// a cyclic value fails the join, it does not reach the transport.
func TestCarelessHelloDetailsFailJoin(t *testing.T) {
	cli, rtr := transport.LinkedPeers()
	defer rtr.Close()
	cyclic := careless()["cyclic map"]
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := joinSession(ctx, cli, sessionConfig{Realm: "realm1", Hello: wamp.Dict{"authextra": wamp.Dict{"x": cyclic}}})
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrInvalidPayload)
	assert.Contains(t, err.Error(), "details.authextra.x")
}
