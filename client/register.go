package client

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// InvocationHandler answers an invocation. Returning an *Error (anywhere in
// the error chain) sends that error to the caller; any other error, or a
// panic, is sent as wamp.error.runtime_error with its message.
type InvocationHandler func(ctx context.Context, inv *Invocation) (Payload, error)

// Registration is a durable handle on a registration made through the
// client. It survives reconnects: the client registers it again on every new
// session, so its router ID (ID) may change. Two registrations of one URI
// (exact and prefix, say) are independent handles.
//
// Safe for concurrent use.
type Registration struct {
	c         *Client
	procedure string
	options   RegisterOptions // resolved
	handler   InvocationHandler

	restoring sync.Mutex // one restore at a time

	mu      sync.Mutex
	current *sessionReg
	on      *session // the session current belongs to
	done    chan struct{}
	err     error
	ended   bool
}

// ID returns the registration's router ID on the current session. The
// router assigns a new ID each time the client restores the registration
// after a reconnect, so the ID may change over the handle's life (and is
// the last session's while reconnecting); the handle itself stays valid.
// Compare handles, not IDs, across reconnects.
func (r *Registration) ID() ID {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.current == nil {
		return 0
	}
	return ID(r.current.ID)
}

// Procedure returns the registered URI (or pattern).
func (r *Registration) Procedure() string { return r.procedure }

// Options returns the REGISTER options as sent: the keys of Extra that a
// field covers read into the field (see [RegisterOptions]), Extra a copy.
func (r *Registration) Options() RegisterOptions {
	o := r.options.clone()
	o.typedInput = false // how wampkit reads the input, not an option sent
	return o
}

// Done is closed when the registration ends for any reason: Unregister, a
// revocation by the router, or the client closing.
func (r *Registration) Done() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done == nil { // made on first use: most handles are never asked
		if r.ended {
			return closedChan
		}
		r.done = make(chan struct{})
	}
	return r.done
}

// closedChan is the Done channel of a handle that ended before anyone asked.
var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// Err says why the registration ended, once Done is closed: nil after
// Unregister; a *RevokedError (errors.Is(err, ErrRevoked)) when the router
// revoked it; ErrClosed or ErrConnectionLost when the client went away.
func (r *Registration) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

func (r *Registration) end(err error) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.endLocked(err)
}

// endLocked ends r with err unless it has ended already; r.mu is held.
func (r *Registration) endLocked(err error) bool {
	if r.ended {
		return false
	}
	r.ended, r.err = true, err
	if r.done != nil {
		close(r.done)
	}
	return true
}

func (r *Registration) isEnded() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ended
}

// Unregister withdraws the registration; it is not restored after a
// reconnect. After a revocation or Close it is a no-op returning nil.
// Invocations already running finish.
func (r *Registration) Unregister(ctx context.Context) error {
	// Ending and reading the current registration happen together: a
	// restore in progress either installed its registration before (and it
	// is withdrawn here) or sees the end and withdraws it itself.
	r.mu.Lock()
	if !r.endLocked(nil) {
		r.mu.Unlock()
		return nil
	}
	cur, sess := r.current, r.on
	r.mu.Unlock()
	c := r.c
	c.mu.Lock()
	delete(c.regs, r)
	c.mu.Unlock()
	if cur == nil || ended(sess) {
		return nil // the lost session took it along
	}
	err := sess.Unregister(ctx, cur)
	if err != nil && !errors.Is(err, ErrClosed) && !errors.Is(err, ErrConnectionLost) {
		return opError("unregister", r.procedure, err, true)
	}
	return nil
}

