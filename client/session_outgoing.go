package client

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/gammazero/nexus/v3/wamp"

	"github.com/wampkit/wampkit/internal/outgoing"
	"github.com/wampkit/wampkit/internal/wire"
)

// Outgoing payloads are checked on the caller's goroutine, before anything
// is queued for the transport: a value no serializer can carry (a cycle, a
// complex number, a channel, a func; NaN or an infinity under JSON) fails
// that call with ErrInvalidPayload, and a message larger than the other
// side accepts fails it with ErrMessageTooLarge. Neither reaches the
// writer goroutine, which would otherwise overflow its stack on a cycle,
// block reading a channel, or send null in place of NaN.
//
// The check is one walk over the payload that also bounds its encoded size
// from below and above (for any of the three formats). Only a message whose
// upper bound passes the limit is serialized once more to measure it
// exactly; a small call costs a type switch per value. A payload the typed
// encoder built and measured while building it (outgoing.Built) is not
// walked again.

// ErrInvalidPayload matches the error of a call, publication or answer
// whose payload (or options) no serializer can carry: a cyclic value (or one
// nested deeper than 128 levels), a complex number, a channel, a func, a map
// with keys that are not strings, or NaN or an infinity under JSON. The error says
// where (args[0].user.score). Nothing was sent; the session goes on.
var ErrInvalidPayload = errors.New("client: payload cannot be serialized")

// ErrMessageTooLarge matches the error of a message larger than its
// transport takes: the limit the router announced over rawsocket (at most
// 2^24-1 bytes), 16 MiB over websocket, and 16 MiB less 64 KiB in
// MessagePack over the in-process link (whose messages the router forwards
// to sessions on the network). Nothing was sent; only that request fails.
// A callee's answer that is too large reaches its caller as
// wamp.error.runtime_error.
var ErrMessageTooLarge = errors.New("client: message too large")

// ErrSlowConsumer: progressive results arrived faster than they were read
// and overflowed the call's buffer; the call was canceled.
var ErrSlowConsumer = errors.New("client: slow consumer: buffer limit reached")

// payloadError says where in a payload a value cannot be serialized. It
// matches ErrInvalidPayload.
type payloadError struct {
	Path    string // args[1].user.tags[3]
	Problem string
}

func (e *payloadError) Error() string {
	return fmt.Sprintf("session: payload %s: %s", e.Path, e.Problem)
}

// Is makes errors.Is(err, ErrInvalidPayload) hold.
func (e *payloadError) Is(target error) bool { return target == ErrInvalidPayload }

// checkOut checks the payload and options of a message the session is about
// to send. It returns an upper bound of its encoded size (math.MaxInt when
// the walk cannot bound it and no limit asked for the exact size), and
// approxSize of its Arguments and ArgumentsKw together (-1 when not
// measured). Messages without a payload pass. b is what the typed encoder
// knows of the payload (the zero Built when it did not build it).
func (s *session) checkOut(msg wamp.Message, b outgoing.Built) (size, approx int, err error) {
	var (
		uri    wamp.URI
		opts   wamp.Dict
		args   wamp.List
		kwargs wamp.Dict
	)
	switch m := msg.(type) {
	case *wamp.Call:
		uri, opts, args, kwargs = m.Procedure, m.Options, m.Arguments, m.ArgumentsKw
	case *wamp.Yield:
		opts, args, kwargs = m.Options, m.Arguments, m.ArgumentsKw
	case *wamp.Publish:
		uri, opts, args, kwargs = m.Topic, m.Options, m.Arguments, m.ArgumentsKw
	case *wamp.Error:
		uri, opts, args, kwargs = m.Error, m.Details, m.Arguments, m.ArgumentsKw
	case *wamp.Register:
		uri, opts = m.Procedure, m.Options
	case *wamp.Subscribe:
		uri, opts = m.Topic, m.Options
	default:
		return 0, -1, nil
	}
	w := outgoing.Walker{Finite: s.cfg.RejectNonFinite, Limit: s.limit}
	w.Add(len(uri)+5, 6*len(uri)+64) // the envelope: type, IDs, URI
	if err := w.Dict(opts, 1); err != nil {
		return 0, 0, s.walkFailed(err.At("options"))
	}
	before := w.Approx
	if b.Measured && !(b.NonFinite && w.Finite) {
		w.Merge(b.Measure)
		if err := w.Over(); err != nil {
			return 0, 0, s.walkFailed(err)
		}
	} else {
		// Walked here, also to say where a value fails.
		if err := w.List(args, 1); err != nil {
			return 0, 0, s.walkFailed(err.At("args"))
		}
		if err := w.Dict(kwargs, 1); err != nil {
			return 0, 0, s.walkFailed(err.At("kwargs"))
		}
	}
	approx = w.Approx - before
	if w.Inexact {
		approx = -1
	}
	if s.limit <= 0 || w.Hi <= s.limit && !w.Unbounded || s.sizer == nil {
		if w.Unbounded {
			return math.MaxInt, approx, nil
		}
		return w.Hi, approx, nil
	}
	n, err := s.sizer.EncodedSize(msg)
	if err != nil {
		return 0, 0, fmt.Errorf("%w: %w", ErrInvalidPayload, err)
	}
	if n > s.limit {
		return 0, 0, fmt.Errorf("%w: %v of %d bytes, the limit is %d", ErrMessageTooLarge, msg.MessageType(), n, s.limit)
	}
	return n, approx, nil
}

