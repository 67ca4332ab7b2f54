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
// reconnects (its router ID may change). Events published while the client
// was reconnecting are not delivered. Safe for concurrent use.
type Subscription struct {
	c       *Client
	topic   string
	options map[string]any
	handler EventHandler

	restoring sync.Mutex // one restore at a time

	mu      sync.Mutex
	current *session.Subscription
	on      *session.Session // the session current belongs to
	done    chan struct{}
	err     error
	ended   bool
}

// ID returns the subscription's router ID on the current session; it may
// change after a reconnect, the handle stays valid.
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

func (s *Subscription) end(err error) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return false
	}
	s.ended, s.err = true, err
	close(s.done)
	return true
}

// Unsubscribe ends the subscription; it is not restored after a reconnect.
func (s *Subscription) Unsubscribe(ctx context.Context) error {
	s.mu.Lock() // end and read together, as Registration.Unregister does
	if s.ended {
		s.mu.Unlock()
		return nil
	}
	s.ended = true
	close(s.done)
	cur, sess := s.current, s.on
	s.mu.Unlock()
	c := s.c
	c.mu.Lock()
	delete(c.subs, s)
	c.mu.Unlock()
	if cur == nil || ended(sess) {
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
	sess, cur, err := withSession(ctx, c, "subscribe", topic, true, func(sess *session.Session) (*session.Subscription, error) {
		return sess.Subscribe(ctx, topic, wamp.Dict(opts), s.deliver, s)
	})
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.current, s.on = cur, sess // events may already be delivered
	s.mu.Unlock()
	c.mu.Lock()
	if c.closing {
		err := &LocalError{Op: "subscribe", Err: c.closedErrLocked(), Sent: true}
		c.mu.Unlock()
		s.end(ErrClosed)
		return nil, fmt.Errorf("client: subscribe %s: %w", topic, err)
	}
	c.subs[s] = struct{}{}
	now := c.sess
	c.mu.Unlock()
	if now != sess { // a new session was installed meanwhile: restore s on it
		c.restoreSubOrRetry(now, s)
	}
	return s, nil
}

func (s *Subscription) deliver(ev *session.Event) {
	s.handler(&Event{Payload: Payload{Args: ev.Args, Kwargs: ev.Kwargs}, Topic: s.topic,
		Subscription: ID(ev.Subscription), Publication: ID(ev.Publication), Details: ev.Details})
}

// restoreSubOrRetry subscribes s again on sess; a refusal is logged and
// retried in the background with backoff.
func (c *Client) restoreSubOrRetry(sess *session.Session, s *Subscription) {
	err := c.restoreSubscription(sess, s)
	if err == nil || c.lostDuringRestore(sess, err) {
		return
	}
	c.log.Error("wamp subscription not restored; retrying", "topic", s.topic, "error", err)
	c.goSupervised(func() { c.retrySubscription(sess, s, err) })
}

func (c *Client) restoreSubscription(sess *session.Session, s *Subscription) error {
	s.restoring.Lock()
	defer s.restoring.Unlock()
	s.mu.Lock()
	skip := s.ended || s.on == sess
	s.mu.Unlock()
	if skip {
		return nil
	}
	ctx, cancel := context.WithTimeout(c.life, defaultRestoreTimeout)
	defer cancel()
	cur, err := sess.Subscribe(ctx, s.topic, wamp.Dict(s.options), s.deliver, s)
	if err != nil {
		return convertErr(err, true)
	}
	s.mu.Lock()
	ended := s.ended
	if !ended {
		s.current, s.on = cur, sess
	}
	s.mu.Unlock()
	if ended {
		_ = sess.Unsubscribe(ctx, cur)
	}
	return nil
}

// retrySubscription is retryRestore for a subscription: when the backoff
// policy stops, the subscription ends with the last refusal.
func (c *Client) retrySubscription(sess *session.Session, s *Subscription, last error) {
	c.retryWithBackoff(sess, s.done, func() bool {
		err := c.restoreSubscription(sess, s)
		if err == nil || c.lostDuringRestore(sess, err) {
			return true
		}
		last = err
		c.log.Error("wamp subscription not restored; retrying", "topic", s.topic, "error", err)
		return false
	}, func() {
		c.mu.Lock()
		delete(c.subs, s)
		c.mu.Unlock()
		s.end(fmt.Errorf("client: restore subscription %s: %w", s.topic, last))
		c.log.Error("wamp subscription not restored; giving up", "topic", s.topic, "error", last)
	})
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