// Register registers procedure with the given options and routes
// invocations to h. Bad options fail with an error wrapping
// [ErrInvalidOption] before anything else is checked; a request that needs
// a router feature the router does not announce fails with a
// [*FeatureError] before anything is sent. A router refusal is an *Error
// (procedure_already_exists, invalid_uri, ...). When the client reconnects
// while REGISTER is under way, Register returns once the first router took
// it, and the registration is restored on the new session in the
// background, as after any reconnect.
func (c *Client) Register(ctx context.Context, procedure string, h InvocationHandler, opts RegisterOptions) (*Registration, error) {
	opts, err := opts.resolved()
	if err != nil {
		return nil, &OpError{Op: "register", URI: procedure, Err: err}
	}
	if err := c.usable(ctx, "register", procedure); err != nil {
		return nil, err
	}
	if err := ValidateURI(procedure, opts.Match, c.cfg.strictURIs); err != nil {
		return nil, &OpError{Op: "register", URI: procedure, Err: err}
	}
	if h == nil {
		return nil, &OpError{Op: "register", URI: procedure, Err: fmt.Errorf("%w: nil handler", ErrInvalidOption)}
	}
	if len(c.cfg.interceptors) > 0 {
		if h, err = ChainInvocation(h, c.cfg.interceptors...); err != nil {
			return nil, &OpError{Op: "register", URI: procedure, Err: err}
		}
	}
	r := &Registration{c: c, procedure: procedure, options: opts, handler: h}
	sess, cur, err := withSession(ctx, c, "register", procedure, true, func(sess *session) (*sessionReg, error) {
		if err := registerNeeds(sess.Features(), opts); err != nil {
			return nil, err
		}
		return sess.Register(ctx, procedure, opts.dict(), r.handler, r)
	})
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.current, r.on = cur, sess // invocations may already be running and reading ID
	r.mu.Unlock()
	c.mu.Lock()
	if c.closing { // Close has withdrawn the others already
		err := &OpError{Op: "register", URI: procedure, Err: c.closedErrLocked(), Sent: true}
		c.mu.Unlock()
		if !ended(sess) {
			_ = sess.Unregister(ctx, cur)
		}
		r.end(ErrClosed)
		return nil, err
	}
	c.regs[r] = struct{}{}
	now := c.sess
	c.mu.Unlock()
	if now != sess {
		// A new session was installed while REGISTER was under way: its
		// restore did not know r, so r is restored on it, in the
		// background as any restore: r is already kept, and the restore's
		// own bound (defaultRestoreTimeout) must not hold Register past
		// its ctx.
		c.goSupervised(func() { c.restoreOrRetry(now, r) })
	}
	return r, nil
}

// onRevoke runs on the read loop when the router revokes a registration: it
// only records the end.
func (c *Client) onRevoke(reg *sessionReg, reason string) {
	r, ok := reg.Value.(*Registration)
	if !ok {
		return
	}
	c.mu.Lock()
	delete(c.regs, r)
	c.mu.Unlock()
	r.end(&RevokedError{Registration: ID(reg.ID), Reason: reason})
}

// unregisterAll withdraws every registration current on sess (graceful
// close, Drain), at once, waiting for the router's answers until ctx ends.
func (c *Client) unregisterAll(ctx context.Context, sess *session) {
	c.mu.Lock()
	regs := slices.Collect(maps.Keys(c.regs))
	c.mu.Unlock()
	var undo []func()
	for _, r := range regs {
		r.mu.Lock()
		if cur := r.current; cur != nil && r.on == sess {
			undo = append(undo, func() { _ = sess.Unregister(ctx, cur) })
		}
		r.mu.Unlock()
	}
	all(undo)
}

// unsubscribeAll withdraws every subscription current on sess from the
// router (the handles stay until endHandles), waiting for the router's
// confirmations until ctx ends.
func (c *Client) unsubscribeAll(ctx context.Context, sess *session) {
	c.mu.Lock()
	subs := slices.Collect(maps.Keys(c.subs))
	c.mu.Unlock()
	var undo []func()
	for _, s := range subs {
		s.mu.Lock()
		if cur := s.current; cur != nil && s.on == sess {
			undo = append(undo, func() { _ = sess.Unsubscribe(ctx, cur) })
		}
		s.mu.Unlock()
	}
	all(undo)
}

// all runs fs at once and waits for them.
func all(fs []func()) {
	var wg sync.WaitGroup
	for _, f := range fs {
		wg.Go(f)
	}
	wg.Wait()
}

// endHandles ends every registration and subscription handle with err.
func (c *Client) endHandles(err error) {
	c.mu.Lock()
	regs, subs := c.regs, c.subs
	c.regs, c.subs = map[*Registration]struct{}{}, map[*Subscription]struct{}{}
	c.mu.Unlock()
	for r := range regs {
		r.end(err)
	}
	for s := range subs {
		s.end(err)
	}
}

