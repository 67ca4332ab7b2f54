package client

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"sync"
	"time"

	"github.com/gammazero/nexus/v3/wamp"
)

// eventSink receives every EVENT of the session with the handles it is for
// (never empty; the slice is shared and must not be modified). It runs on
// the read loop, in the order the router sent the events, and must not
// block: it only queues the event.
//
// ev is the EVENT as it came (its Payload not yet checked for Payload
// Passthru Mode, no Topic): each handle is handed a copy of its own (the
// client's sink deep-copies the payload for each handle after the first).
type eventSink func(ev *Event, to []*sessionSub)

// sessionSub is one handle on a router subscription. The router answers
// every SUBSCRIBE of one topic and match policy from one session with the
// same subscription ID, so several handles may share one ID: each receives
// every event, and UNSUBSCRIBE goes to the router only when the last of
// them ends.
type sessionSub struct {
	ID      wamp.ID
	Topic   string
	Options wamp.Dict
	// Value is free for the owner of the handle (the client's handle).
	Value any

	// awaitsRetained: the handle's SUBSCRIBE asked for the retained event
	// (get_retained) and the handle has had no event yet. Guarded by the
	// session's mu.
	awaitsRetained bool
}

// subGroup is the handles of one router subscription.
type subGroup struct {
	topic   string
	options wamp.Dict
	handles []*sessionSub // copied on write: onEvent hands it out unlocked
	// awaiting counts the handles whose awaitsRetained is set.
	awaiting int
}

// lockSubs serializes the session's changes of its router subscriptions
// (SUBSCRIBE and UNSUBSCRIBE round trips): an UNSUBSCRIBE in flight and a
// SUBSCRIBE answered with the same ID would otherwise leave a handle that
// the router no longer serves.
func (s *session) lockSubs(ctx context.Context) error {
	select {
	case s.subOps <- struct{}{}:
		return nil
	case <-s.dying:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *session) unlockSubs() { <-s.subOps }

// maxSubHold bounds how long a SUBSCRIBE or UNSUBSCRIBE whose requester
// gave up keeps lockSubs while its answer is awaited: a router that never
// answers cannot stall the session's later changes of subscriptions.
var maxSubHold = 10 * time.Second // a variable for tests

// subHold is lockSubs held by one SUBSCRIBE or UNSUBSCRIBE: released once,
// by the requester, by the handler of a late answer, or after maxSubHold.
type subHold struct {
	s    *session
	mu   sync.Mutex
	done bool
	t    *time.Timer
}

func (h *subHold) release() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.done {
		return
	}
	h.done = true
	if h.t != nil {
		h.t.Stop()
	}
	h.s.unlockSubs()
}

// settle releases the hold, unless the requester gave up: then the late
// answer's handler releases it, or the timer does.
func (h *subHold) settle(abandoned bool) {
	if !abandoned {
		h.release()
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.done {
		h.t = time.AfterFunc(maxSubHold, h.release)
	}
}

// shareableLocked returns a live group that a SUBSCRIBE of topic with
// options would join anyway, so that no SUBSCRIBE is needed: same topic,
// same options, and no retained event asked for (which only a SUBSCRIBE
// brings). Called with s.mu held.
func (s *session) shareableLocked(topic string, options wamp.Dict) (wamp.ID, bool) {
	if r, _ := options["get_retained"].(bool); r {
		return 0, false
	}
	for id, g := range s.subs {
		if g.topic == topic && optionsEqual(g.options, options) {
			return id, true
		}
	}
	return 0, false
}

// forLocked returns the handles of g that the EVENT m is for: all of them,
// except that a retained event (Details "retained") goes only to the
// handles awaiting theirs, when there are any: a handle that joined the
// router subscription with get_retained brings the retained event with its
// SUBSCRIBE, and the handles there before it may have had that publication
// already. (A router that sends retained events no handle asked for still
// has them delivered to every handle.) A handle's first event, retained or
// not, ends its wait: a router sends the retained event before any other.
// Called with s.mu held.
func (g *subGroup) forLocked(m *wamp.Event) []*sessionSub {
	if g.awaiting == 0 {
		return g.handles
	}
	to := g.handles
	if retained, _ := m.Details["retained"].(bool); retained {
		to = nil
		for _, h := range g.handles {
			if h.awaitsRetained {
				to = append(to, h)
			}
		}
	}
	for _, h := range to {
		if h.awaitsRetained {
			h.awaitsRetained = false
			g.awaiting--
		}
	}
	return to
}

func optionsEqual(a, b wamp.Dict) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return reflect.DeepEqual(a, b)
}

