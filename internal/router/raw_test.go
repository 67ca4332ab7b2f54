package router_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/transport"
	"github.com/gammazero/nexus/v3/wamp"

	"github.com/wampkit/wampkit/internal/router"
)

// wait bounds every expectation; quiet is how long "nothing arrives" is
// watched for.
const (
	wait  = 5 * time.Second
	quiet = 200 * time.Millisecond
)

// rawSession drives one WAMP session with raw messages.
type rawSession struct {
	t    testing.TB
	peer wamp.Peer
	id   wamp.ID
	role string
	req  wamp.ID

	leaveOnce sync.Once
}

// joinOpts describe the HELLO.
type joinOpts struct {
	revocation bool   // announce callee feature registration_revocation
	authid     string // with ticket: authenticate as authid
	ticket     string
}

func asAdmin(r *router.Router) joinOpts {
	id, ticket := r.AdminCredentials()
	return joinOpts{authid: id, ticket: ticket}
}

// newRouter starts an in-process router closed at the end of the test.
func newRouter(t testing.TB, cfg router.Config) *router.Router {
	t.Helper()
	r, err := router.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return r
}

// join attaches a session in-process and completes its handshake.
func join(t testing.TB, r *router.Router, o joinOpts) *rawSession {
	t.Helper()
	cli, rtr := transport.LinkedPeers()
	errc := make(chan error, 1)
	go func() { errc <- r.Attach(rtr) }()
	s := handshake(t, cli, r.Realm(), o)
	if err := <-errc; err != nil {
		t.Fatalf("Attach: %v", err)
	}
	return s
}

// handshake sends HELLO over peer and expects WELCOME, answering a ticket
// CHALLENGE when o asks for one. The session leaves at the end of the test.
func handshake(t testing.TB, peer wamp.Peer, realm string, o joinOpts) *rawSession {
	t.Helper()
	s := &rawSession{t: t, peer: peer}
	s.send(&wamp.Hello{Realm: wamp.URI(realm), Details: helloDetails(o)})
	if o.ticket != "" {
		expect[*wamp.Challenge](s)
		s.send(&wamp.Authenticate{Signature: o.ticket, Extra: wamp.Dict{}})
	}
	w := expect[*wamp.Welcome](s)
	s.id = w.ID
	s.role, _ = wamp.AsString(w.Details["authrole"])
	t.Cleanup(s.leave)
	return s
}

func helloDetails(o joinOpts) wamp.Dict {
	callee := wamp.Dict{
		"shared_registration": true,
		"call_canceling":      true,
	}
	if o.revocation {
		callee["registration_revocation"] = true
	}
	d := wamp.Dict{"roles": wamp.Dict{
		"caller":     wamp.Dict{"features": wamp.Dict{}},
		"callee":     wamp.Dict{"features": callee},
		"subscriber": wamp.Dict{"features": wamp.Dict{}},
		"publisher":  wamp.Dict{"features": wamp.Dict{}},
	}}
	if o.ticket != "" {
		d["authmethods"] = wamp.List{"ticket"}
		d["authid"] = o.authid
	}
	return d
}

func (s *rawSession) nextID() wamp.ID {
	s.req++
	return s.req
}

func (s *rawSession) send(m wamp.Message) {
	s.t.Helper()
	select {
	case s.peer.Send() <- m:
	case <-time.After(wait):
		s.t.Fatalf("session %d: send %v: blocked", s.id, m.MessageType())
	}
}

// recv returns the next message; ok is false on timeout or end of session.
func (s *rawSession) recv(d time.Duration) (wamp.Message, bool) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case m, open := <-s.peer.Recv():
		return m, open
	case <-timer.C:
		return nil, false
	}
}

// expect returns the next message, failing unless it is a T.
func expect[T wamp.Message](s *rawSession) T {
	s.t.Helper()
	m, ok := s.recv(wait)
	if !ok {
		var zero T
		s.t.Fatalf("session %d: want %T, got nothing", s.id, zero)
	}
	v, ok := m.(T)
	if !ok {
		s.t.Fatalf("session %d: want %T, got %s", s.id, v, describe(m))
	}
	return v
}

