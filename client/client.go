package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/wampkit/wampkit/internal/session"
)

// Client is a WAMP client: one session at a time with a router, re-joined
// after a lost transport (unless reconnect is off), with the registrations
// and subscriptions made through it restored on every new session.
//
// A Client is safe for concurrent use. Its goroutines (the session's read
// loop, handler goroutines, the reconnect supervisor) belong to it and are
// gone when Close returns.
type Client struct {
	cfg  config
	dial dialer
	log  *slog.Logger

	mu      sync.Mutex
	sess    *session.Session
	state   State
	changed chan struct{} // closed and replaced on every state change
	closing bool
	regs    map[*Registration]struct{}
	subs    map[*Subscription]struct{}

	stop       chan struct{} // closed by Close: the supervisor stops
	supervisor sync.WaitGroup
	notify     chan State // state changes for the callback goroutine
	background sync.WaitGroup
	closeOnce  sync.Once
	closeErr   error
}

// Connect dials the router at url and joins the realm. URL schemes: ws, wss
// (websocket), tcp, tcps (rawsocket over TCP), unix (rawsocket over a Unix
// socket, unix:///path). ctx bounds the first connection only.
func Connect(ctx context.Context, url string, opts ...Option) (*Client, error) {
	cfg, err := buildConfig(opts)
	if err != nil {
		return nil, err
	}
	d, err := urlDialer(url, &cfg)
	if err != nil {
		return nil, err
	}
	return start(ctx, d, cfg)
}

// ConnectLocal joins a router running in the same process, through an
// in-memory peer: r is the nexus router or wampkit's reference router. After
// a lost session it re-attaches like any reconnect.
func ConnectLocal(ctx context.Context, r Attacher, opts ...Option) (*Client, error) {
	cfg, err := buildConfig(opts)
	if err != nil {
		return nil, err
	}
	return start(ctx, localDialer(r), cfg)
}

func buildConfig(opts []Option) (config, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o.apply(&cfg); err != nil {
			return config{}, err
		}
	}
	return cfg, nil
}

func start(ctx context.Context, d dialer, cfg config) (*Client, error) {
	c := &Client{
		cfg: cfg, dial: d, log: cfg.log(),
		changed: make(chan struct{}),
		regs:    map[*Registration]struct{}{},
		subs:    map[*Subscription]struct{}{},
		stop:    make(chan struct{}),
		notify:  make(chan State, 16),
	}
	sess, err := c.join(ctx)
	if err != nil {
		return nil, err
	}
	c.sess = sess
	c.background.Add(1)
	go c.runCallbacks()
	c.setState(Connected)
	c.supervisor.Add(1)
	go c.supervise(sess)
	return c, nil
}

// join dials and joins once.
func (c *Client) join(ctx context.Context) (*session.Session, error) {
	peer, err := c.dial(ctx)
	if err != nil {
		return nil, err
	}
	sess, err := session.Join(ctx, peer, session.Config{
		Realm:       c.cfg.realm,
		Hello:       c.cfg.helloDetails(),
		Auth:        c.cfg.authFunc(),
		Logger:      c.log,
		OnRevoke:    c.onRevoke,
		EventBuffer: c.cfg.eventBuffer,
	})
	if err != nil {
		return nil, fmt.Errorf("client: join realm %q: %w", c.cfg.realm, convertErr(err, false))
	}
	return sess, nil
}

// ID returns the current session ID (0 while not connected).
func (c *Client) ID() ID {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess == nil || c.state != Connected {
		return 0
	}
	return ID(c.sess.ID())
}

// Realm returns the realm the client joins.
func (c *Client) Realm() string { return c.cfg.realm }

// RouterDetails returns the WELCOME details of the current session (roles,
// authid, authrole...). The map must not be modified.
func (c *Client) RouterDetails() map[string]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess == nil {
		return nil
	}
	return c.sess.Welcome()
}

// State returns the connection state.
func (c *Client) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// WaitState waits until the client is in state s, or ctx ends. Waiting for
// any state other than Closed on a closed client fails with ErrClosed.
func (c *Client) WaitState(ctx context.Context, s State) error {
	for {
		c.mu.Lock()
		cur, ch := c.state, c.changed
		c.mu.Unlock()
		if cur == s {
			return nil
		}
		if cur == Closed {
			return ErrClosed
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("client: waiting for state %s (now %s): %w", s, cur, ctx.Err())
		}
	}
}

// Done is closed once the client is Closed.
func (c *Client) Done() <-chan struct{} { return c.stop }

func (c *Client) setState(s State) {
	c.mu.Lock()
	if c.state == s {
		c.mu.Unlock()
		return
	}
	c.state = s
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
	if c.cfg.onState != nil {
		c.notify <- s
	}
}

