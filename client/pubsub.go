package client

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// Event is one event delivered to a subscription.
type Event struct {
	Payload
	Topic        string // the subscribed topic (or pattern)
	Subscription ID
	Publication  ID
	Details      map[string]any

	size int // approximate encoded size, charged against WithEventQueueBytes
}

// EventHandler receives a subscription's events, one at a time, never on
// the goroutine that reads from the router (a slow handler never delays
// call results or invocations). By default it runs in the client's one
// ordered delivery: see [Client.Subscribe].
type EventHandler func(*Event)

// Subscription is a durable handle on a subscription; it is restored after
// reconnects (its router ID may change). Events published while the client
// was reconnecting are not delivered ([SubscribeOptions].OnGap marks the place). Safe for
// concurrent use.
type Subscription struct {
	c       *Client
	topic   string
	options SubscribeOptions // resolved
	handler EventHandler
	own     *eventQueue // ConcurrentDelivery's queue; nil: the client's

	stopped   atomic.Bool   // ended: queued events are skipped
	dropped   atomic.Uint64 // events dropped at the queue bound
	missed    uint64        // dropped since the last Gap; guarded by the queue's mu
	gapQueued bool          // a drop marker is pending; guarded by the queue's mu

	restoring sync.Mutex // one restore at a time

	mu      sync.Mutex
	current *sessionSub
	on      *session // the session current belongs to
	done    chan struct{}
	err     error
	ended   bool
}

// ID returns the subscription's router ID on the current session; it may
// change after a reconnect, the handle stays valid. Several handles on one
// topic share one router ID.
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

// Done is closed when the subscription ends (Unsubscribe, client close, or
// a restore the router kept refusing).
func (s *Subscription) Done() <-chan struct{} { return s.done }

// Err says why the subscription ended: nil after Unsubscribe.
func (s *Subscription) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Dropped returns how many of the subscription's events were dropped
// because its queue was over its bound ([WithEventQueueBytes]).
func (s *Subscription) Dropped() uint64 { return s.dropped.Load() }

func (s *Subscription) end(err error) bool {
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return false
	}
	s.ended, s.err = true, err
	s.stopped.Store(true)
	close(s.done)
	s.mu.Unlock()
	s.c.dropQueue(s)
	return true
}

// Unsubscribe ends the subscription: its handler is not called for events
// still queued (a call under way finishes), and it is not restored after a
// reconnect. Other handles on the same topic keep receiving; the router
// subscription ends with the last of them.
func (s *Subscription) Unsubscribe(ctx context.Context) error {
	s.mu.Lock() // end and read together, as Registration.Unregister does
	if s.ended {
		s.mu.Unlock()
		return nil
	}
	s.ended = true
	s.stopped.Store(true)
	close(s.done)
	cur, sess := s.current, s.on
	s.mu.Unlock()
	c := s.c
	c.dropQueue(s)
	c.mu.Lock()
	delete(c.subs, s)
	c.mu.Unlock()
	if cur == nil || ended(sess) {
		return nil
	}
	err := sess.Unsubscribe(ctx, cur)
	if err != nil && !errors.Is(err, ErrClosed) && !errors.Is(err, ErrConnectionLost) {
		return opError("unsubscribe", s.topic, err, true)
	}
	return nil
}

