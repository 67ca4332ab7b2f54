package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/gammazero/nexus/v3/wamp"

	"github.com/wampkit/wampkit/internal/kithook"
	"github.com/wampkit/wampkit/internal/outgoing"
	"github.com/wampkit/wampkit/internal/wire"
)

func init() {
	kithook.ConnectLocal = connectLocal
	kithook.FreezeCall = func(req CallRequest, b outgoing.Built) CallRequest { req.typed = b; return req }
	kithook.FreezeAnswer = (*Invocation).freezeAnswer
	kithook.ReadOnlyResult = func(req CallRequest) CallRequest { req.readOnly = true; return req }
	kithook.ReadPayload = (*Invocation).readPayload
	kithook.CallSink = func(c *Client) *wire.Sink {
		if c == nil { // the call reports it
			return nil
		}
		c.mu.Lock()
		s := c.sess
		c.mu.Unlock()
		return s.sink()
	}
	kithook.AnswerSink = func(i *Invocation) *wire.Sink { return i.s.sink() }
	kithook.CallTwin = func(c *Client) bool {
		if c == nil {
			return false
		}
		c.mu.Lock()
		s := c.sess
		c.mu.Unlock()
		return s.handsOver()
	}
	kithook.AnswerTwin = func(i *Invocation) bool { return i.s.handsOver() }
	kithook.TypedInput = func(o RegisterOptions) RegisterOptions { o.typedInput = true; return o }
}

// Client is a WAMP client: one session at a time with a router, re-joined
// after a lost transport (unless reconnect is off), with the registrations
// and subscriptions made through it restored on every new session.
//
// A Client is safe for concurrent use. Its goroutines (the session's read
// loop, handler goroutines, the reconnect supervisor, the in-process
// router's handshake, the listener goroutine, the event delivery
// goroutines) belong to it: see [Client.Close] for when each is gone.
type Client struct {
	cfg     config
	targets []target // the router, then the WithFailover ones
	log     *slog.Logger

	// life ends when the client starts closing: join attempts, restores
	// and backoff waits of the supervisor end with it.
	life    context.Context
	endLife context.CancelFunc

	mu      sync.Mutex
	sess    *session
	at      int // index in targets of the router of sess
	state   State
	entered [Closed + 1]uint64 // how many times each state was entered
	changed chan struct{}      // closed and replaced on every state change
	final   chan struct{}      // closed on entering Closed
	done    chan struct{}      // Done: Closed and no callback goroutine runs (callbacks)
	closing bool               // no new requests; no state change but to Closed
	// draining: Drain is under way; while closing, calls and publications
	// still go out (see current).
	draining bool
	// stopDrain cuts the waits of a Drain under way short (a Close during
	// it); nil when none is.
	stopDrain context.CancelFunc
	// eventsOff: Drain began; events received are dropped (see onEvent).
	eventsOff atomic.Bool
	closed    bool  // Close was called
	cause     error // why the client closed on its own
	regs      map[*Registration]struct{}
	subs      map[*Subscription]struct{}
	// events is the ordered event queue; ownQueues those of the
	// ConcurrentDelivery subscriptions. Close closes them all.
	events    *eventQueue
	ownQueues map[*eventQueue]struct{}
	pending   []func()      // callbacks (state changes, restore reports) not run yet
	wake      chan struct{} // one token: pending grew
	// lost holds the sessions lost before the current one whose handlers
	// or goroutines had not finished when last looked at: Close waits for
	// them.
	lost []*session

	supervisor sync.WaitGroup // supervise and restore retries; Add under mu while !closing
	attaching  group          // in-process routers' handshakes (localDialer)
	delivering group          // the event queues' delivery goroutines (Drain waits for them)
	callbacks  callbackGoroutines

	callChain CallFunc // the client's interceptors around a call; nil without
}