// restoreOrRetry registers r again on sess; a refusal is reported and
// retried in the background with backoff. A lost session is not an error:
// the next one restores r.
func (c *Client) restoreOrRetry(sess *session, r *Registration) {
	err := c.restoreRegistration(sess, r)
	if err == nil || c.lostDuringRestore(sess, err) {
		return
	}
	var fe *FeatureError
	if errors.As(err, &fe) { // this router will not gain the feature: no retry
		c.abandonRestore(r, err)
		return
	}
	c.reportRestore(r, err, true)
	c.goSupervised(func() { c.retryRestore(sess, r, err) })
}

// abandonRestore ends r with the restore's last error, handed to the
// restore error handler's queue before Done closes.
func (c *Client) abandonRestore(r *Registration, last error) {
	err := fmt.Errorf("client: restore registration %s: %w", r.procedure, last)
	c.mu.Lock()
	delete(c.regs, r)
	c.mu.Unlock()
	if !r.isEnded() {
		c.reportRestore(r, err, false)
	}
	r.end(err)
}

// lostDuringRestore reports whether err comes from sess ending or the
// client closing rather than from the router.
func (c *Client) lostDuringRestore(sess *session, err error) bool {
	return ended(sess) || c.life.Err() != nil || errors.Is(err, ErrConnectionLost) || errors.Is(err, ErrClosed)
}

// restoreRegistration registers r on sess unless r has ended or is already
// registered there.
func (c *Client) restoreRegistration(sess *session, r *Registration) error {
	r.restoring.Lock()
	defer r.restoring.Unlock()
	r.mu.Lock()
	skip := r.ended || r.on == sess
	r.mu.Unlock()
	if skip {
		return nil
	}
	if err := registerNeeds(sess.Features(), r.options); err != nil {
		return err // the new router lacks what the old one had
	}
	ctx, cancel := context.WithTimeout(c.life, defaultRestoreTimeout)
	defer cancel()
	cur, err := sess.Register(ctx, r.procedure, r.options.dict(), r.handler, r)
	if err != nil {
		return err
	}
	r.mu.Lock()
	ended := r.ended
	if !ended {
		r.current, r.on = cur, sess
	}
	r.mu.Unlock()
	if ended { // unregistered or revoked meanwhile
		_ = sess.Unregister(ctx, cur)
	}
	return nil
}

func (c *Client) reportRestore(r *Registration, err error, retrying bool) {
	if retrying {
		c.log.Error("wamp registration not restored; retrying", "procedure", r.procedure, "error", err)
	} else {
		c.log.Error("wamp registration not restored; giving up", "procedure", r.procedure, "error", err)
	}
	if f := c.cfg.onRestoreErr; f != nil { // on the callback goroutine: it may call Close
		c.queueCallback(func() { c.safeCall("restore error handler", func() { f(r, err) }) })
	}
}

// retryRestore retries one registration with backoff until it succeeds, the
// handle ends, the session ends (the next one restores it) or the client
// closes. When the backoff policy stops, the registration ends with the
// last refusal (Done is closed, Err says why): never silently.
func (c *Client) retryRestore(sess *session, r *Registration, last error) {
	c.retryWithBackoff(sess, r.Done(), func() bool {
		err := c.restoreRegistration(sess, r)
		if err == nil {
			c.log.Info("wamp registration restored", "procedure", r.procedure)
			return true
		}
		if c.lostDuringRestore(sess, err) {
			return true
		}
		last = err
		c.reportRestore(r, err, true)
		return false
	}, func() { c.abandonRestore(r, last) })
}

// retryWithBackoff calls attempt after each wait of a fresh backoff policy
// until attempt reports it is finished, the handle ends (done), sess ends
// (the next session restores the handle) or the client closes. When the
// policy stops first, it calls giveUp.
func (c *Client) retryWithBackoff(sess *session, done <-chan struct{}, attempt func() bool, giveUp func()) {
	b := c.cfg.backoff()
	b.Reset()
	for {
		wait := b.NextBackOff()
		if wait == backoff.Stop {
			giveUp()
			return
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-c.life.Done():
			t.Stop()
			return
		case <-sess.Done():
			t.Stop()
			return
		case <-done:
			t.Stop()
			return
		}
		if attempt() {
			return
		}
	}
}

// defaultRestoreTimeout bounds one REGISTER or SUBSCRIBE while restoring.
const defaultRestoreTimeout = 10 * time.Second
