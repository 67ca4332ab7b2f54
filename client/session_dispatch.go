package client

import (
	"fmt"

	"github.com/gammazero/nexus/v3/wamp"

	"github.com/wampkit/wampkit/internal/wire"
)

// dispatch routes one inbound message. It returns false when the session has
// ended. It never blocks on application code. h says whether the payload
// of an INVOCATION or RESULT is the sender's frozen one (localize).
func (s *session) dispatch(msg wamp.Message, h handed) bool {
	switch m := msg.(type) {
	case *wamp.Result:
		// A RESULT kept raw stays so: what keepsRaw read of it on decoding
		// (its details, its call's readOnly) cannot change on the way, and
		// a call that ended meanwhile drops it unread.
		s.onResult(m, h.shared)
	case *wamp.Error:
		return s.onError(m)
	case *wamp.Invocation:
		if isRaw(m.Arguments) && !s.keepsRaw(wamp.INVOCATION, m.Request, m.Registration, m.Details) && !s.unraw(&m.Arguments) {
			return false
		}
		s.onInvocation(m, h)
	case *wamp.Interrupt:
		s.onInterrupt(m)
	case *wamp.Event:
		s.onEvent(m)
	case *wamp.Registered:
		return s.reply(m.Request, m)
	case *wamp.Subscribed:
		return s.reply(m.Request, m)
	case *wamp.Unsubscribed:
		return s.reply(m.Request, m)
	case *wamp.Published:
		return s.reply(m.Request, m)
	case *wamp.Unregistered:
		if m.Request == 0 {
			s.abort(string(wamp.ErrProtocolViolation), "UNREGISTERED with request 0 and no details")
			return false
		}
		return s.reply(m.Request, m)
	case *wire.Unregistered:
		if m.Request != 0 {
			return s.reply(m.Request, &wamp.Unregistered{Request: m.Request})
		}
		return s.onRevocation(m)
	case *wamp.Goodbye:
		s.gotGoodbye(m)
		return false
	case *wamp.Abort:
		s.end(closeError(m.Reason, m.Details))
		return false
	case *wire.Malformed:
		s.abort(string(wamp.ErrProtocolViolation), fmt.Sprintf("undecodable message (%d bytes): %v", m.Size, m.Err))
		return false
	default:
		s.abort(string(wamp.ErrProtocolViolation), fmt.Sprintf("unexpected %v message in an established session", msg.MessageType()))
		return false
	}
	return true
}

// gotGoodbye handles the router's GOODBYE: either the answer to ours, or the
// router ending the session, which we acknowledge.
func (s *session) gotGoodbye(m *wamp.Goodbye) {
	s.mu.Lock()
	leaving := s.leaving
	select {
	case <-s.goodbye:
	default:
		close(s.goodbye)
	}
	s.mu.Unlock()
	if leaving {
		s.end(ErrClosed)
		return
	}
	// The acknowledgement waits for room a bounded time: a router that has
	// said GOODBYE may read nothing more, and a full queue would otherwise
	// hold the read loop, and the session's end, for good.
	_ = s.sendWithin(abortSendWait, &wamp.Goodbye{Reason: wamp.CloseGoodbyeAndOut, Details: wamp.Dict{}})
	s.end(closeError(m.Reason, m.Details))
}

// reply hands a response to whoever waits on request id. A response nobody
// waits for (the requester gave up) is dropped. A response of the wrong type
// (SUBSCRIBED to a REGISTER) is a protocol violation: the request fails with
// ErrProtocol and the session is aborted; reply then returns false.
func (s *session) reply(id wamp.ID, msg wamp.Message) bool {
	s.mu.Lock()
	p, ok := s.pending[id]
	delete(s.pending, id)
	if ok && !answers(p.kind, msg) {
		s.mu.Unlock()
		err := wrongReply(p.kind, msg)
		p.err = err
		close(p.ch)
		s.abort(string(wamp.ErrProtocolViolation), fmt.Sprintf("request %d: %v answered with %v", id, p.kind, msg.MessageType()))
		return false
	}
	if !ok && id != 0 {
		if c, isCall := s.calls[id]; isCall {
			// A REGISTERED, PUBLISHED... (or an ERROR for another request
			// type) in answer to a CALL.
			delete(s.calls, id)
			s.mu.Unlock()
			c.fail(wrongReply(wamp.CALL, msg))
			s.abort(string(wamp.ErrProtocolViolation), fmt.Sprintf("request %d: CALL answered with %v", id, msg.MessageType()))
			return false
		}
	}
	_, isErr := msg.(*wamp.Error)
	if ok && !isErr && !p.abandoned && p.onReply != nil {
		p.onReply(msg)
	}
	s.mu.Unlock()
	if !ok {
		s.log.Debug("wamp reply for no pending request", "type", msg.MessageType(), "request", id)
		return true
	}
	if p.abandoned {
		p.onOrphan(msg)
		return true
	}
	p.ch <- msg // buffered, one reply per request
	return true
}