// Connect dials the router at url and joins the realm. URL schemes: ws, wss
// (websocket), tcp, tcps (rawsocket over TCP), unix (rawsocket over a Unix
// socket, unix:///path). ctx bounds the first connection only.
func Connect(ctx context.Context, url string, opts ...Option) (*Client, error) {
	if ctx == nil {
		return nil, fmt.Errorf("client: connect %s: %w: nil context", url, ErrInvalidOption)
	}
	cfg, err := buildConfig(opts)
	if err != nil {
		return nil, err
	}
	d, err := urlDialer(url, &cfg)
	if err != nil {
		return nil, err
	}
	targets, err := cfg.withFailover(target{url: url, dial: d})
	if err != nil {
		return nil, err
	}
	return start(ctx, targets, cfg)
}

// target is one router the client may join.
type target struct {
	url  string // "" for an in-process router
	dial dialer
}

// withFailover returns first followed by the WithFailover routers.
func (cfg *config) withFailover(first target) ([]target, error) {
	targets := []target{first}
	for _, u := range cfg.failover {
		d, err := urlDialer(u, cfg)
		if err != nil {
			return nil, fmt.Errorf("client: failover: %w", err)
		}
		targets = append(targets, target{url: u, dial: d})
	}
	return targets, nil
}

// connectLocal joins a router running in the same process, through an
// in-memory peer handed to attach (the router's Attach); after a lost
// session it attaches again like any reconnect. It is not in the API,
// whose types are wampkit's own: client/wamptest and wampkit's tests reach
// it through internal/kithook.
func connectLocal(ctx context.Context, attach func(wamp.Peer) error, opts ...Option) (*Client, error) {
	if ctx == nil || attach == nil {
		return nil, fmt.Errorf("client: connect in process: %w: nil context or router", ErrInvalidOption)
	}
	cfg, err := buildConfig(opts)
	if err != nil {
		return nil, err
	}
	targets, err := cfg.withFailover(target{dial: localDialer(attach)})
	if err != nil {
		return nil, err
	}
	return start(ctx, targets, cfg)
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

func start(ctx context.Context, targets []target, cfg config) (*Client, error) {
	c := &Client{
		cfg: cfg, targets: targets, log: cfg.log(),
		changed: make(chan struct{}),
		final:   make(chan struct{}),
		done:    make(chan struct{}),
		regs:    map[*Registration]struct{}{},
		subs:    map[*Subscription]struct{}{},
		wake:    make(chan struct{}, 1),

		ownQueues: map[*eventQueue]struct{}{},
	}
	if err := c.buildCallChain(); err != nil {
		return nil, err
	}
	c.callbacks.done = c.done
	c.events = newEventQueue(c)
	sess, at, err := c.connect(ctx)
	if err != nil {
		// A failed handshake with an in-process router ends once the
		// peer is closed (which the join did); it is not left behind.
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), goodbyeWait)
		_ = c.attaching.Wait(wctx)
		cancel()
		return nil, err
	}
	c.life, c.endLife = context.WithCancel(context.Background())
	c.sess, c.at = sess, at
	if cfg.hasCallbacks() {
		c.callbacks.start()
		go c.runCallbacks()
	}
	c.setState(Connected)
	c.supervisor.Add(1)
	go c.supervise(sess)
	return c, nil
}

// connect makes the first connection: one round over the routers, or with
// WithConnectRetry rounds under the reconnect backoff policy until one
// router answers, ctx ends or the policy stops.
func (c *Client) connect(ctx context.Context) (*session, int, error) {
	if !c.cfg.connectRetry {
		return c.joinRound(ctx, 0, len(c.targets) > 1)
	}
	b := c.cfg.backoff()
	b.Reset()
	for round := 1; ; round++ {
		sess, at, err := c.joinRound(ctx, 0, true)
		if err == nil {
			return sess, at, nil
		}
		if ctx.Err() != nil {
			return nil, 0, fmt.Errorf("client: connect: no router answered in %d rounds before the context ended: %w (last error: %w)",
				round, ctx.Err(), err)
		}
		wait := b.NextBackOff()
		if wait == backoff.Stop {
			return nil, 0, &ReconnectError{Attempts: round, Last: err}
		}
		c.log.Info("wamp connect failed", "round", round, "retry_in", wait, "error", err)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, 0, fmt.Errorf("client: connect: no router answered in %d rounds before the context ended: %w (last error: %w)",
				round, ctx.Err(), err)
		}
	}
}

