package client

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"

	"github.com/gammazero/nexus/v3/wamp"
)

// engineHandler answers one invocation. It returns the final result, or an error:
// an *engineError is sent as is, any other error as wamp.error.runtime_error with
// its message. A panic is recovered and sent as wamp.error.runtime_error.
type engineHandler func(ctx context.Context, inv *engineInvocation) (engineResult, error)

// sessionReg is one registration of this session, keyed by its router ID.
type sessionReg struct {
	ID        wamp.ID
	Procedure string
	Options   wamp.Dict
	handler   engineHandler

	mu      sync.Mutex
	revoked bool
	reason  string
	// Value is free for the owner of the registration (the client keeps its
	// durable handle here).
	Value any
}

// Revoked reports whether the router revoked the registration, and why.
func (r *sessionReg) Revoked() (bool, string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.revoked, r.reason
}

func (r *sessionReg) revoke(reason string) {
	r.mu.Lock()
	r.revoked, r.reason = true, reason
	r.mu.Unlock()
}

// Register registers procedure with options and routes its invocations to h.
// A refusal is an *engineError (procedure_already_exists, invalid_uri...).
func (s *session) Register(ctx context.Context, procedure string, options wamp.Dict, h engineHandler, value any) (*sessionReg, error) {
	if options == nil {
		options = noOptions
	}
	reg := &sessionReg{Procedure: procedure, Options: options, handler: h, Value: value}
	// The registration is recorded by the read loop as it reads REGISTERED
	// (onReply runs under s.mu), so an INVOCATION right behind the reply
	// finds it. If the caller gave up before the reply, the late
	// registration is withdrawn.
	_, err := s.requestHooked(ctx, func(id wamp.ID) wamp.Message {
		return &wamp.Register{Request: id, Options: options, Procedure: wamp.URI(procedure)}
	}, func(msg wamp.Message) {
		if r, ok := msg.(*wamp.Registered); ok {
			reg.ID = r.Registration
			s.regs[reg.ID] = reg
		}
	}, func(msg wamp.Message) {
		if r, ok := msg.(*wamp.Registered); ok {
			s.withdraw(r.Registration)
		}
	})
	if err != nil {
		return nil, err
	}
	return reg, nil
}

// Unregister removes reg. Until the router's answer (or ctx's end) reg
// still takes invocations: the router may have routed a call to it before
// it read UNREGISTER, and that call is served rather than refused.
// Invocations already running finish.
func (s *session) Unregister(ctx context.Context, reg *sessionReg) error {
	s.mu.Lock()
	_, ok := s.regs[reg.ID]
	s.mu.Unlock()
	if !ok {
		if revoked, _ := reg.Revoked(); revoked {
			return nil
		}
	}
	_, err := s.request(ctx, func(id wamp.ID) wamp.Message {
		return &wamp.Unregister{Request: id, Registration: reg.ID}
	})
	s.mu.Lock()
	if s.regs[reg.ID] == reg {
		delete(s.regs, reg.ID)
	}
	s.mu.Unlock()
	return err
}

// Registrations returns the live registrations.
func (s *session) Registrations() []*sessionReg {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*sessionReg, 0, len(s.regs))
	for _, r := range s.regs {
		out = append(out, r)
	}
	return out
}

func (s *session) onInvocation(m *wamp.Invocation) {
	s.mu.Lock()
	if inv, ok := s.invs[m.Request]; ok {
		s.mu.Unlock()
		inv.addChunk(m)
		return
	}
	more, _ := m.Details[wamp.OptProgress].(bool)
	if s.ended.take(m.Request, more) {
		s.mu.Unlock()
		return // a chunk of a stream that ended (or was refused) before its last chunk
	}
	reg, ok := s.regs[m.Registration]
	if !ok {
		s.mu.Unlock()
		s.log.Warn("wamp invocation for unknown registration", "registration", m.Registration, "request", m.Request)
		_ = s.sendNow(&wamp.Error{Type: wamp.INVOCATION, Request: m.Request, Details: wamp.Dict{},
			Error: wamp.ErrNoSuchRegistration, Arguments: wamp.List{fmt.Sprintf("no registration %d in this session", m.Registration)}})
		return
	}
	size := int64(invocationSize(m))
	if refusal := s.admit(size); refusal != "" {
		if more {
			s.ended.add(m.Request)
		}
		s.mu.Unlock()
		s.log.Warn("wamp invocation refused: the session is at its bound", "procedure", reg.Procedure,
			"request", m.Request, "reason", refusal)
		_ = s.sendNow(&wamp.Error{Type: wamp.INVOCATION, Request: m.Request, Details: wamp.Dict{},
			Error: uriUnavailable, Arguments: wamp.List{"callee: " + refusal}})
		return
	}
	inv := newInvocation(s, reg, m)
	inv.charged = size
	s.inputBytes.Add(size)
	s.invs[m.Request] = inv
	s.handlers.Add(1)
	s.mu.Unlock()
	s.spawn(inv)
}