func (s *session) walkFailed(e *outgoing.Error) error {
	if e.Large > 0 {
		return fmt.Errorf("%w: at least %d bytes, the limit is %d", ErrMessageTooLarge, e.Large, s.limit)
	}
	var b strings.Builder
	for i := len(e.Path) - 1; i >= 0; i-- {
		if len(e.Path)-i > 8 { // a cycle's path says nothing more
			b.WriteString("...")
			break
		}
		b.WriteString(e.Path[i])
	}
	return &payloadError{Path: b.String(), Problem: e.Problem}
}

// onUnsent is told by the transport, on its writer goroutine, of a message
// that was not sent (it could not be serialized, or was larger than the
// router accepts): the request it belongs to fails with that error, alone.
// It must not block: anything to send goes from a goroutine of its own.
func (s *session) onUnsent(msg wamp.Message, err error) {
	err = unsentError(err)
	s.log.Warn("wamp message not sent", "type", msg.MessageType(), "error", err)
	switch m := msg.(type) {
	case *wamp.Call:
		s.mu.Lock()
		c, ok := s.calls[m.Request]
		delete(s.calls, m.Request)
		s.mu.Unlock()
		if !ok {
			return
		}
		if m != &c.msg { // a later chunk: the router has the call
			s.goSend(func() { c.sendCancel(false) })
		}
		c.fail(err)
	case *wamp.Yield:
		s.goSend(func() { _ = s.sendNow(unsentAnswer(m.Request, err)) })
	case *wamp.Error:
		if m.Type == wamp.INVOCATION && len(m.Arguments)+len(m.ArgumentsKw) > 0 {
			s.goSend(func() { _ = s.sendNow(unsentAnswer(m.Request, err)) })
		}
	case *wamp.Publish:
		s.failPending(m.Request, err)
	case *wamp.Register:
		s.failPending(m.Request, err)
	case *wamp.Subscribe:
		s.failPending(m.Request, err)
	}
}

// unsentError is the transport's reason for not sending a message as the
// session's error: ErrMessageTooLarge or ErrInvalidPayload.
func unsentError(err error) error {
	var tooLarge *wire.TooLargeError
	if errors.As(err, &tooLarge) {
		return fmt.Errorf("%w: %w", ErrMessageTooLarge, err)
	}
	return fmt.Errorf("%w: %w", ErrInvalidPayload, err)
}

// unsentAnswer is the ERROR that replaces an invocation's answer that could
// not be sent, so that the caller does not wait for it.
func unsentAnswer(req wamp.ID, err error) *wamp.Error {
	return &wamp.Error{Type: wamp.INVOCATION, Request: req, Details: wamp.Dict{}, Error: "wamp.error.runtime_error",
		Arguments: wamp.List{"wampkit: the callee's answer could not be sent: " + err.Error()}}
}

// goSend runs f (which sends) on a goroutine that Drain waits for.
func (s *session) goSend(f func()) {
	s.handlers.Add(1)
	go func() {
		defer s.handlers.Done()
		f()
	}()
}

// failPending ends a pending request with err, without a reply.
func (s *session) failPending(id wamp.ID, err error) {
	s.mu.Lock()
	p, ok := s.pending[id]
	delete(s.pending, id)
	s.mu.Unlock()
	if ok {
		p.err = err
		close(p.ch)
	}
}