// joinRound tries each router once, starting with targets[first], and
// returns the first session and its router's index. With bound, each
// attempt is bounded by joinAttemptTimeout, so a router that accepts and
// never answers does not keep the others from being tried.
func (c *Client) joinRound(ctx context.Context, first int, bound bool) (*session, int, error) {
	var errs []error
	for i := range c.targets {
		k := (first + i) % len(c.targets)
		actx, cancel := ctx, context.CancelFunc(func() {})
		if bound {
			actx, cancel = context.WithTimeout(ctx, joinAttemptTimeout)
		}
		sess, err := c.join(actx, c.targets[k].dial)
		cancel()
		if err == nil {
			return sess, k, nil
		}
		if len(c.targets) > 1 && c.targets[k].url != "" {
			err = &OpError{Op: "connect", URI: c.targets[k].url, Err: err}
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	if len(errs) == 1 {
		return nil, 0, errs[0]
	}
	return nil, 0, errors.Join(errs...)
}

// join dials and joins once.
func (c *Client) join(ctx context.Context, dial dialer) (*session, error) {
	peer, err := dial(ctx, &c.attaching)
	if err != nil {
		return nil, err
	}
	sess, err := joinSession(ctx, peer, sessionConfig{
		Realm:    c.cfg.realm,
		Hello:    c.cfg.helloDetails(),
		Auth:     c.cfg.authFunc(),
		Logger:   c.log,
		OnRevoke: c.onRevoke,

		BaseContext: c.cfg.baseContext,
		OnEvent:     c.onEvent,

		ResultBytes:    c.cfg.limits.resultBytes,
		InputBytes:     c.cfg.limits.inputBytes,
		MaxInvocations: c.cfg.limits.maxInvocations,
		Intercepted:    len(c.cfg.interceptors) > 0,
		// JSON has no NaN or infinities: refusing them at the call beats
		// the null a serializer would send instead.
		RejectNonFinite: c.cfg.serialization == JSON,
		AssumeFeatures:  c.cfg.assumeFeatures,
	})
	if err != nil {
		return nil, &OpError{Op: "join realm", URI: c.cfg.realm, Err: err}
	}
	return sess, nil
}

// ID returns the current session ID (0 while not connected).
func (c *Client) ID() ID {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess == nil || c.state != Connected && c.state != Draining {
		return 0
	}
	return ID(c.sess.ID())
}

// URL returns the URL of the router the client is connected to: the one
// of Connect or one of [WithFailover]. While reconnecting it is the router
// of the lost session; for an in-process router (client/wamptest) it is "".
func (c *Client) URL() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.targets[c.at].url
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

// current returns the session to use for a request, waiting through a
// reconnect (until its registrations are restored) unless fail-fast is on.
func (c *Client) current(ctx context.Context, op string) (*session, error) {
	for {
		c.mu.Lock()
		st, sess, ch, closing := c.state, c.sess, c.changed, c.closing
		if closing && c.draining && (op == "call" || op == "publish") {
			closing = false // a running handler's call or publication goes out
		}
		closedErr := c.closedErrLocked()
		c.mu.Unlock()
		switch {
		case closing || st == Closed:
			return nil, closedErr
		case (st == Connected || st == Draining) && !ended(sess):
			return sess, nil
		case st == Draining: // the session ended under Drain: no reconnect
			return nil, ErrNotConnected
		case c.cfg.failFast:
			// Reconnecting, or the session just ended and the supervisor
			// has not moved the state yet.
			return nil, ErrNotConnected
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, fmt.Errorf("%w while %s: %w", ErrNotConnected, st, ctx.Err())
		}
	}
}

// withSession runs try on the current session (see current) and returns
// that session with try's result. A session that ends under try before
// anything was sent is not an error: try runs again on the next one. Errors
// read "client: <op> <target>: ..."; sent says whether a request that failed
// on the session may have reached the router.
func withSession[T any](ctx context.Context, c *Client, op, target string, sent bool, try func(*session) (T, error)) (*session, T, error) {
	var zero T
	for {
		sess, err := c.current(ctx, op)
		if err != nil {
			return nil, zero, &OpError{Op: op, URI: target, Err: err}
		}
		v, err := try(sess)
		if errors.Is(err, ErrClosed) && ended(sess) {
			continue
		}
		if err != nil {
			return nil, zero, opError(op, target, err, sent)
		}
		return sess, v, nil
	}
}

// closedErrLocked is the error of a request made on a closed client.
func (c *Client) closedErrLocked() error {
	if c.cause != nil {
		return fmt.Errorf("%w: %w", ErrClosed, c.cause)
	}
	return ErrClosed
}

// goSupervised runs f on a goroutine that Close waits for, unless the
// client is closing (then f does not run).
func (c *Client) goSupervised(f func()) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return false
	}
	c.supervisor.Add(1)
	go func() {
		defer c.supervisor.Done()
		f()
	}()
	return true
}

