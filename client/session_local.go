package client

import (
	"github.com/gammazero/nexus/v3/wamp"

	"github.com/wampkit/wampkit/internal/handover"
	"github.com/wampkit/wampkit/internal/wire"
)

// localize gives a message from an in-process link (a peer whose IsLocal
// reports true) what a serializer round trip would give: its payload as a
// canonical deep copy (wire.Localize), so that the same handler sees the
// same Go types over every transport and never shares memory with the
// sender.
//
// A payload no serializer can carry (a channel, a function...) is refused
// by the sender's own check (outgoing.go) before it is sent; one that gets
// here all the same (a router's own values, a sender that is not wampkit) is
// refused with an error naming the value: an INVOCATION is answered with
// wamp.error.invalid_argument, a RESULT fails its call with the same URI,
// an ERROR keeps its URI with the reason as its only argument, and an EVENT
// is dropped (reported to the logger). ok is false when nothing is left to
// dispatch.
//
// A frozen payload the sender gave to this receiver (internal/handover: an
// INVOCATION's or RESULT's arguments built by the typed encoder) is not
// copied (a RESULT's Details are), and h.shared is true. Its consumer only
// reads it, or copies it first (Invocation.Payload, unshare).
func (s *session) localize(msg wamp.Message) (out wamp.Message, h handed, ok bool) {
	switch m := msg.(type) {
	case *wamp.Invocation:
		// Chunks of a stream (and progressive results) are never given:
		// chunks go to the handler's input, which owns them. The router's
		// Details are made canonical when read (Invocation.det).
		if m.Details[wamp.OptProgress] != true {
			if h.size, h.shared = handover.Take(m.Arguments, m.ArgumentsKw); h.shared {
				return msg, h, true
			}
		}
	case *wamp.Result:
		if m.Details[wamp.OptProgress] != true {
			if h.size, h.shared = handover.Take(m.Arguments, m.ArgumentsKw); h.shared {
				if d, err := wire.LocalDict(m.Details); err == nil {
					m.Details = d
					return msg, h, true
				}
				h = handed{} // Localize below reports it
			}
		}
	}
	err := wire.Localize(msg)
	if err == nil {
		return msg, h, true
	}
	s.log.Warn("wamp in-process payload cannot travel over WAMP", "type", msg.MessageType(), "error", err)
	refused := func(t wamp.MessageType, req wamp.ID, uri wamp.URI) *wamp.Error {
		return &wamp.Error{Type: t, Request: req, Details: wamp.Dict{}, Error: uri, Arguments: wamp.List{err.Error()}}
	}
	switch m := msg.(type) {
	case *wamp.Invocation:
		s.sendOnReadLoop(refused(wamp.INVOCATION, m.Request, wamp.ErrInvalidArgument))
		return nil, h, false
	case *wamp.Result:
		return refused(wamp.CALL, m.Request, wamp.ErrInvalidArgument), h, true
	case *wamp.Error:
		return refused(m.Type, m.Request, m.Error), h, true
	case *wamp.Event:
		return nil, h, false
	}
	return msg, h, true // the router's own messages hold what it put there
}

// handed is how an INVOCATION's or RESULT's payload came over the
// in-process link: shared, the sender's frozen values (localize), and for
// those size, approxSize of Arguments and ArgumentsKw as the sender
// measured them while checking them (-1: not measured).
type handed struct {
	shared bool
	size   int
}

// unshare replaces a shared payload (see localize) by the receiver's own
// canonical copy, for a consumer that may modify it.
func (s *session) unshare(args *wamp.List, kwargs *wamp.Dict) error {
	a, kw, err := wire.LocalPayload(*args, *kwargs)
	if err != nil {
		return err
	}
	*args, *kwargs = a, kw
	return nil
}