// attachLocked adds sub to the group of sub.ID. Called with s.mu held.
func (s *session) attachLocked(sub *sessionSub) {
	g := s.subs[sub.ID]
	if g == nil {
		g = &subGroup{topic: sub.Topic, options: sub.Options}
		s.subs[sub.ID] = g
	}
	g.handles = append(slices.Clip(g.handles), sub)
	if sub.awaitsRetained {
		g.awaiting++
	}
}

// detachLocked removes sub from its group and reports whether it was the
// group's last handle (the group is then gone and the router subscription
// should end). Called with s.mu held.
func (s *session) detachLocked(sub *sessionSub) bool {
	g := s.subs[sub.ID]
	if g == nil {
		return false
	}
	i := slices.Index(g.handles, sub)
	if i < 0 {
		return false
	}
	g.handles = slices.Delete(slices.Clone(g.handles), i, i+1)
	if sub.awaitsRetained {
		sub.awaitsRetained = false
		g.awaiting--
	}
	if len(g.handles) > 0 {
		return false
	}
	delete(s.subs, sub.ID)
	return true
}

// Subscribe subscribes to topic and returns a new handle whose events go to
// sessionConfig.OnEvent. When the session already has a router subscription of
// topic with the same options, the handle joins it without a SUBSCRIBE.
// onAttach, if not nil, runs under the session's lock at the moment the
// handle starts to receive events (before its first event is handed to
// OnEvent), on the read loop or on the caller's goroutine; it must not
// block.
func (s *session) Subscribe(ctx context.Context, topic string, options wamp.Dict, value any, onAttach func(*sessionSub)) (*sessionSub, error) {
	if options == nil {
		options = wamp.Dict{}
	}
	sub := &sessionSub{Topic: topic, Options: options, Value: value}
	if err := s.lockSubs(ctx); err != nil {
		return nil, err
	}
	hold := &subHold{s: s}
	s.mu.Lock()
	if id, ok := s.shareableLocked(topic, options); ok {
		sub.ID = id
		s.attachLocked(sub)
		if onAttach != nil {
			onAttach(sub)
		}
		s.mu.Unlock()
		hold.release()
		return sub, nil
	}
	s.mu.Unlock()
	attached := false // guarded by s.mu
	_, abandoned, err := s.requestOwned(ctx, func(id wamp.ID) wamp.Message {
		return &wamp.Subscribe{Request: id, Options: options, Topic: wamp.URI(topic)}
	}, func(msg wamp.Message) { // on the read loop, under s.mu
		if r, ok := msg.(*wamp.Subscribed); ok {
			sub.ID = r.Subscription
			sub.awaitsRetained, _ = options["get_retained"].(bool)
			s.attachLocked(sub)
			attached = true
			if onAttach != nil {
				onAttach(sub)
			}
		}
	}, func(msg wamp.Message) { // the caller gave up; the late answer is undone
		r, ok := msg.(*wamp.Subscribed)
		if !ok {
			hold.release()
			return
		}
		s.mu.Lock()
		var last bool
		if attached {
			last = s.detachLocked(sub)
		} else {
			_, live := s.subs[r.Subscription]
			last = !live
		}
		s.mu.Unlock()
		if !last {
			hold.release()
			return
		}
		s.unsubscribeLater(r.Subscription, hold)
	})
	hold.settle(abandoned)
	if err != nil {
		return nil, err
	}
	return sub, nil
}