// supervise owns reconnection: it waits for the session to end and, unless
// the client is closing or reconnect is off, joins again with backoff and
// restores registrations and subscriptions.
func (c *Client) supervise(sess *session) {
	defer c.supervisor.Done()
	var (
		b        backoff.BackOff // the policy of the last outage
		attempts int             // its joins so far, the last one sess's
		since    = time.Now()    // when sess was installed
	)
	for {
		select {
		case <-sess.Done():
		case <-c.life.Done():
			return // Close owns the session now
		}
		c.retire(sess)
		if c.life.Err() != nil {
			return
		}
		c.log.Warn("wamp session lost", "session", sess.ID(), "error", sess.Err())
		if !c.cfg.reconnect {
			c.shutdown(lostCause(sess))
			return
		}
		c.setState(Reconnecting)
		// A session lost soon after it was restored (a router that
		// welcomes and then drops it, again and again) does not start a
		// new outage: the last one goes on under its policy, so its
		// waits grow and its limits (WithMaxRetries, MaxElapsedTime)
		// apply, rather than a join at once each time.
		if b == nil || time.Since(since) >= minStableSession {
			b, attempts = c.cfg.backoff(), 0
			b.Reset()
		}
		next, n := c.rejoin(b, attempts, lostCause(sess))
		if next == nil {
			return // closing, or gave up
		}
		sess, attempts, since = next, n, time.Now()
	}
}

// errDrainCut is why a Drain ended early when a Close came during it.
var errDrainCut = fmt.Errorf("%w: Close cut the drain short", ErrClosed)

// minStableSession is how long a restored session has to last for its loss
// to start a new outage, with a new backoff policy and a first attempt at
// once (see supervise).
const minStableSession = time.Second

// lostCause is why a lost session ended, as a client error matching
// ErrConnectionLost that keeps the reason: the router's GOODBYE or ABORT
// (an *Error with its URI and message, reachable with errors.As), or the
// protocol violation that made us abort (matching ErrProtocol).
func lostCause(sess *session) error {
	err := sess.Err()
	var re *Error
	switch {
	case err == nil:
		return ErrConnectionLost
	case errors.Is(err, ErrConnectionLost):
		return err
	case errors.As(err, &re):
		return &causes{text: "client: connection lost: the router ended the session: " + re.Error(),
			errs: []error{ErrConnectionLost, re}}
	}
	return &causes{text: "client: connection lost: " + strings.TrimPrefix(err.Error(), "client: "),
		errs: []error{ErrConnectionLost, err}}
}

