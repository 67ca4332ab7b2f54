package client

import (
	"context"
	"fmt"

	"github.com/gammazero/nexus/v3/wamp"
)

// pending is a request waiting for its reply.
type pending struct {
	ch chan wamp.Message // buffered: exactly one reply
	// onReply runs on the read loop, under s.mu, as the reply is read: it
	// records state that later messages depend on (a registration before its
	// first INVOCATION).
	onReply func(wamp.Message)
	// onOrphan runs instead of a hand-off when the requester gave up, with
	// the late reply (an ERROR too), exactly once if a reply comes.
	onOrphan  func(wamp.Message)
	abandoned bool
	// kind is the request's message type (REGISTER, ...); only its reply
	// type, or an ERROR for it, is a valid answer.
	kind wamp.MessageType
	// err, set before ch is closed, is why the request failed without a
	// reply (a reply of the wrong type); nil means the connection was lost.
	err error
}

// replyTypes maps each request the session makes to its reply.
var replyTypes = map[wamp.MessageType]wamp.MessageType{
	wamp.REGISTER:    wamp.REGISTERED,
	wamp.UNREGISTER:  wamp.UNREGISTERED,
	wamp.SUBSCRIBE:   wamp.SUBSCRIBED,
	wamp.UNSUBSCRIBE: wamp.UNSUBSCRIBED,
	wamp.PUBLISH:     wamp.PUBLISHED,
}

// answers reports whether msg is a valid answer to a request of type kind:
// its reply type, or an ERROR naming kind.
func answers(kind wamp.MessageType, msg wamp.Message) bool {
	if e, ok := msg.(*wamp.Error); ok {
		return e.Type == kind
	}
	return msg.MessageType() == replyTypes[kind]
}

// wrongReply is the error of a request answered with the wrong message.
func wrongReply(kind wamp.MessageType, msg wamp.Message) error {
	if e, ok := msg.(*wamp.Error); ok {
		return fmt.Errorf("session: %v answered with an ERROR for %v: %w", kind, e.Type, ErrProtocol)
	}
	return fmt.Errorf("session: %v answered with %v: %w", kind, msg.MessageType(), ErrProtocol)
}

// request sends msg (built with a fresh request ID) and waits for its reply.
// An ERROR reply comes back as *Error.
func (s *session) request(ctx context.Context, build func(id wamp.ID) wamp.Message) (wamp.Message, error) {
	return s.requestHooked(ctx, build, nil, nil)
}

func (s *session) requestHooked(ctx context.Context, build func(id wamp.ID) wamp.Message,
	onReply, onOrphan func(wamp.Message)) (wamp.Message, error) {
	msg, _, err := s.requestOwned(ctx, build, onReply, onOrphan)
	return msg, err
}

// requestOwned is requestHooked that also reports whether the requester
// gave up waiting for a sent request: then onOrphan (when not nil) owns the
// reply, if one comes.
func (s *session) requestOwned(ctx context.Context, build func(id wamp.ID) wamp.Message,
	onReply, onOrphan func(wamp.Message)) (wamp.Message, bool, error) {
	id := s.nextID()
	p := &pending{ch: make(chan wamp.Message, 1), onReply: onReply, onOrphan: onOrphan}
	s.mu.Lock()
	if s.endErr != nil {
		s.mu.Unlock()
		return nil, false, ErrClosed
	}
	msg := build(id)
	p.kind = msg.MessageType()
	s.pending[id] = p
	s.mu.Unlock()
	if err := s.send(ctx, msg); err != nil {
		s.forget(id, false)
		return nil, false, err
	}
	var (
		reply wamp.Message
		ok    bool
	)
	select {
	case reply, ok = <-p.ch:
		if !ok {
			if p.err != nil {
				return nil, false, p.err
			}
			return nil, false, ErrConnectionLost
		}
	case <-ctx.Done():
		if s.forget(id, true) {
			return nil, onOrphan != nil, ctx.Err()
		}
		// The reply was taken for hand-off as ctx ended (or the session
		// ended): it is in p.ch now or very soon, or p.ch is closed. The
		// request is done, and onReply has recorded what the reply brings
		// (a subscription whose events may already be queued, a
		// registration that may already have invocations), so the reply
		// is the outcome, as if it had come before ctx's end: undoing it
		// would leave a requester told of a failure whose handler ran.
		if reply, ok = <-p.ch; !ok {
			return nil, false, ctx.Err()
		}
	}
	if e, isErr := reply.(*wamp.Error); isErr {
		return nil, false, errorFromMsg(e)
	}
	return reply, false, nil
}

// forget drops a pending request and reports whether it was still pending.
// With keep, the entry stays so that a late reply is still seen by
// onOrphan.
func (s *session) forget(id wamp.ID, keep bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.pending[id]
	if !ok {
		return false
	}
	if keep && p.onOrphan != nil {
		p.abandoned = true
		return true
	}
	delete(s.pending, id)
	return true
}