func (s *session) onError(m *wamp.Error) bool {
	switch m.Type {
	case wamp.CALL:
		s.onCallError(m)
	case wamp.REGISTER, wamp.UNREGISTER, wamp.SUBSCRIBE, wamp.UNSUBSCRIBE, wamp.PUBLISH:
		return s.reply(m.Request, m)
	default:
		s.log.Warn("wamp ERROR for unexpected request type", "type", m.Type, "request", m.Request, "error", m.Error)
	}
	return true
}

func (s *session) onRevocation(m *wire.Unregistered) bool {
	regID, ok := wamp.AsID(m.Details["registration"])
	if !ok {
		s.abort(string(wamp.ErrProtocolViolation), "revocation (UNREGISTERED 0) without a registration ID")
		return false
	}
	reason, _ := m.Details["reason"].(string)
	s.mu.Lock()
	reg, found := s.regs[regID]
	delete(s.regs, regID)
	s.mu.Unlock()
	if !found {
		s.log.Warn("wamp revocation for unknown registration", "registration", regID, "reason", reason)
		return true
	}
	reg.revoke(reason)
	if s.cfg.OnRevoke != nil {
		s.cfg.OnRevoke(reg, reason)
	}
	return true
}

// isRaw reports arguments whose one object the wire peer kept undecoded
// (wire.Raw, see wire.Serializer.KeepRaw), for a typed decoder to read.
func isRaw(args wamp.List) bool {
	_, ok := wire.RawArg(args)
	return ok
}

// unraw reads arguments kept undecoded into values, for any reader but a
// typed decoder. Bytes that do not decode end the session as any
// undecodable message does (false).
func (s *session) unraw(args *wamp.List) bool {
	l, err := wire.Unraw(*args)
	if err != nil {
		s.abort(string(wamp.ErrProtocolViolation), fmt.Sprintf("undecodable arguments: %v", err))
		return false
	}
	*args = l
	return true
}

// plainDetails reports details that ask nothing of the arguments: not a
// progressive message, not Payload Passthru Mode.
func plainDetails(details wamp.Dict) bool {
	if progress, _ := details[wamp.OptProgress].(bool); progress {
		return false
	}
	_, ppt := details[pptScheme]
	return !ppt
}

// keepsRaw says whether a RESULT's or an INVOCATION's one object may stay
// undecoded (wire.Serializer.KeepRawIf, asked on the peer's decoding
// goroutine; dispatch asks again for an INVOCATION, which may have become
// a chunk of a stream whose first message was still on its way): its one
// reader is a typed decoder. That is a final RESULT of a
// call whose result only a typed decoder reads (CallRequest.readOnly), or
// the first and only INVOCATION of a registration whose handler reads its
// input through one (RegisterOptions.typedInput), in a client without
// interceptors.
func (s *session) keepsRaw(t wamp.MessageType, request, registration wamp.ID, details wamp.Dict) bool {
	if !plainDetails(details) {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch t {
	case wamp.RESULT:
		c, ok := s.calls[request]
		return ok && c.req.readOnly
	case wamp.INVOCATION:
		if s.cfg.Intercepted {
			return false
		}
		if _, chunk := s.invs[request]; chunk {
			return false
		}
		reg, ok := s.regs[registration]
		if !ok {
			return false
		}
		r, _ := reg.Value.(*Registration)
		return r != nil && r.options.typedInput
	}
	return false
}