// runCallbacks calls the state callback, in order, off every lock.
func (c *Client) runCallbacks() {
	defer c.background.Done()
	for s := range c.notify {
		if c.cfg.onState != nil {
			c.cfg.onState(s)
		}
	}
}

// current returns the session to use for a request, waiting through a
// reconnect unless fail-fast is on.
func (c *Client) current(ctx context.Context) (*session.Session, error) {
	for {
		c.mu.Lock()
		st, sess, ch, closing := c.state, c.sess, c.changed, c.closing
		c.mu.Unlock()
		switch {
		case closing || st == Closed:
			return nil, &LocalError{Op: "request", Err: ErrClosed}
		case st == Connected && !ended(sess):
			return sess, nil
		case st == Connected:
			// The session just ended and the supervisor has not moved the
			// state yet: wait for it, as for any reconnect.
			if c.cfg.failFast {
				return nil, &LocalError{Op: "request", Err: ErrNotConnected}
			}
		case c.cfg.failFast:
			return nil, &LocalError{Op: "request", Err: ErrNotConnected}
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, &LocalError{Op: "request", Err: fmt.Errorf("%w while %s: %w", ErrNotConnected, st, ctx.Err())}
		}
	}
}

// supervise owns reconnection: it waits for the session to end and, unless
// the client is closing or reconnect is off, joins again with backoff and
// restores registrations and subscriptions.
func (c *Client) supervise(sess *session.Session) {
	defer c.supervisor.Done()
	for {
		select {
		case <-sess.Done():
		case <-c.stop:
			return
		}
		c.mu.Lock()
		closing := c.closing
		c.mu.Unlock()
		if closing {
			return
		}
		c.log.Warn("wamp session lost", "session", sess.ID(), "error", sess.Err())
		if !c.cfg.reconnect {
			c.shutdown()
			return
		}
		c.setState(Reconnecting)
		next := c.rejoin()
		if next == nil {
			return // closing
		}
		sess = next
	}
}

// rejoin dials with backoff until it has a session (restored) or the client
// closes.
func (c *Client) rejoin() *session.Session {
	b := c.cfg.backoff()
	b.Reset()
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithCancel(context.Background())
		go func() { // ends the dial when the client closes; exits with ctx
			select {
			case <-c.stop:
				cancel()
			case <-ctx.Done():
			}
		}()
		sess, err := c.join(ctx)
		cancel()
		if err == nil {
			c.mu.Lock()
			if c.closing {
				c.mu.Unlock()
				_ = sess.Close(context.Background())
				return nil
			}
			c.sess = sess
			c.mu.Unlock()
			c.restore(sess)
			c.setState(Connected)
			return sess
		}
		wait := b.NextBackOff()
		if wait == backoff.Stop {
			c.log.Error("wamp reconnect gave up", "attempts", attempt, "error", err)
			c.shutdown()
			return nil
		}
		c.log.Info("wamp reconnect failed", "attempt", attempt, "retry_in", wait, "error", err)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-c.stop:
			t.Stop()
			return nil
		}
	}
}

// shutdown moves the client to Closed after a loss it will not recover from.
func (c *Client) shutdown() {
	c.mu.Lock()
	c.closing = true
	c.mu.Unlock()
	c.endHandles(ErrConnectionLost)
	c.setState(Closed)
	c.closeOnce.Do(func() {
		close(c.stop)
		close(c.notify)
	})
}

// Close leaves the realm gracefully: new requests fail with ErrClosed, every
// registration is unregistered (so no new invocations arrive), running
// handlers are waited for until ctx ends, then GOODBYE is exchanged and the
// transport closed. Close is idempotent; it returns ctx's error if ctx ended
// before handlers finished (their contexts are canceled).
func (c *Client) Close(ctx context.Context) error {
	c.mu.Lock()
	already := c.closing
	c.closing = true
	sess := c.sess
	c.mu.Unlock()
	if already {
		c.supervisor.Wait()
		c.background.Wait()
		return nil
	}
	var err error
	if sess != nil {
		c.unregisterAll(ctx, sess)
		drainErr := sess.Drain(ctx)
		closeErr := sess.Close(ctx)
		err = errors.Join(drainErr, closeErr)
	}
	c.endHandles(ErrClosed)
	c.setState(Closed)
	c.closeOnce.Do(func() {
		close(c.stop)
		close(c.notify)
	})
	c.supervisor.Wait()
	c.background.Wait()
	if err != nil {
		return fmt.Errorf("client: close: %w", err)
	}
	return nil
}

// ended reports whether s has started to end (requests to it fail unsent).
func ended(s *session.Session) bool {
	select {
	case <-s.Ending():
		return true
	default:
		return false
	}
}