// expectNothing fails if a message arrives within quiet.
func (s *rawSession) expectNothing() {
	s.t.Helper()
	if m, ok := s.recv(quiet); ok {
		s.t.Fatalf("session %d: want no message, got %s", s.id, describe(m))
	}
}

func describe(m wamp.Message) string {
	if e, ok := m.(*wamp.Error); ok {
		return fmt.Sprintf("ERROR(%v) %s %v", e.Type, e.Error, e.Arguments)
	}
	return fmt.Sprintf("%v %+v", m.MessageType(), m)
}

// register registers procedure and returns the registration ID.
func (s *rawSession) register(procedure string, options wamp.Dict) wamp.ID {
	s.t.Helper()
	if options == nil {
		options = wamp.Dict{}
	}
	req := s.nextID()
	s.send(&wamp.Register{Request: req, Options: options, Procedure: wamp.URI(procedure)})
	reg := expect[*wamp.Registered](s)
	if reg.Request != req {
		s.t.Fatalf("REGISTERED for request %d, want %d", reg.Request, req)
	}
	return reg.Registration
}

// subscribe subscribes to topic and returns the subscription ID.
func (s *rawSession) subscribe(topic string) wamp.ID {
	s.t.Helper()
	s.send(&wamp.Subscribe{Request: s.nextID(), Options: wamp.Dict{}, Topic: wamp.URI(topic)})
	return expect[*wamp.Subscribed](s).Subscription
}

// startCall sends a CALL and returns its request ID.
func (s *rawSession) startCall(procedure string, args ...any) wamp.ID {
	s.t.Helper()
	req := s.nextID()
	s.send(&wamp.Call{Request: req, Options: wamp.Dict{}, Procedure: wamp.URI(procedure), Arguments: args})
	return req
}

// call makes a CALL and returns the RESULT or ERROR answering it.
func (s *rawSession) call(procedure string, args ...any) wamp.Message {
	s.t.Helper()
	req := s.startCall(procedure, args...)
	m, ok := s.recv(wait)
	if !ok {
		s.t.Fatalf("session %d: no answer to CALL %s", s.id, procedure)
	}
	switch m := m.(type) {
	case *wamp.Result:
		if m.Request == req {
			return m
		}
	case *wamp.Error:
		if m.Request == req {
			return m
		}
	}
	s.t.Fatalf("session %d: want answer to CALL %s, got %s", s.id, procedure, describe(m))
	return nil
}

// callOK makes a CALL and fails unless it succeeds.
func (s *rawSession) callOK(procedure string, args ...any) *wamp.Result {
	s.t.Helper()
	m := s.call(procedure, args...)
	res, ok := m.(*wamp.Result)
	if !ok {
		s.t.Fatalf("CALL %s: want RESULT, got %s", procedure, describe(m))
	}
	return res
}

// callErr makes a CALL and fails unless it gets error uri; it returns the
// error's message.
func (s *rawSession) callErr(uri wamp.URI, procedure string, args ...any) string {
	s.t.Helper()
	m := s.call(procedure, args...)
	e, ok := m.(*wamp.Error)
	if !ok || e.Error != uri {
		s.t.Fatalf("CALL %s: want ERROR %s, got %s", procedure, uri, describe(m))
	}
	var parts []string
	for _, a := range e.Arguments {
		parts = append(parts, fmt.Sprint(a))
	}
	return strings.Join(parts, " ")
}

// leave says GOODBYE, best effort, and closes the client side.
func (s *rawSession) leave() {
	s.leaveOnce.Do(func() {
		select {
		case s.peer.Send() <- &wamp.Goodbye{Reason: wamp.CloseNormal, Details: wamp.Dict{}}:
			for {
				m, ok := s.recv(wait)
				if _, bye := m.(*wamp.Goodbye); !ok || bye {
					break
				}
			}
		case <-time.After(quiet):
		}
		s.peer.Close()
	})
}