// Unsubscribe ends the handle sub: it receives no further events. When it
// was the last handle of its router subscription, UNSUBSCRIBE is sent and
// answered before another change of subscriptions starts; if ctx ends first
// (ctx's error is returned), the UNSUBSCRIBE still happens in the
// background.
func (s *session) Unsubscribe(ctx context.Context, sub *sessionSub) error {
	if err := s.lockSubs(ctx); err != nil {
		if err == ErrClosed {
			return err
		}
		s.handlers.Add(1)
		go func() {
			defer s.handlers.Done()
			ctx, cancel := context.WithTimeout(context.Background(), maxSubHold)
			defer cancel()
			if s.lockSubs(ctx) == nil {
				_ = s.unsubscribeLocked(ctx, sub)
			}
		}()
		return err
	}
	return s.unsubscribeLocked(ctx, sub)
}

// unsubscribeLocked is Unsubscribe once lockSubs is held; it releases it.
func (s *session) unsubscribeLocked(ctx context.Context, sub *sessionSub) error {
	hold := &subHold{s: s}
	s.mu.Lock()
	last := s.detachLocked(sub)
	s.mu.Unlock()
	if !last {
		hold.release()
		return nil
	}
	_, abandoned, err := s.requestOwned(ctx, func(id wamp.ID) wamp.Message {
		return &wamp.Unsubscribe{Request: id, Subscription: sub.ID}
	}, nil, func(wamp.Message) { hold.release() })
	if !abandoned && ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		// ctx ended before the UNSUBSCRIBE was sent (while it waited for
		// room on the link): the handle is detached already, so nothing
		// else would ever end the router subscription. It is sent in the
		// background, under the hold. (A session that ended as ctx did
		// refuses it at once.)
		s.unsubscribeLater(sub.ID, hold)
		return err
	}
	hold.settle(abandoned)
	return err
}

// unsubscribeLater sends UNSUBSCRIBE of the router subscription id in the
// background, for a requester that gave up, waiting for its answer up to
// maxSubHold, then releases hold (lockSubs, held until then so that no
// SUBSCRIBE answered with the same ID can interleave).
func (s *session) unsubscribeLater(id wamp.ID, hold *subHold) {
	s.handlers.Add(1)
	go func() {
		defer s.handlers.Done()
		defer hold.release()
		ctx, cancel := context.WithTimeout(context.Background(), maxSubHold)
		defer cancel()
		_, _ = s.request(ctx, func(req wamp.ID) wamp.Message {
			return &wamp.Unsubscribe{Request: req, Subscription: id}
		})
	}()
}

// Publish publishes to topic with options, which the engine takes over
// (it adds acknowledge). With acknowledge it waits for PUBLISHED and
// returns the publication ID; otherwise it returns 0 once the message is
// sent.
func (s *session) Publish(ctx context.Context, topic string, options wamp.Dict, args wamp.List, kwargs wamp.Dict, acknowledge bool) (wamp.ID, error) {
	opts := options // the engine owns it: the client builds one per publication
	switch {
	case acknowledge && opts == nil:
		opts = wamp.Dict{wamp.OptAcknowledge: true}
	case acknowledge:
		opts[wamp.OptAcknowledge] = true
	case opts == nil:
		opts = noOptions
	}
	build := func(id wamp.ID) wamp.Message {
		return &wamp.Publish{Request: id, Options: opts, Topic: wamp.URI(topic), Arguments: args, ArgumentsKw: kwargs}
	}
	if !acknowledge {
		return 0, s.send(ctx, build(s.nextID()))
	}
	msg, err := s.request(ctx, build)
	if err != nil {
		return 0, err
	}
	return msg.(*wamp.Published).Publication, nil // reply checked its type
}

// onEvent hands an EVENT to sessionConfig.OnEvent with the handles it is for.
func (s *session) onEvent(m *wamp.Event) {
	s.mu.Lock()
	var to []*sessionSub
	if g := s.subs[m.Subscription]; g != nil {
		to = g.forLocked(m)
	}
	s.mu.Unlock()
	if len(to) == 0 || s.cfg.OnEvent == nil {
		return // unsubscribed while the event was on its way
	}
	s.cfg.OnEvent(&Event{Payload: Payload{Args: m.Arguments, Kwargs: m.ArgumentsKw},
		Subscription: ID(m.Subscription), Publication: ID(m.Publication), Details: m.Details,
		size: eventSize(m)}, to)
}
