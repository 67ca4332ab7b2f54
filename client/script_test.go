package client_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/wamp"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest"
)

// scriptedRouter is a router played by a test: ConnectLocal hands it the
// router side of an in-memory link, and its script says what a real router
// never would. The script must end when the client goes away (its Recv
// channel closes).
type scriptedRouter struct {
	t      testing.TB
	script func(r *routerSide)
	wg     sync.WaitGroup
}

// routerSide is one connection of a scripted router.
type routerSide struct {
	t    testing.TB
	peer wamp.Peer
}

func newScripted(t testing.TB, script func(r *routerSide)) *scriptedRouter {
	s := &scriptedRouter{t: t, script: script}
	t.Cleanup(s.wg.Wait)
	return s
}

// Attach implements wamptest.Attacher: it runs the script on a goroutine the
// test waits for.
func (s *scriptedRouter) Attach(p wamp.Peer) error {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer p.Close()
		s.script(&routerSide{t: s.t, peer: p})
	}()
	return nil
}

// recv returns the client's next message, nil when the client went away or
// nothing came within 5 s.
func (r *routerSide) recv() wamp.Message {
	select {
	case m, ok := <-r.peer.Recv():
		if !ok {
			return nil
		}
		return m
	case <-time.After(5 * time.Second):
		r.t.Errorf("scripted router: nothing from the client within 5s")
		return nil
	}
}

// expect returns the client's next message, checking its type.
func expectMsg[T wamp.Message](r *routerSide) T {
	m := r.recv()
	got, ok := m.(T)
	if !ok {
		var zero T
		r.t.Errorf("scripted router: got %T, want %T", m, zero)
	}
	return got
}

func (r *routerSide) send(m wamp.Message) {
	select {
	case r.peer.Send() <- m:
	case <-time.After(5 * time.Second):
		r.t.Errorf("scripted router: could not send %v", m.MessageType())
	}
}

// welcome reads HELLO and answers WELCOME with a dealer and a broker role
// announcing every feature the client checks for.
func (r *routerSide) welcome() {
	all := wamp.Dict{}
	for _, f := range []string{"pattern_based_registration", "shared_registration", "caller_identification",
		"call_timeout", "call_canceling", "progressive_call_results", "progressive_call_invocations",
		"registration_revocation", "pattern_based_subscription"} {
		all[f] = true
	}
	r.welcomeWith(wamp.Dict{"dealer": wamp.Dict{"features": all}, "broker": wamp.Dict{"features": all}})
}

// welcomeWith reads HELLO and answers WELCOME with roles.
func (r *routerSide) welcomeWith(roles wamp.Dict) {
	expectMsg[*wamp.Hello](r)
	r.send(&wamp.Welcome{ID: 42, Details: wamp.Dict{"roles": roles}})
}

// serveGoodbye answers the client's GOODBYE and returns when the client
// goes away; other messages go to other (may be nil).
func (r *routerSide) serveGoodbye(other func(wamp.Message)) {
	for m := range r.peer.Recv() {
		if _, ok := m.(*wamp.Goodbye); ok {
			r.send(&wamp.Goodbye{Reason: wamp.CloseGoodbyeAndOut, Details: wamp.Dict{}})
			continue
		}
		if other != nil {
			other(m)
		}
	}
}

// connectScripted connects a client (reconnect off) to a scripted router.
func connectScripted(t testing.TB, script func(r *routerSide), opts ...client.Option) (*client.Client, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	opts = append([]client.Option{client.WithoutReconnect()}, opts...)
	return wamptest.ConnectLocal(ctx, newScripted(t, script), opts...)
}

func mustConnectScripted(t testing.TB, script func(r *routerSide), opts ...client.Option) *client.Client {
	c, err := connectScripted(t, script, opts...)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = c.Close(ctx)
	})
	return c
}
