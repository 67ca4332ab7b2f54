package client

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/wamp"
	"github.com/stretchr/testify/require"
)

// fakeRouter is the router side of an in-memory link, driven by the test.
type fakeRouter struct {
	t      testing.TB
	peer   wamp.Peer
	sess   *session
	mu     sync.Mutex // hungUp and the sends of drain's GOODBYE
	hungUp bool
}

// hangUp closes the router side once.
func (f *fakeRouter) hangUp() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.hungUp {
		f.hungUp = true
		f.peer.Close()
	}
}

// fakeRoles is the fake router's roles: a dealer announcing the features
// the engine uses (call_canceling, progressive results and invocations),
// or none when bare.
func fakeRoles(full bool) wamp.Dict {
	feats := wamp.Dict{}
	if full {
		for _, f := range []string{"call_canceling", "progressive_call_results", "progressive_call_invocations", "call_timeout"} {
			feats[f] = true
		}
	}
	return wamp.Dict{"dealer": wamp.Dict{"features": feats}}
}

// joinFake joins a session to a scripted router that answers HELLO with
// WELCOME(session 77). Its dealer announces the features the engine uses,
// unless cfg.AssumeFeatures is set (even empty): then it announces none.
func joinFake(t testing.TB, cfg sessionConfig) *fakeRouter {
	t.Helper()
	return joinFakeWith(t, cfg, wamp.Dict{"roles": fakeRoles(cfg.AssumeFeatures == nil)})
}

// joinFakeWith is joinFake with the WELCOME details given.
func joinFakeWith(t testing.TB, cfg sessionConfig, welcome wamp.Dict) *fakeRouter {
	t.Helper()
	cli, rtr := linkedPeers(64, localSendQueue) // the in-process link as it ships
	f := &fakeRouter{t: t, peer: rtr}
	go func() {
		if _, ok := f.expect(wamp.HELLO).(*wamp.Hello); ok {
			f.send(&wamp.Welcome{ID: 77, Details: welcome})
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if cfg.Realm == "" {
		cfg.Realm = "realm1"
	}
	s, err := joinSession(ctx, cli, cfg)
	require.NoError(t, err)
	f.sess = s
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		go f.drain()
		_ = s.Close(ctx)
		<-s.Done()
	})
	return f
}

// drain answers GOODBYE and closes the router side when the client leaves.
func (f *fakeRouter) drain() {
	for msg := range f.peer.Recv() {
		if _, ok := msg.(*wamp.Goodbye); ok {
			// The client may have queued its GOODBYE before it saw a
			// router that hung up: no answer then.
			f.mu.Lock()
			if !f.hungUp {
				f.peer.Send() <- &wamp.Goodbye{Reason: wamp.CloseGoodbyeAndOut, Details: wamp.Dict{}}
			}
			f.mu.Unlock()
		}
	}
	f.hangUp()
}

func (f *fakeRouter) send(msg wamp.Message) {
	select {
	case f.peer.Send() <- msg:
	case <-time.After(2 * time.Second):
		f.t.Errorf("fake router: could not send %v", msg.MessageType())
	}
}

// expect reads the next message from the client and checks its type.
func (f *fakeRouter) expect(typ wamp.MessageType) wamp.Message {
	select {
	case msg, ok := <-f.peer.Recv():
		if !ok {
			f.t.Errorf("fake router: client went away, expected %v", typ)
			return nil
		}
		if msg.MessageType() != typ {
			f.t.Errorf("fake router: got %v, expected %v", msg.MessageType(), typ)
		}
		return msg
	case <-time.After(2 * time.Second):
		f.t.Errorf("fake router: no %v within 2s", typ)
		return nil
	}
}

// register performs a registration and answers it with router ID regID.
func (f *fakeRouter) register(proc string, regID wamp.ID, h engineHandler, opts wamp.Dict) *sessionReg {
	f.t.Helper()
	done := make(chan *sessionReg, 1)
	go func() {
		reg, err := f.sess.Register(context.Background(), proc, opts, h.handler(), nil)
		require.NoError(f.t, err)
		done <- reg
	}()
	m := f.expect(wamp.REGISTER).(*wamp.Register)
	f.send(&wamp.Registered{Request: m.Request, Registration: regID})
	return <-done
}

// joinFakeHello joins like joinFake and hands the HELLO to the test.
func joinFakeHello(t testing.TB, hello chan<- *wamp.Hello) *fakeRouter {
	t.Helper()
	cli, rtr := linkedPeers(64, localSendQueue) // the in-process link as it ships
	f := &fakeRouter{t: t, peer: rtr}
	go func() {
		if h, ok := f.expect(wamp.HELLO).(*wamp.Hello); ok {
			hello <- h
			f.send(&wamp.Welcome{ID: 78, Details: wamp.Dict{}})
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := joinSession(ctx, cli, sessionConfig{Realm: "realm1"})
	require.NoError(t, err)
	f.sess = s
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		go f.drain()
		_ = s.Close(ctx)
	})
	return f
}

// startCall starts a call and reads its CALL as the router.
func (f *fakeRouter) startCall(ctx context.Context, req engineCallRequest) (*callState, *wamp.Call) {
	f.t.Helper()
	type res struct {
		c   *callState
		err error
	}
	done := make(chan res, 1)
	go func() {
		c, err := f.sess.StartCall(ctx, req)
		done <- res{c, err}
	}()
	m, _ := f.expect(wamp.CALL).(*wamp.Call)
	r := <-done
	require.NoError(f.t, r.err)
	return r.c, m
}

// expectAsync reads the next message on a goroutine, so the test can go on
// with a call that may wait for the router to read (once the link's queue
// towards the router is full).
func (f *fakeRouter) expectAsync(typ wamp.MessageType) <-chan wamp.Message {
	ch := make(chan wamp.Message, 1)
	go func() { ch <- f.expect(typ) }()
	return ch
}

// engineCallRequest is a CALL as the engine's tests write it: the payload
// and options as they go on the wire.
type engineCallRequest struct {
	Procedure       string
	Args            wamp.List
	Kwargs          wamp.Dict
	Options         wamp.Dict
	ReceiveProgress bool
	Stream          bool
	CancelMode      CancelMode
	KillWait        time.Duration
	Buffer          int
}

// StartCall starts r's CALL on s.
func (s *session) StartCall(ctx context.Context, r engineCallRequest) (*callState, error) {
	req := CallRequest{Procedure: r.Procedure, ReceiveProgress: r.ReceiveProgress, Stream: r.Stream,
		CancelMode: r.CancelMode, KillWait: r.KillWait, Buffer: r.Buffer}
	c := new(callState)
	if err := s.startCall(ctx, &req, r.Args, r.Kwargs, r.Options, c); err != nil {
		return nil, err
	}
	return c, nil
}

// engineResult and engineHandler are a handler's answer as the engine's
// tests write it.
type engineResult struct {
	Args   wamp.List
	Kwargs wamp.Dict
}

type engineHandler func(ctx context.Context, inv *Invocation) (engineResult, error)

func (h engineHandler) handler() InvocationHandler {
	return func(ctx context.Context, inv *Invocation) (Payload, error) {
		r, err := h(ctx, inv)
		return Payload{Args: r.Args, Kwargs: r.Kwargs}, err
	}
}
