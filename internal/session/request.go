package session

import (
	"context"

	"github.com/gammazero/nexus/v3/wamp"
)

// pending is a request waiting for its reply.
type pending struct {
	ch chan wamp.Message // buffered: exactly one reply
	// onReply runs on the read loop, under s.mu, as the reply is read: it
	// records state that later messages depend on (a registration before its
	// first INVOCATION).
	onReply func(wamp.Message)
	// onOrphan runs instead of a hand-off when the requester gave up.
	onOrphan  func(wamp.Message)
	abandoned bool
}

// request sends msg (built with a fresh request ID) and waits for its reply.
// An ERROR reply comes back as *Error.
func (s *Session) request(ctx context.Context, build func(id wamp.ID) wamp.Message) (wamp.Message, error) {
	return s.requestHooked(ctx, build, nil, nil)
}

func (s *Session) requestHooked(ctx context.Context, build func(id wamp.ID) wamp.Message,
	onReply, onOrphan func(wamp.Message)) (wamp.Message, error) {
	id := s.nextID()
	p := &pending{ch: make(chan wamp.Message, 1), onReply: onReply, onOrphan: onOrphan}
	s.mu.Lock()
	if s.endErr != nil {
		s.mu.Unlock()
		return nil, ErrClosed
	}
	s.pending[id] = p
	s.mu.Unlock()
	if err := s.send(ctx, build(id)); err != nil {
		s.forget(id, false)
		return nil, err
	}
	select {
	case msg, ok := <-p.ch:
		if !ok {
			return nil, ErrConnectionLost
		}
		if e, isErr := msg.(*wamp.Error); isErr {
			return nil, errorFromMsg(e)
		}
		return msg, nil
	case <-ctx.Done():
		s.forget(id, true)
		select { // the reply may have been handed off meanwhile
		case msg, ok := <-p.ch:
			if ok && p.onOrphan != nil {
				p.onOrphan(msg)
			}
		default:
		}
		return nil, ctx.Err()
	}
}

// forget drops a pending request. With keep, the entry stays so that a late
// reply is still seen by onOrphan.
func (s *Session) forget(id wamp.ID, keep bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.pending[id]
	if !ok {
		return
	}
	if keep && p.onOrphan != nil {
		p.abandoned = true
		return
	}
	delete(s.pending, id)
}