// admit says why a new invocation of size bytes cannot start now ("" when
// it can); s.mu is held.
func (s *session) admit(size int64) string {
	if len(s.invs) >= s.cfg.MaxInvocations {
		return fmt.Sprintf("%d invocations already running (the session's cap)", len(s.invs))
	}
	if held := s.inputBytes.Load(); held > 0 && held+size > int64(s.cfg.InputBytes) {
		return fmt.Sprintf("invocation input of %d bytes over the session's %d-byte budget (%d bytes held)",
			size, s.cfg.InputBytes, held)
	}
	return ""
}

// run runs the handler and answers (a worker task).
func (inv *engineInvocation) run() { inv.s.runHandler(inv) }

func (s *session) runHandler(inv *engineInvocation) {
	defer s.handlers.Done()
	defer inv.cancelWith(context.Canceled)
	res, err := safeCall(inv)
	s.mu.Lock()
	delete(s.invs, inv.ID)
	if inv.releaseInput() { // chunks still to come find it ended
		s.ended.add(inv.ID)
	}
	s.mu.Unlock()
	if !inv.finish() {
		return // killnowait or session gone: nobody wants the answer
	}
	if inv.interruptMode() == modeInputOverflow {
		err = &engineError{URI: uriInputOverflow, Args: wamp.List{
			fmt.Sprintf("callee: streamed input chunks arrived faster than %s took them, past the session's %d-byte budget",
				inv.Procedure, s.cfg.InputBytes)}}
	}
	opts := res.Options
	if opts == nil {
		opts = noOptions
	}
	var answer wamp.Message = &wamp.Yield{Request: inv.ID, Options: opts, Arguments: res.Args, ArgumentsKw: res.Kwargs}
	if err != nil {
		answer = errorMessage(inv, err)
	}
	if err := s.sendNow(answer); errors.Is(err, ErrInvalidPayload) || errors.Is(err, ErrMessageTooLarge) {
		// The caller gets an error rather than waiting for an answer that
		// cannot go out.
		s.log.Warn("wamp invocation answer not sent", "procedure", inv.Procedure, "error", err)
		_ = s.sendNow(unsentAnswer(inv.ID, err))
	}
}

func safeCall(inv *engineInvocation) (res engineResult, err error) {
	defer func() {
		if r := recover(); r != nil {
			inv.s.log.Error("wamp invocation handler panicked", "procedure", inv.Procedure, "panic", r, "stack", string(debug.Stack()))
			err = &engineError{URI: "wamp.error.runtime_error", Args: wamp.List{fmt.Sprintf("handler panicked: %v", r)}}
		}
	}()
	return inv.reg.handler(inv, inv)
}

func errorMessage(inv *engineInvocation, err error) *wamp.Error {
	e, ok := err.(*engineError)
	if !ok {
		uri := "wamp.error.runtime_error"
		if inv.Err() != nil && inv.interruptMode() != "" {
			uri = string(wamp.ErrCanceled)
		}
		e = &engineError{URI: uri, Args: wamp.List{err.Error()}}
	}
	d := e.Details
	if d == nil {
		d = wamp.Dict{}
	}
	return &wamp.Error{Type: wamp.INVOCATION, Request: inv.ID, Details: d, Error: wamp.URI(e.URI),
		Arguments: e.Args, ArgumentsKw: e.Kwargs}
}

func (s *session) onInterrupt(m *wamp.Interrupt) {
	s.mu.Lock()
	inv, ok := s.invs[m.Request]
	s.mu.Unlock()
	if !ok {
		return // already answered
	}
	mode, _ := m.Options[wamp.OptMode].(string)
	if mode == "" {
		mode = cancelKillNoWait
	}
	inv.interrupt(mode)
}

// withdraw unregisters a registration whose requester gave up waiting for it.
func (s *session) withdraw(id wamp.ID) {
	s.mu.Lock()
	delete(s.regs, id)
	s.mu.Unlock()
	s.handlers.Add(1)
	go func() {
		defer s.handlers.Done()
		_ = s.sendNow(&wamp.Unregister{Request: s.nextID(), Registration: id})
	}()
}