// Subscribe subscribes to topic with the given options and returns a
// handle. Bad options fail with an error wrapping [ErrInvalidOption] before
// anything else is checked. When the client reconnects while SUBSCRIBE is
// under way, Subscribe returns once the first router took it, and the
// subscription is restored on the new session in the background, as after
// any reconnect (OnGap tells of events that may have been missed).
//
// Delivery order: by default the events of all the client's subscriptions
// are delivered one at a time, in the order the router sent them, by one
// goroutine of the client: a subscriber to two topics sees a publisher's
// events in the order published, whichever subscription they come through
// (the spec's ordering guarantee), and a handler never runs concurrently
// with another handler of the client. A slow handler therefore delays the
// other subscriptions' events (never call results or invocations, which do
// not go through this queue). [SubscribeOptions].ConcurrentDelivery gives a
// subscription its own goroutine instead.
//
// Queue bound: events wait in a queue bounded by the approximate encoded
// size of what it holds ([WithEventQueueBytes], default 64 MiB). An event
// that arrives when the queue is over its bound is dropped, as nats does
// with a slow consumer: the subscriptions it was for count it ([Subscription.Dropped]),
// the client logs a warning once per slow episode, and
// [SubscribeOptions].OnGap reports it in the event order.
//
// Subscribing to one topic several times gives each handle every event;
// the router sees one subscription, ended when the last handle ends.
func (c *Client) Subscribe(ctx context.Context, topic string, h EventHandler, opts SubscribeOptions) (*Subscription, error) {
	opts, err := opts.resolved()
	if err != nil {
		return nil, &OpError{Op: "subscribe", URI: topic, Err: err}
	}
	if err := c.usable(ctx, "subscribe", topic); err != nil {
		return nil, err
	}
	if err := ValidateURI(topic, opts.Match, c.cfg.strictURIs); err != nil {
		return nil, &OpError{Op: "subscribe", URI: topic, Err: err}
	}
	if h == nil {
		return nil, &OpError{Op: "subscribe", URI: topic, Err: fmt.Errorf("%w: nil event handler", ErrInvalidOption)}
	}
	s := &Subscription{c: c, topic: topic, options: opts, handler: h, done: make(chan struct{})}
	if opts.ConcurrentDelivery {
		s.own = newEventQueue(c)
		c.mu.Lock()
		closing := c.closing
		if !closing {
			c.ownQueues[s.own] = struct{}{}
		}
		err := c.closedErrLocked()
		c.mu.Unlock()
		if closing {
			return nil, &OpError{Op: "subscribe", URI: topic, Err: err}
		}
	}
	sess, cur, err := withSession(ctx, c, "subscribe", topic, true, func(sess *session) (*sessionSub, error) {
		if err := subscribeNeeds(sess.Features(), opts); err != nil {
			return nil, err
		}
		return sess.Subscribe(ctx, topic, opts.dict(), s, nil)
	})
	if err != nil {
		s.end(err)
		return nil, err
	}
	s.mu.Lock()
	s.current, s.on = cur, sess // events may already be delivered
	s.mu.Unlock()
	c.mu.Lock()
	if c.closing {
		err := &OpError{Op: "subscribe", URI: topic, Err: c.closedErrLocked(), Sent: true}
		c.mu.Unlock()
		s.end(ErrClosed)
		return nil, err
	}
	c.subs[s] = struct{}{}
	now := c.sess
	c.mu.Unlock()
	if now != sess { // a new session was installed meanwhile: restore s on it, in the background (see Register)
		c.goSupervised(func() { c.restoreSubOrRetry(now, s) })
	}
	return s, nil
}

// dropQueue closes the own queue of a subscription that ended.
func (c *Client) dropQueue(s *Subscription) {
	if s.own == nil {
		return
	}
	s.own.close()
	c.mu.Lock()
	delete(c.ownQueues, s.own)
	c.mu.Unlock()
}

// queue is the queue s's events and markers go through.
func (s *Subscription) queue() *eventQueue {
	if s.own != nil {
		return s.own
	}
	return s.c.events
}

// restoreSubOrRetry subscribes s again on sess; a refusal is logged and
// retried in the background with backoff.
func (c *Client) restoreSubOrRetry(sess *session, s *Subscription) {
	err := c.restoreSubscription(sess, s)
	if err == nil || c.lostDuringRestore(sess, err) {
		return
	}
	c.log.Error("wamp subscription not restored; retrying", "topic", s.topic, "error", err)
	c.goSupervised(func() { c.retrySubscription(sess, s, err) })
}

// restoreSubscription subscribes s again on sess. The Gap marker is queued
// as the handle starts to receive the new session's events, so OnGap sees
// it before the first of them.
func (c *Client) restoreSubscription(sess *session, s *Subscription) error {
	s.restoring.Lock()
	defer s.restoring.Unlock()
	s.mu.Lock()
	skip := s.ended || s.on == sess
	s.mu.Unlock()
	if skip {
		return nil
	}
	if err := subscribeNeeds(sess.Features(), s.options); err != nil {
		return err // the new router lacks what the old one had
	}
	ctx, cancel := context.WithTimeout(c.life, defaultRestoreTimeout)
	defer cancel()
	cur, err := sess.Subscribe(ctx, s.topic, s.options.dict(), s, func(*sessionSub) {
		s.queue().marker(s, true)
	})
	if err != nil {
		return err
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
func (c *Client) retrySubscription(sess *session, s *Subscription, last error) {
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

// Publish publishes p to topic. With Acknowledge it returns the publication
// ID once the router confirmed; otherwise 0 once the message is sent.
func (c *Client) Publish(ctx context.Context, topic string, p Payload, opts PublishOptions) (ID, error) {
	opts, err := opts.resolved()
	if err != nil {
		return 0, &OpError{Op: "publish", URI: topic, Err: err}
	}
	if err := c.usable(ctx, "publish", topic); err != nil {
		return 0, err
	}
	if err := ValidateURI(topic, "", c.cfg.strictURIs); err != nil {
		return 0, &OpError{Op: "publish", URI: topic, Err: err}
	}
	args, kwargs, o, err := p.onWire(opts.dict())
	if err != nil {
		return 0, &OpError{Op: "publish", URI: topic, Err: err}
	}
	sess, err := c.current(ctx, "publish")
	if err != nil {
		return 0, &OpError{Op: "publish", URI: topic, Err: err}
	}
	id, err := sess.Publish(ctx, topic, o, args, kwargs, opts.Acknowledge)
	if err != nil {
		return 0, opError("publish", topic, err, opts.Acknowledge)
	}
	return ID(id), nil
}