// retire lets the handlers of a lost session finish on their own (their
// contexts are canceled): the session is kept for Close to wait for, until
// a later retire finds it finished. No goroutine waits for it.
func (c *Client) retire(sess *session) {
	c.mu.Lock()
	defer c.mu.Unlock()
	kept := c.lost[:0]
	for _, s := range c.lost {
		if !s.finished() {
			kept = append(kept, s)
		}
	}
	clear(c.lost[len(kept):])
	c.lost = append(kept, sess)
}

// waitLost waits until every lost session has finished (see retire), or
// ctx ends.
func (c *Client) waitLost(ctx context.Context) error {
	c.mu.Lock()
	lost := c.lost
	c.lost = nil
	c.mu.Unlock()
	for i, s := range lost {
		if err := s.wait(ctx); err != nil {
			c.mu.Lock()
			c.lost = append(c.lost, lost[i:]...) // a later Close waits again
			c.mu.Unlock()
			return err
		}
	}
	return nil
}

// rejoin dials with backoff b until it has a session (restored), the client
// closes, or the policy gives up (the client then closes with a
// *ReconnectError). Each attempt is one round over the routers, starting
// with the one after the lost session's (so with WithFailover the next
// router is tried at once, and the lost one last); the backoff waits come
// between rounds. prior is the outage's attempts so far: none for a new
// outage, whose first attempt is at once; else the lost session (which
// ended with lost) was the last of them, and a backoff wait comes first.
// It returns the session and the outage's attempts, this one's among them.
func (c *Client) rejoin(b backoff.BackOff, prior int, lost error) (*session, int) {
	var err error
	if prior > 0 {
		err = lost
	}
	for attempt := prior + 1; ; attempt++ {
		if attempt > 1 && !c.pause(b, attempt-1, err) {
			return nil, 0
		}
		c.mu.Lock()
		next := (c.at + 1) % len(c.targets)
		c.mu.Unlock()
		var (
			sess *session
			at   int
		)
		sess, at, err = c.joinRound(c.life, next, true)
		if err == nil {
			switch c.install(sess, at) {
			case installClosing:
				return nil, 0
			case installConnected:
				return sess, attempt
			}
			// Lost again before it was restored: a failed attempt, under
			// the same backoff (a router that welcomes and then drops the
			// session is not hammered).
			c.retire(sess)
			err = lostCause(sess)
		}
		if c.life.Err() != nil {
			return nil, 0
		}
	}
}

// pause waits b's next backoff after attempts failed attempts, the last
// with err. False when the client closes first, or when the policy gives
// up: the client then closes with a *ReconnectError.
func (c *Client) pause(b backoff.BackOff, attempts int, err error) bool {
	wait := b.NextBackOff()
	if wait == backoff.Stop {
		c.log.Error("wamp reconnect gave up", "attempts", attempts, "error", err)
		c.shutdown(&ReconnectError{Attempts: attempts, Last: err})
		return false
	}
	c.log.Info("wamp reconnect failed", "attempt", attempts, "retry_in", wait, "error", err)
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-c.life.Done():
		return false
	}
}

// joinAttemptTimeout bounds one reconnect attempt (dial and handshake): a
// router that accepts the connection and never answers does not stall the
// reconnect.
const joinAttemptTimeout = 10 * time.Second

type installResult int

const (
	installConnected installResult = iota
	installLost                    // sess ended while restoring
	installClosing                 // the client is closing; sess was closed
)

