package client

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"

	"github.com/gammazero/nexus/v3/wamp"

	"github.com/wampkit/wampkit/internal/outgoing"
)

// sessionReg is one registration of this session, keyed by its router ID.
type sessionReg struct {
	ID        wamp.ID
	Procedure string
	Options   wamp.Dict
	handler   InvocationHandler // the client's, with its interceptors

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
// A refusal is an *Error (procedure_already_exists, invalid_uri...).
func (s *session) Register(ctx context.Context, procedure string, options wamp.Dict, h InvocationHandler, value any) (*sessionReg, error) {
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

func (s *session) onInvocation(m *wamp.Invocation, h handed) {
	s.mu.Lock()
	if inv, ok := s.invs[m.Request]; ok {
		// Under s.mu: the handler's return (runHandler) removes the
		// invocation and releases its input under s.mu too, so a chunk is
		// either charged before that release or finds the invocation gone,
		// never charged after it for good.
		overflow := inv.addChunk(m)
		s.mu.Unlock()
		if overflow {
			s.log.Warn("wamp invocation ended: its streamed input is not read fast enough",
				"procedure", inv.proc, "request", inv.id, "budget", s.cfg.InputBytes)
			inv.interrupt(modeInputOverflow)
		}
		return
	}
	more, _ := m.Details[wamp.OptProgress].(bool)
	if s.ended.take(m.Request, more) {
		s.mu.Unlock()
		return // a chunk of a stream that ended (or was refused) before its last chunk
	}
	reg, ok := s.regs[m.Registration]
	if !ok {
		if more { // its later chunks are dropped, not answered again
			s.ended.add(m.Request)
		}
		s.mu.Unlock()
		s.log.Warn("wamp invocation for unknown registration", "registration", m.Registration, "request", m.Request)
		s.sendOnReadLoop(&wamp.Error{Type: wamp.INVOCATION, Request: m.Request, Details: wamp.Dict{},
			Error: wamp.ErrNoSuchRegistration, Arguments: wamp.List{fmt.Sprintf("no registration %d in this session", m.Registration)}})
		return
	}
	size := int64(invocationSize(m, h))
	if refusal := s.admit(size); refusal != "" {
		if more {
			s.ended.add(m.Request)
		}
		s.mu.Unlock()
		s.log.Warn("wamp invocation refused: the session is at its bound", "procedure", reg.Procedure,
			"request", m.Request, "reason", refusal)
		s.sendOnReadLoop(&wamp.Error{Type: wamp.INVOCATION, Request: m.Request, Details: wamp.Dict{},
			Error: uriUnavailable, Arguments: wamp.List{"callee: " + refusal}})
		return
	}
	s.mu.Unlock()
	// Made outside s.mu, which the handlers that end take: only this read
	// loop adds invocations, so what was admitted stays admitted.
	inv := newInvocation(s, reg, m)
	inv.shared = h.shared
	inv.charged = size
	s.mu.Lock()
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
func (inv *Invocation) run() { inv.s.runHandler(inv) }

// errHandlerReturned is the cause of a handler's context once the handler
// has returned.
var errHandlerReturned = errors.New("client: the invocation handler returned")

func (s *session) runHandler(inv *Invocation) {
	defer s.handlers.Done()
	defer inv.end(errHandlerReturned)
	p, err := safeCall(inv)
	s.mu.Lock()
	delete(s.invs, inv.id)
	if inv.releaseInput() { // chunks still to come find it ended
		s.ended.add(inv.id)
	}
	s.mu.Unlock()
	if !inv.finish() {
		return // killnowait or session gone: nobody wants the answer
	}
	if inv.interruptMode() == modeInputOverflow {
		err = &Error{URI: uriInputOverflow, Args: wamp.List{
			fmt.Sprintf("callee: streamed input chunks arrived faster than %s took them, past the session's %d-byte budget",
				inv.proc, s.cfg.InputBytes)}}
	}
	answer := answerOf(inv, p, err)
	var typed outgoing.Built
	if _, yield := answer.(*wamp.Yield); yield {
		typed = inv.frozenAnswer(p)
	}
	if err := s.sendFrozen(context.Background(), answer, typed); errors.Is(err, ErrInvalidPayload) || errors.Is(err, ErrMessageTooLarge) {
		// The caller gets an error rather than waiting for an answer that
		// cannot go out.
		s.log.Warn("wamp invocation answer not sent", "procedure", inv.proc, "error", err)
		_ = s.sendNow(unsentAnswer(inv.id, err))
	}
}

// safeCall runs the handler. An invocation that claims Payload Passthru
// Mode in a form that is not is refused before it: the handler never sees
// it as something else.
func safeCall(inv *Invocation) (p Payload, err error) {
	if _, err := passthruFrom("INVOCATION", inv.args, inv.kwargs, inv.pptDetails()); err != nil {
		return Payload{}, &Error{URI: string(wamp.ErrInvalidArgument), Args: []any{err.Error()}}
	}
	defer func() {
		if r := recover(); r != nil {
			inv.s.log.Error("wamp invocation handler panicked", "procedure", inv.proc, "panic", r, "stack", string(debug.Stack()))
			err = &Error{URI: ErrRuntimeError.URI, Args: []any{fmt.Sprintf("handler panicked: %v", r)}}
		}
	}()
	return inv.reg.handler(inv.ctx, inv)
}

// answerOf is the YIELD or ERROR that answers inv: the handler's payload
// (in Payload Passthru Mode when it has a Passthru), or its error.
func answerOf(inv *Invocation, p Payload, err error) wamp.Message {
	if err == nil {
		var args []any
		var kwargs map[string]any
		var opts wamp.Dict
		if args, kwargs, opts, err = p.onWire(noOptions); err == nil {
			return &wamp.Yield{Request: inv.id, Options: opts, Arguments: args, ArgumentsKw: kwargs}
		}
		err = fmt.Errorf("client: result of %s: %w", inv.proc, err)
	}
	return errorMessage(inv, err)
}

// errorMessage is the ERROR a handler's error is sent as: an *Error
// anywhere in its chain as it is (a Passthru one in PPT); anything else as
// wamp.error.runtime_error with its message, or wamp.error.canceled when
// the invocation was interrupted (or its handler reports, with
// ErrInvocationDone, that the call is over).
func errorMessage(inv *Invocation, err error) *wamp.Error {
	var e *Error
	if errors.As(err, &e) && e.Passthru != nil {
		args, details, perr := e.Passthru.wire(e.Args, e.Kwargs, e.Details)
		if perr == nil {
			return &wamp.Error{Type: wamp.INVOCATION, Request: inv.id, Details: details, Error: wamp.URI(e.URI), Arguments: args}
		}
		e, err = nil, fmt.Errorf("client: error %s: %w", e.URI, perr)
	}
	if e == nil {
		uri := ErrRuntimeError.URI
		if inv.ctx.Err() != nil && (inv.interruptMode() != "" || errors.Is(err, ErrInvocationDone)) {
			uri = ErrCanceled.URI // the call is over: canceled, or timed out
		}
		e = &Error{URI: uri, Args: []any{err.Error()}}
	}
	d := e.Details
	if d == nil {
		d = wamp.Dict{}
	}
	return &wamp.Error{Type: wamp.INVOCATION, Request: inv.id, Details: d, Error: wamp.URI(e.URI),
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
		mode = string(CancelKillNoWait)
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
