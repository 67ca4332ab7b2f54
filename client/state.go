package client

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
)

// State is the client's connection state.
type State int

// The states a client goes through. A client starts Connecting, is
// Connected while it has a session, Reconnecting after losing it, Draining
// during [Client.Drain], and Closed for good after Close (or after losing
// the connection with reconnect off).
const (
	Connecting State = iota
	Connected
	Reconnecting
	// Draining: Drain has withdrawn the client's registrations and
	// subscriptions and waits for the work in flight. Calls and publications
	// still go out (a running handler may need them); new registrations and
	// subscriptions fail with ErrClosed. The session is the same as while
	// Connected.
	Draining
	Closed
)

func (s State) String() string {
	switch s {
	case Connecting:
		return "connecting"
	case Connected:
		return "connected"
	case Reconnecting:
		return "reconnecting"
	case Draining:
		return "draining"
	case Closed:
		return "closed"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// StateChange is one state change as [WithStateListener] sees it.
type StateChange struct {
	State State
	// URL is the router's URL: the one joined for Connected, the one
	// whose session was lost for Reconnecting, the last one for Closed;
	// "" for an in-process router (client/wamptest).
	URL string
}

// State returns the connection state. It is Closed from the moment the
// client is closed for good (Close has done its work, or the client gave
// up); [Client.Done] is closed a little later, once no listener or event
// handler of the client runs any more.
func (c *Client) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// WaitForStateChange waits until the state differs from from, as grpc's
// ClientConn.WaitForStateChange does: it returns true once it does (for
// Closed, once [Client.Done] is closed), false when ctx ends first. It
// starts no goroutine. A change and its reverse between two looks (a brief
// Reconnecting) may be missed; [Client.WaitState] or a listener
// ([WithStateListener]) sees every one. Do not wait for Closed from a
// listener or an event handler (see [Client.Done]).
//
//	for s := c.State(); s != client.Closed; s = c.State() {
//		if !c.WaitForStateChange(ctx, s) {
//			break // ctx ended
//		}
//	}
func (c *Client) WaitForStateChange(ctx context.Context, from State) bool {
	if c == nil || ctx == nil {
		return false
	}
	for {
		c.mu.Lock()
		cur, ch := c.state, c.changed
		c.mu.Unlock()
		if cur != from {
			if cur != Closed {
				return true
			}
			ch = c.done
		}
		select {
		case <-ch:
			if cur != from { // Done
				return true
			}
		case <-ctx.Done():
			return false
		}
	}
}

// WaitState waits until the client is in state s, or has entered s since
// WaitState was called (so a brief Reconnecting or Connected between two
// changes is not missed), or ctx ends. Closed counts once [Client.Done] is
// closed. Waiting for any state other than Closed on a client that closed
// without entering it fails with ErrClosed. It starts no goroutine.
func (c *Client) WaitState(ctx context.Context, s State) error {
	if err := c.usable(ctx, "wait state", ""); err != nil {
		return err
	}
	if s < Connecting || s > Closed {
		return fmt.Errorf("%w: unknown state %d", ErrInvalidOption, int(s))
	}
	c.mu.Lock()
	since := c.entered[s]
	c.mu.Unlock()
	for {
		c.mu.Lock()
		cur, ch, n := c.state, c.changed, c.entered[s]
		c.mu.Unlock()
		switch {
		case s == Closed && cur == Closed:
			ch = c.done
		case cur == s || n != since:
			return nil
		case cur == Closed:
			return &OpError{Op: "wait for state", URI: s.String(), Err: ErrClosed}
		}
		select {
		case <-ch:
			if s == Closed && cur == Closed {
				return nil
			}
		case <-ctx.Done():
			return &OpError{Op: "wait for state", URI: s.String(), Err: fmt.Errorf("still %s: %w", cur, ctx.Err())}
		}
	}
}

// Done is closed once the client is Closed and none of its goroutines runs
// a listener ([WithStateListener]) or an event handler any more: the
// listeners have returned from their Closed call. Done therefore never
// closes while a listener or an event handler waits for it.
func (c *Client) Done() <-chan struct{} { return c.done }

// Err reports why the client closed on its own: nil while it is open and
// after Close; after a lost connection with reconnect off, an error matching
// ErrConnectionLost; after the reconnect policy gave up, a *ReconnectError
// (errors.Is(err, ErrReconnectFailed)). Requests on such a client fail with
// ErrClosed wrapping the same error.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cause
}

// setState moves the client to s. Closed is final, and once the client is
// closing it moves to no other state (but Draining when it drains). The
// change is queued for the listeners under the lock (never a channel send),
// so a change can never race the listener goroutine's end.
func (c *Client) setState(s State) {
	c.mu.Lock()
	if c.state == s || c.state == Closed || c.closing && s != Closed && !(s == Draining && c.draining) {
		c.mu.Unlock()
		return
	}
	c.state = s
	c.entered[s]++
	close(c.changed)
	c.changed = make(chan struct{})
	if c.cfg.hasCallbacks() { // also wakes the callback goroutine to end after Closed
		sc := StateChange{State: s, URL: c.targets[c.at].url}
		c.queueLocked(func() {
			for _, f := range c.cfg.listeners {
				c.callListener(f, sc)
			}
		})
	}
	if s == Closed {
		close(c.final)
	}
	c.mu.Unlock()
	if s == Closed {
		c.callbacks.final()
	}
}

// hasCallbacks says whether the client runs the callback goroutine: it
// has listeners or a restore error handler.
func (cfg *config) hasCallbacks() bool { return len(cfg.listeners) > 0 || cfg.onRestoreErr != nil }

// queueLocked queues f for the callback goroutine. Called with c.mu held;
// nothing is queued once the client is Closed but the Closed change
// itself (queued as the state becomes Closed).
func (c *Client) queueLocked(f func()) {
	c.pending = append(c.pending, f)
	select {
	case c.wake <- struct{}{}:
	default: // a wake-up is already due
	}
}

// queueCallback queues f for the callback goroutine, unless the client is
// Closed (f is then dropped).
func (c *Client) queueCallback(f func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != Closed && c.cfg.hasCallbacks() {
		c.queueLocked(f)
	}
}

// runCallbacks runs the queued callbacks (listener calls, restore error
// reports) in order, off every lock, on the client's one callback
// goroutine. It ends after delivering Closed.
func (c *Client) runCallbacks() {
	defer c.callbacks.end()
	for {
		c.mu.Lock()
		batch, last := c.pending, c.state == Closed // Closed is queued with the change
		c.pending = nil
		c.mu.Unlock()
		for _, f := range batch {
			f()
		}
		if last {
			return
		}
		<-c.wake
	}
}

func (c *Client) callListener(f func(StateChange), sc StateChange) {
	c.safeCall("state listener", func() { f(sc) })
}

// safeCall runs an application callback; a panic is recovered and logged.
func (c *Client) safeCall(what string, f func()) {
	defer func() {
		if r := recover(); r != nil {
			c.log.Error("wamp "+what+" panicked", "panic", r, "stack", string(debug.Stack()))
		}
	}()
	f()
}

// callbackGoroutines counts the client's goroutines that run application
// callbacks (the listener goroutine, the event queues' delivery
// goroutines) and closes done once the client is Closed and none runs.
// Close does not wait for them: Close may be called from a callback, and a
// goroutine cannot wait for itself. They run nothing new once the client is
// closing (the event queues are closed first, the listeners get Closed
// last), so each ends as soon as the callback under way returns.
type callbackGoroutines struct {
	mu     sync.Mutex
	n      int
	closed bool          // the client is Closed
	done   chan struct{} // the client's Done
}

// start counts a goroutine about to start. It must be called before the
// client is Closed (the event queues are closed, and the listener
// goroutine starts, before that).
func (g *callbackGoroutines) start() {
	g.mu.Lock()
	g.n++
	g.mu.Unlock()
}

// end is the last thing a counted goroutine does.
func (g *callbackGoroutines) end() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.n--
	if g.n == 0 && g.closed {
		close(g.done)
	}
}

// final records that the client is Closed.
func (g *callbackGoroutines) final() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return
	}
	g.closed = true
	if g.n == 0 {
		close(g.done)
	}
}