// install makes sess the client's session, restores the registrations and
// subscriptions on it, then moves to Connected unless sess ended meanwhile.
func (c *Client) install(sess *session, at int) installResult {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = sess.Close(ctx)
		return installClosing
	}
	// The swap and the snapshot happen together: a Register or Subscribe
	// that completes on the old session after this sees c.sess changed
	// and restores its handle itself.
	c.sess, c.at = sess, at
	regs := make([]*Registration, 0, len(c.regs))
	for r := range c.regs {
		regs = append(regs, r)
	}
	subs := make([]*Subscription, 0, len(c.subs))
	for s := range c.subs {
		subs = append(subs, s)
	}
	c.mu.Unlock()
	for _, r := range regs {
		c.restoreOrRetry(sess, r)
	}
	for _, s := range subs {
		c.restoreSubOrRetry(sess, s)
	}
	if ended(sess) {
		return installLost
	}
	c.setState(Connected)
	return installConnected
}

// shutdown moves the client to Closed after a loss it will not recover
// from; cause is what Err reports. A Close that came first (the loss was
// seen as it began) owns the end: shutdown does nothing, so Err stays nil
// and the handles end with ErrClosed, as after any Close.
func (c *Client) shutdown(cause error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closing = true
	if c.cause == nil {
		c.cause = cause
	}
	c.mu.Unlock()
	c.endLife()
	c.endHandles(cause)
	c.closeQueues()
	c.setState(Closed)
}

// closeQueues closes every event queue of a closing client: queued events
// are dropped and no delivery goroutine starts again, so waiting for
// c.delivering waits only for the handler calls under way.
func (c *Client) closeQueues() {
	c.mu.Lock()
	qs := make([]*eventQueue, 0, len(c.ownQueues)+1)
	qs = append(qs, c.events)
	for q := range c.ownQueues {
		qs = append(qs, q)
	}
	c.mu.Unlock()
	for _, q := range qs {
		q.close()
	}
}

// Close leaves the realm gracefully: new requests fail with ErrClosed, the
// reconnect supervisor stops, every registration is unregistered (so no new
// invocations arrive), running handlers get up to 2 s to finish, then
// GOODBYE is exchanged, the handlers still running have their contexts
// canceled and are waited for until ctx ends, and the transport is closed.
// It returns ctx's error if ctx ended first. To let invocations in flight
// finish however long they take, use [Client.Drain].
//
// Close is bounded even with a context that never ends: the UNREGISTERs,
// the handlers' grace and the GOODBYE exchange each wait at most 2 s (a
// router that does not answer has its connection dropped); only handlers
// that ignore their canceled context can keep it waiting, until ctx ends.
//
// When Close returns, the connection is closed, the state is Closed and no
// goroutine of the client runs but these: an invocation handler that
// ignored its canceled context past ctx's end (Close returned ctx's
// error; the goroutine is the handler's own, and nothing of the client
// waits for it), and a listener or an event handler that was running when
// Close was called (Close may be called from one; it does not wait for
// them). No new listener or event handler call starts, except the
// listeners' Closed call, and queued events are dropped. [Client.Done] is
// closed once the listeners and event handlers have returned; wait for it
// to know that every callback is over:
//
//	err := c.Close(ctx)
//	<-c.Done()
//
// Close waits for invocation handlers until ctx ends, so an invocation
// handler calling Close gives it its own context: Close cancels that
// context as it ends the session and then returns ctx's error, instead of
// waiting for its caller.
//
// Close is idempotent: a later or concurrent call returns nil once the
// client is Closed (or ctx's error if ctx ends before). After the client
// closed on its own ([Client.Err]), Close releases what is left and returns
// nil.
func (c *Client) Close(ctx context.Context) error {
	if err := c.usable(ctx, "close", ""); err != nil {
		return err
	}
	return c.close(ctx, false)
}

