package client

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"strconv"
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
	// "" for an in-process router (ConnectLocal).
	URL string
}

// State returns the connection state.
func (c *Client) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// WaitState waits until the client is in state s, or has entered s since
// WaitState was called (so a brief Reconnecting or Connected between two
// changes is not missed), or ctx ends. Waiting for any state other than
// Closed on a client that closed without entering it fails with ErrClosed.
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
		case cur == s || n != since:
			return nil
		case cur == Closed:
			return &OpError{Op: "wait for state", URI: s.String(), Err: ErrClosed}
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return &OpError{Op: "wait for state", URI: s.String(), Err: fmt.Errorf("still %s: %w", cur, ctx.Err())}
		}
	}
}

// Done is closed once the client is Closed.
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
// closing it moves to no other state (but Draining when it drains). The callback is queued under the lock
// (never a channel send), so a change can never race the callback
// goroutine's end.
func (c *Client) setState(s State) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == s || c.state == Closed || c.closing && s != Closed && !(s == Draining && c.draining) {
		return
	}
	c.state = s
	c.entered[s]++
	close(c.changed)
	c.changed = make(chan struct{})
	if s == Closed {
		close(c.done)
	}
	if c.cfg.onState != nil || c.cfg.onChange != nil {
		c.pending = append(c.pending, StateChange{State: s, URL: c.targets[c.at].url})
		select {
		case c.wake <- struct{}{}:
		default: // a wake-up is already due
		}
	}
}

// runCallbacks calls the state callback, in order, off every lock. It ends
// after delivering Closed.
func (c *Client) runCallbacks() {
	defer c.background.Done()
	c.callbackG.Store(goroutineID())
	for {
		c.mu.Lock()
		batch, last := c.pending, c.state == Closed // Closed is queued with the change
		c.pending = nil
		c.mu.Unlock()
		for _, s := range batch {
			if c.cfg.onState != nil {
				c.cfg.onState(s.State)
			}
			if c.cfg.onChange != nil {
				c.cfg.onChange(s)
			}
		}
		if last {
			return
		}
		<-c.wake
	}
}

// onCallbackGoroutine reports whether the caller runs on the state callback
// goroutine (Close called from the callback must not wait for itself).
func (c *Client) onCallbackGoroutine() bool {
	id := c.callbackG.Load()
	return id != 0 && id == goroutineID()
}

// goroutineID returns the current goroutine's number, parsed from the
// first line of its stack ("goroutine 42 [running]:"). Only Close uses it,
// once.
func goroutineID() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i > 0 {
		b = b[:i]
	}
	id, _ := strconv.ParseUint(string(b), 10, 64)
	return id
}
