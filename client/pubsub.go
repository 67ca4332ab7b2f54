package client

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/gammazero/nexus/v3/wamp"

	"github.com/wampkit/wampkit/internal/session"
)

// Event is one event delivered to a subscription.
type Event struct {
	Payload
	Topic        string // the subscribed topic (or pattern)
	Subscription ID
	Publication  ID
	Details      map[string]any
}

// EventHandler receives a subscription's events one at a time, in order, on
// a goroutine of the subscription's own: a slow handler delays only its own
// subscription.
type EventHandler func(*Event)

// Subscription is a durable handle on a subscription; it is restored after
// reconnects (its router ID may change). Safe for concurrent use.
type Subscription struct {
	c       *Client
	topic   string
	options map[string]any
	handler EventHandler

	mu      sync.Mutex
	current *session.Subscription
	done    chan struct{}
	err     error
	ended   bool
}

// ID returns the subscription's current router ID.
func (s *Subscription) ID() ID {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.current == nil {
		return 0
	}
	return ID(s.current.ID)
}

// Topic returns the subscribed topic or pattern.
func (s *Subscription) Topic() string { return s.topic }

// Done is closed when the subscription ends (Unsubscribe or client close).
func (s *Subscription) Done() <-chan struct{} { return s.done }

// Err says why the subscription ended: nil after Unsubscribe.
func (s *Subscription) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

func (s *Subscription) end(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.ended {
		s.ended, s.err = true, err
		close(s.done)
	}
}

// Unsubscribe ends the subscription.
func (s *Subscription) Unsubscribe(ctx context.Context) error {
	s.mu.Lock()
	cur, ended := s.current, s.ended
	s.mu.Unlock()
	if ended {
		return nil
	}
	c := s.c
	c.mu.Lock()
	delete(c.subs, s)
	sess := c.sess
	c.mu.Unlock()
	s.end(nil)
	if cur == nil || sess == nil {
		return nil
	}
	err := sess.Unsubscribe(ctx, cur)
	if err != nil && !errors.Is(err, session.ErrClosed) && !errors.Is(err, session.ErrConnectionLost) {
		return fmt.Errorf("client: unsubscribe %s: %w", s.topic, withOp("unsubscribe", convertErr(err, true)))
	}
	return nil
}

// Subscribe subscribes to topic with SUBSCRIBE options (match...; copied).
func (c *Client) Subscribe(ctx context.Context, topic string, h EventHandler, options map[string]any) (*Subscription, error) {
	match, _ := options["match"].(string)
	if err := ValidateURI(topic, match, c.cfg.strictURIs); err != nil {
		return nil, err
	}
	if h == nil {
		return nil, fmt.Errorf("%w: nil event handler for %s", ErrInvalidOption, topic)
	}
	opts := make(map[string]any, len(options))
	for k, v := range options {
		opts[k] = v
	}
	s := &Subscription{c: c, topic: topic, options: opts, handler: h, done: make(chan struct{})}
	sess, err := c.current(ctx)
	if err != nil {
		return nil, fmt.Errorf("client: subscribe %s: %w", topic, withOp("subscribe", err))
	}
	cur, err := sess.Subscribe(ctx, topic, wamp.Dict(opts), s.deliver, s)
	if err != nil {
		return nil, fmt.Errorf("client: subscribe %s: %w", topic, withOp("subscribe", convertErr(err, true)))
	}
	s.mu.Lock()
	s.current = cur // events may already be delivered
	s.mu.Unlock()
	c.mu.Lock()
	c.subs[s] = struct{}{}
	c.mu.Unlock()
	return s, nil
}

func (s *Subscription) deliver(ev *session.Event) {
	s.handler(&Event{Payload: Payload{Args: ev.Args, Kwargs: ev.Kwargs}, Topic: s.topic,
		Subscription: ID(ev.Subscription), Publication: ID(ev.Publication), Details: ev.Details})
}

func (c *Client) restoreSubscription(sess *session.Session, s *Subscription) {
	s.mu.Lock()
	ended := s.ended
	s.mu.Unlock()
	if ended {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), defaultRestoreTimeout)
	defer cancel()
	cur, err := sess.Subscribe(ctx, s.topic, wamp.Dict(s.options), s.deliver, s)
	if err != nil {
		c.log.Error("wamp subscription not restored", "topic", s.topic, "error", err)
		return
	}
	s.mu.Lock()
	s.current = cur
	s.mu.Unlock()
}

// PublishOptions are the options of one PUBLISH.
type PublishOptions struct {
	// Acknowledge waits for the router's PUBLISHED (or ERROR).
	Acknowledge bool
	// ExcludeMe, when set, overrides the router default of not sending the
	// event back to the publisher.
	ExcludeMe *bool
	// Options are extra PUBLISH options (copied).
	Options map[string]any
}

// Publish publishes p to topic. With Acknowledge it returns the publication
// ID once the router confirmed; otherwise 0 once the message is sent.
func (c *Client) Publish(ctx context.Context, topic string, p Payload, opts PublishOptions) (ID, error) {
	if err := ValidateURI(topic, "", c.cfg.strictURIs); err != nil {
		return 0, err
	}
	o := make(wamp.Dict, len(opts.Options)+1)
	for k, v := range opts.Options {
		o[k] = v
	}
	if opts.ExcludeMe != nil {
		o["exclude_me"] = *opts.ExcludeMe
	}
	sess, err := c.current(ctx)
	if err != nil {
		return 0, fmt.Errorf("client: publish %s: %w", topic, withOp("publish", err))
	}
	id, err := sess.Publish(ctx, topic, o, p.Args, p.Kwargs, opts.Acknowledge)
	if err != nil {
		return 0, fmt.Errorf("client: publish %s: %w", topic, withOp("publish", convertErr(err, opts.Acknowledge)))
	}
	return ID(id), nil
}