// Drain takes the client out of service without failing a call. The
// client enters the [Draining] state: it unregisters every registration and
// unsubscribes every subscription, and waits for the router to confirm (so
// the router routes new calls of a shared registration to other callees;
// an invocation it routed here before reading the UNREGISTER is still
// served); it lets the invocations in flight finish, and delivers the
// events that were queued when Drain began (an event that arrives after is
// dropped, uncounted), then closes as [Client.Close] does. While Draining,
// calls and publications still go out, so a running handler can finish its
// work; new registrations and subscriptions fail with ErrClosed, and so
// does every request once the client is closing after the drain.
//
// ctx bounds the unregistering and the wait for invocations and events.
// When it ends first, the invocations still running are interrupted (their
// contexts are canceled, their callers get an error from the router), the
// client closes anyway (GOODBYE bounded by 2 s) and Drain returns an error
// wrapping ctx's. A Close during the drain cuts it short the same way (as
// when a second signal asks to stop now), and returns once the client is
// Closed; Drain's error then matches ErrClosed and context.Canceled. On a
// client already closing or closed, Drain is Close.
//
// Drain waits for handlers, so a handler that calls it waits for itself
// until ctx ends (an event handler, for the events queued behind it). From
// a handler or a listener call Close, which waits for none of them.
func (c *Client) Drain(ctx context.Context) error {
	if err := c.usable(ctx, "drain", ""); err != nil {
		return err
	}
	return c.close(ctx, true)
}

// close is Close, or with drain Drain.
func (c *Client) close(ctx context.Context, drain bool) error {
	op := "close"
	if drain {
		op = "drain"
	}
	c.mu.Lock()
	if c.closed {
		if !drain && c.stopDrain != nil {
			// Close during a Drain: the drain's waits end as if its ctx
			// had, so handlers are interrupted and the client closes.
			c.stopDrain()
		}
		c.mu.Unlock()
		select {
		case <-c.final:
			return nil
		case <-ctx.Done():
			return &OpError{Op: op, Err: ctx.Err()}
		}
	}
	c.closed, c.closing, c.draining = true, true, drain
	// A drain's waits run under dctx, which a Close during the drain
	// cancels (stopDrain, set with closed: a Close from now on finds it).
	dctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	if drain {
		c.stopDrain = func() { stop(errDrainCut) }
	}
	c.mu.Unlock()
	if drain {
		c.eventsOff.Store(true)
	}
	c.endLife()         // stops joins, restores and retries in progress
	c.supervisor.Wait() // no one else touches c.sess from here
	c.mu.Lock()
	sess := c.sess
	c.mu.Unlock()
	var errs []error
	if drain && !ended(sess) {
		err := c.drain(dctx, sess)
		c.mu.Lock()
		c.stopDrain = nil
		c.mu.Unlock()
		if cause := context.Cause(dctx); err != nil && errors.Is(cause, errDrainCut) {
			err = fmt.Errorf("%w: %w", cause, err)
		}
		if err != nil {
			errs = append(errs, err)
			var cancel context.CancelFunc // Close's bounded steps get a fresh context
			ctx, cancel = context.WithTimeout(context.Background(), goodbyeWait)
			defer cancel()
		}
		c.mu.Lock()
		c.draining = false // from here calls and publications fail too
		c.mu.Unlock()
		errs = append(errs, sess.Close(ctx)) // cancels what still runs
	} else if !ended(sess) {
		// A router that stopped answering does not hold Close: the
		// UNREGISTERs and the GOODBYE each get a bounded wait.
		uctx, cancel := context.WithTimeout(ctx, goodbyeWait)
		c.unregisterAll(uctx, sess)
		cancel()
		// Running handlers get the same bounded grace to finish on their
		// own; then Close cancels their contexts and waits for them
		// until ctx ends. (Drain is the one that waits for them.)
		hctx, cancel := context.WithTimeout(ctx, goodbyeWait)
		if err := sess.Drain(hctx); err != nil && ctx.Err() != nil {
			errs = append(errs, err)
		}
		cancel()
		errs = append(errs, sess.Close(ctx))
	} else if drain {
		errs = append(errs, sess.Drain(dctx)) // a Close during it cuts it short too
	} else {
		errs = append(errs, sess.Drain(ctx))
	}
	errs = append(errs, c.waitLost(ctx), c.attaching.Wait(ctx))
	c.endHandles(ErrClosed)
	c.closeQueues()
	c.setState(Closed)
	c.awaitOwn(sess)
	return opError(op, "", closeErrors(ctx, errs), false)
}

