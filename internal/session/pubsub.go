package session

import (
	"context"
	"runtime/debug"
	"sync"

	"github.com/gammazero/nexus/v3/wamp"
)

// Event is one EVENT delivered to a subscription.
type Event struct {
	Subscription wamp.ID
	Publication  wamp.ID
	Details      wamp.Dict
	Args         wamp.List
	Kwargs       wamp.Dict
}

// EventHandler receives a subscription's events, one at a time, in order,
// on a goroutine of the subscription's own.
type EventHandler func(*Event)

// Subscription is one subscription of this session, keyed by its router ID.
// Its events queue up (bounded by Config.EventBuffer) and are delivered by a
// goroutine that exists only while the queue is not empty, so a slow handler
// delays only its own subscription.
type Subscription struct {
	ID      wamp.ID
	Topic   string
	Options wamp.Dict
	// Value is free for the owner of the subscription.
	Value any

	s       *Session
	handler EventHandler

	mu      sync.Mutex
	queue   []*Event
	running bool
	stopped bool
	dropped uint64
}

// Dropped returns how many events were dropped because the queue was full.
func (sub *Subscription) Dropped() uint64 {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	return sub.dropped
}

// Subscribe subscribes to topic and delivers its events to h.
func (s *Session) Subscribe(ctx context.Context, topic string, options wamp.Dict, h EventHandler, value any) (*Subscription, error) {
	if options == nil {
		options = wamp.Dict{}
	}
	sub := &Subscription{Topic: topic, Options: options, Value: value, s: s, handler: h}
	_, err := s.requestHooked(ctx, func(id wamp.ID) wamp.Message {
		return &wamp.Subscribe{Request: id, Options: options, Topic: wamp.URI(topic)}
	}, func(msg wamp.Message) {
		if r, ok := msg.(*wamp.Subscribed); ok {
			sub.ID = r.Subscription
			s.subs[sub.ID] = sub
		}
	}, func(msg wamp.Message) {
		if r, ok := msg.(*wamp.Subscribed); ok {
			s.mu.Lock()
			delete(s.subs, r.Subscription)
			s.mu.Unlock()
			s.handlers.Add(1)
			go func() {
				defer s.handlers.Done()
				_ = s.sendNow(&wamp.Unsubscribe{Request: s.nextID(), Subscription: r.Subscription})
			}()
		}
	})
	if err != nil {
		return nil, err
	}
	return sub, nil
}

// Unsubscribe ends sub. Events already queued are still delivered.
func (s *Session) Unsubscribe(ctx context.Context, sub *Subscription) error {
	s.mu.Lock()
	delete(s.subs, sub.ID)
	s.mu.Unlock()
	_, err := s.request(ctx, func(id wamp.ID) wamp.Message {
		return &wamp.Unsubscribe{Request: id, Subscription: sub.ID}
	})
	return err
}

// Publish publishes to topic. With acknowledge it waits for PUBLISHED and
// returns the publication ID; otherwise it returns 0 once the message is
// sent.
func (s *Session) Publish(ctx context.Context, topic string, options wamp.Dict, args wamp.List, kwargs wamp.Dict, acknowledge bool) (wamp.ID, error) {
	opts := make(wamp.Dict, len(options)+1)
	for k, v := range options {
		opts[k] = v
	}
	build := func(id wamp.ID) wamp.Message {
		return &wamp.Publish{Request: id, Options: opts, Topic: wamp.URI(topic), Arguments: args, ArgumentsKw: kwargs}
	}
	if !acknowledge {
		return 0, s.send(ctx, build(s.nextID()))
	}
	opts[wamp.OptAcknowledge] = true
	msg, err := s.request(ctx, build)
	if err != nil {
		return 0, err
	}
	return msg.(*wamp.Published).Publication, nil
}

func (s *Session) onEvent(m *wamp.Event) {
	s.mu.Lock()
	sub, ok := s.subs[m.Subscription]
	s.mu.Unlock()
	if !ok {
		return // unsubscribed while the event was on its way
	}
	sub.enqueue(&Event{Subscription: m.Subscription, Publication: m.Publication, Details: m.Details,
		Args: m.Arguments, Kwargs: m.ArgumentsKw})
}

func (sub *Subscription) enqueue(ev *Event) {
	sub.mu.Lock()
	if sub.stopped {
		sub.mu.Unlock()
		return
	}
	if len(sub.queue) >= sub.s.cfg.EventBuffer {
		sub.dropped++
		sub.mu.Unlock()
		sub.s.log.Warn("wamp event dropped: subscriber too slow", "topic", sub.Topic, "subscription", sub.ID)
		return
	}
	sub.queue = append(sub.queue, ev)
	start := !sub.running
	sub.running = true
	if start {
		sub.s.handlers.Add(1)
	}
	sub.mu.Unlock()
	if start {
		sub.s.spawn(sub)
	}
}

// run (a worker task) runs the handler over the queue until it is empty.
func (sub *Subscription) run() {
	defer sub.s.handlers.Done()
	for {
		sub.mu.Lock()
		if len(sub.queue) == 0 || sub.stopped {
			sub.running = false
			sub.queue = nil
			sub.mu.Unlock()
			return
		}
		ev := sub.queue[0]
		sub.queue[0] = nil
		sub.queue = sub.queue[1:]
		sub.mu.Unlock()
		sub.call(ev)
	}
}

func (sub *Subscription) call(ev *Event) {
	defer func() {
		if r := recover(); r != nil {
			sub.s.log.Error("wamp event handler panicked", "topic", sub.Topic, "panic", r, "stack", string(debug.Stack()))
		}
	}()
	sub.handler(ev)
}

// stop discards queued events; the delivery goroutine exits after the event
// it is handling.
func (sub *Subscription) stop() {
	sub.mu.Lock()
	sub.stopped = true
	sub.queue = nil
	sub.mu.Unlock()
}