// closeErrors joins what the steps of Close returned, with ctx's end said
// once (by the first step it cut short) however many steps it cut short.
func closeErrors(ctx context.Context, errs []error) error {
	var out []error
	said := false
	for _, err := range errs {
		ctxErr := ctx.Err() != nil && errors.Is(err, ctx.Err())
		if err == nil || ctxErr && said {
			continue
		}
		said = said || ctxErr
		out = append(out, err)
	}
	return errors.Join(out...)
}

// drain is Drain's part before the GOODBYE, with the client Draining: the
// router gets ctx to confirm the UNREGISTERs and UNSUBSCRIBEs, the
// invocation handlers and the events queued before Drain began get ctx to
// finish. It returns an error wrapping ctx's when ctx ended first. Called
// from an event handler, it waits for the events queued behind that
// handler until ctx ends (they cannot be delivered before the handler
// returns): there Close, which waits for no callback, is the one to call.
func (c *Client) drain(ctx context.Context, sess *session) error {
	c.setState(Draining)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); c.unregisterAll(ctx, sess) }()
	go func() { defer wg.Done(); c.unsubscribeAll(ctx, sess) }()
	wg.Wait()
	if err := sess.Drain(ctx); err != nil {
		c.log.Warn("wamp drain: invocations still running when the context ended", "error", err)
		return fmt.Errorf("invocations still running: %w", err)
	}
	if err := c.delivering.Wait(ctx); err != nil {
		c.log.Warn("wamp drain: events still being delivered when the context ended", "error", err)
		return fmt.Errorf("events still being delivered: %w", err)
	}
	return nil
}

// awaitOwn waits, up to goodbyeWait whatever Close's context says, for the
// goroutines of sess that run no application code: its read loop, which
// ends once the transport has closed (Close closed it), and its idle
// workers, which end as soon as the session ends. A Close whose context
// ended early thus leaves none of them behind.
func (c *Client) awaitOwn(sess *session) {
	t := time.NewTimer(goodbyeWait)
	defer t.Stop()
	select {
	case <-sess.Done():
	case <-t.C:
		c.log.Warn("wamp close: the transport did not close within the bound", "bound", goodbyeWait)
	}
}

// ended reports whether s has started to end (requests to it fail unsent).
func ended(s *session) bool {
	select {
	case <-s.Ending():
		return true
	default:
		return false
	}
}

// ErrReconnectFailed matches the error of a client whose reconnect policy
// gave up (see [WithReconnect]); the client is then Closed and [Client.Err]
// returns a *ReconnectError.
var ErrReconnectFailed = errors.New("client: reconnect gave up")

// ReconnectError is why a client closed when its backoff policy stopped
// (max elapsed time or max retries). It matches ErrReconnectFailed and
// ErrConnectionLost with errors.Is; Unwrap returns the last attempt's error.
type ReconnectError struct {
	Attempts int
	Last     error
}

func (e *ReconnectError) Error() string {
	return fmt.Sprintf("client: reconnect gave up after %d attempts: %v", e.Attempts, e.Last)
}

// Is makes errors.Is(err, ErrReconnectFailed) and errors.Is(err,
// ErrConnectionLost) hold.
func (e *ReconnectError) Is(target error) bool {
	return target == ErrReconnectFailed || target == ErrConnectionLost
}

func (e *ReconnectError) Unwrap() error { return e.Last }

// usable is the check every method taking a context makes first: a nil
// *Client or a nil context is an error wrapping ErrInvalidOption, not a
// panic.
func (c *Client) usable(ctx context.Context, op, target string) error {
	var what string
	switch {
	case c == nil:
		what = "nil *Client"
	case ctx == nil:
		what = "nil context"
	default:
		return nil
	}
	return &OpError{Op: op, URI: target, Err: fmt.Errorf("%w: %s", ErrInvalidOption, what)}
}
