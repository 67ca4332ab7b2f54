package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gammazero/nexus/v3/wamp"

	"github.com/wampkit/wampkit/internal/handover"
	"github.com/wampkit/wampkit/internal/outgoing"
	"github.com/wampkit/wampkit/internal/wire"
)

// The session engine: one WAMP session over one wamp.Peer, from HELLO to
// GOODBYE. The Client above it reconnects, restores and keeps the durable
// handles; a session does not reconnect: when its peer goes away it ends,
// fails what is in flight and reports through Done.
//
// It owns the protocol state machine that nexus's client gets wrong for an
// SDK (see DESIGN.md): registrations and subscriptions are keyed by router
// ID, never by URI; router-initiated UNREGISTERED (revocation) is delivered
// with its registration ID and reason; INVOCATION request IDs may come in
// any order; every request takes a context; invocation handlers never run on
// the read loop. Events go, in the order the router sent them, to one sink
// (sessionConfig.OnEvent) that only queues them; the Client delivers them
// off the read loop. Handles that share one router subscription ID (one
// topic subscribed twice) each receive every event.
//
// Every method of *session, *callState and *Invocation is safe for
// concurrent use, except where its doc says otherwise.

// challengeFunc answers a CHALLENGE: it returns the AUTHENTICATE signature and
// extra dictionary, or an error to abandon the join.
type challengeFunc func(ctx context.Context, ch *wamp.Challenge) (signature string, extra wamp.Dict, err error)

// sessionConfig is what a session needs to join a realm.
type sessionConfig struct {
	Realm string
	// Hello holds extra HELLO details (authid, authmethods, authextra...).
	// The roles are always the engine's own.
	Hello wamp.Dict
	// Auth answers CHALLENGE messages; nil refuses any challenge.
	Auth challengeFunc
	// BaseContext is the parent of every invocation handler's context
	// (WithBaseContext); nil: context.Background().
	BaseContext context.Context
	// Logger receives reports of unexpected input; nil discards them.
	Logger *slog.Logger
	// AssumeFeatures are router features taken as announced though the
	// WELCOME does not say so (see Features).
	AssumeFeatures []string
	// OnRevoke is called, without blocking, when the router revokes a
	// registration. It runs on the read loop and must only record the fact.
	OnRevoke func(reg *sessionReg, reason string)
	// OnEvent receives every EVENT, on the read loop (see eventSink); nil
	// drops them.
	OnEvent eventSink

	// ResultBytes bounds the progressive results received for calls in
	// flight and not yet taken by callState.Next, summed over the session's
	// calls, in approximate bytes (approxSize); default DefaultProgressiveResultBytes.
	// A progressive RESULT arriving over the bound fails its call with an
	// error matching ErrSlowConsumer (the call is canceled and its unread
	// results are discarded), unless that call has nothing queued: a caller
	// that keeps up is never failed for another's backlog. Results of a call
	// that has ended no longer count.
	ResultBytes int
	// InputBytes bounds the invocation input the session holds, in
	// approximate bytes: the arguments of invocations whose handler runs,
	// and the streamed input chunks not yet taken by NextInput; default
	// DefaultInvocationBytes. An INVOCATION arriving over it is answered ERROR
	// uriUnavailable at once (when nothing else is held, any size is
	// taken). A streamed chunk arriving over it, for an invocation with
	// chunks already waiting, ends that invocation: its handler's context is
	// canceled, its queued chunks are dropped, and the caller gets ERROR
	// uriInputOverflow.
	InputBytes int
	// MaxInvocations caps the invocation handlers running at once; default
	// DefaultMaxConcurrentInvocations. An INVOCATION arriving at the cap is answered
	// ERROR uriUnavailable, without starting anything.
	MaxInvocations int
	// RejectNonFinite refuses NaN and infinities in outgoing payloads
	// (ErrInvalidPayload): JSON cannot carry them.
	RejectNonFinite bool
	// Intercepted: the client has interceptors, which see every payload
	// as values: the typed packages do not write them in advance (Sink).
	Intercepted bool
}

// sizer is what the session asks a transport that limits message sizes
// (the wire peers).
type sizer interface {
	MaxMessage() int
	EncodedSize(wamp.Message) (int, error)
}

// writeThrough is a transport whose senders write themselves when its
// writer is idle (the wire peers, wire.link.SendContext).
type writeThrough interface {
	SendContext(ctx context.Context, stop <-chan struct{}, msg wamp.Message) error
}

// session is one joined WAMP session.
type session struct {
	limit int   // the largest message the transport sends; 0: none
	sizer sizer // measures a message that may pass limit
	// ser writes the messages of a wire peer (nil: in-process), for the
	// typed packages to write payloads into in advance (sink).
	ser     *wire.Serializer
	peer    wamp.Peer
	local   bool // in-process link: payloads are localized (local.go)
	id      wamp.ID
	welcome wamp.Dict
	feat    Features // parsed from welcome
	cfg     sessionConfig
	log     *slog.Logger

	reqID atomic.Uint64

	mu       sync.Mutex
	pending  map[wamp.ID]*pending // REGISTER, SUBSCRIBE, ... replies
	calls    map[wamp.ID]*callState
	regs     map[wamp.ID]*sessionReg
	subs     map[wamp.ID]*subGroup
	subOps   chan struct{} // one change of subscriptions at a time (lockSubs)
	invs     map[wamp.ID]*Invocation
	goodbye  chan struct{} // closed when the router's GOODBYE arrives
	leaving  bool          // we sent GOODBYE
	endErr   error
	handlers group        // invocation handlers, background UNSUBSCRIBEs
	workers  workers      // the goroutines they run on
	ended    endedStreams // streamed invocations that ended before their last chunk

	resultBytes atomic.Int64 // charged by calls' queued progressive results
	inputBytes  atomic.Int64 // charged by running invocations and their queued chunks

	sendMu sync.RWMutex
	closed bool          // peer closed; guarded by sendMu
	dying  chan struct{} // closed when the session starts to end
	done   chan struct{} // closed when the read loop has exited
	once   sync.Once
}

// joinSession says HELLO on peer and returns the session once the router says
// WELCOME. On failure the peer is closed. A refusal (ABORT) is an *Error.
func joinSession(ctx context.Context, peer wamp.Peer, cfg sessionConfig) (*session, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.ResultBytes <= 0 {
		cfg.ResultBytes = DefaultProgressiveResultBytes
	}
	if cfg.InputBytes <= 0 {
		cfg.InputBytes = DefaultInvocationBytes
	}
	if cfg.MaxInvocations <= 0 {
		cfg.MaxInvocations = DefaultMaxConcurrentInvocations
	}
	details := wamp.Dict{}
	for k, v := range cfg.Hello {
		details[k] = v
	}
	details["roles"] = clientRoles()
	// HELLO details come from the application (WithHelloDetails,
	// WithAuthExtra): a value no serializer carries fails the join here,
	// not on the transport's writer.
	w := outgoing.Walker{Finite: cfg.RejectNonFinite}
	if werr := w.Dict(details, 1); werr != nil {
		peer.Close()
		return nil, fmt.Errorf("session: join: HELLO details: %w", (&session{}).walkFailed(werr.At("details")))
	}
	// A message the transport cannot send during the handshake (a HELLO
	// larger than the router takes) fails the join at once.
	unsent := make(chan error, 1)
	u, reports := peer.(interface {
		OnUnsent(func(wamp.Message, error))
	})
	if reports {
		u.OnUnsent(func(msg wamp.Message, err error) {
			select {
			case unsent <- fmt.Errorf("session: join: %v not sent: %w", msg.MessageType(), unsentError(err)):
			default:
			}
		})
	}
	hctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		select {
		case err := <-unsent:
			cancel(err)
		case <-stop:
		}
	}()
	welcome, err := handshake(hctx, peer, cfg, details)
	if err != nil && context.Cause(hctx) != nil && ctx.Err() == nil {
		err = context.Cause(hctx)
	}
	if err != nil {
		peer.Close()
		return nil, err
	}
	s := &session{
		peer: peer, local: peer.IsLocal(), id: welcome.ID, welcome: welcome.Details,
		feat: parseFeatures(welcome.Details, cfg.AssumeFeatures), cfg: cfg, log: log,
		pending: map[wamp.ID]*pending{},
		calls:   map[wamp.ID]*callState{},
		regs:    map[wamp.ID]*sessionReg{},
		subs:    map[wamp.ID]*subGroup{},
		subOps:  make(chan struct{}, 1),
		invs:    map[wamp.ID]*Invocation{},
		goodbye: make(chan struct{}),
		dying:   make(chan struct{}),
		done:    make(chan struct{}),
	}
	if sz, ok := peer.(sizer); ok {
		s.limit, s.sizer = sz.MaxMessage(), sz
	}
	if w, ok := peer.(interface{ Serializer() *wire.Serializer }); ok && !s.local {
		s.ser = w.Serializer()
		s.ser.KeepRawIf(s.keepsRaw) // a typed call's result, a typed handler's input
	}
	if reports {
		u.OnUnsent(s.onUnsent)
	}
	s.workers.init()
	go s.readLoop()
	return s, nil
}

func handshake(ctx context.Context, peer wamp.Peer, cfg sessionConfig, details wamp.Dict) (*wamp.Welcome, error) {
	if err := sendCtx(ctx, peer, &wamp.Hello{Realm: wamp.URI(cfg.Realm), Details: details}); err != nil {
		return nil, err
	}
	authenticating := ""
	for {
		var msg wamp.Message
		select {
		case m, ok := <-peer.Recv():
			if !ok {
				if authenticating != "" {
					return nil, fmt.Errorf("session: join: router closed the connection after %s authentication (credentials refused?): %w",
						authenticating, ErrConnectionLost)
				}
				return nil, fmt.Errorf("session: join: %w", ErrConnectionLost)
			}
			msg = m
		case <-ctx.Done():
			return nil, fmt.Errorf("session: join: %w", ctx.Err())
		}
		if peer.IsLocal() {
			_ = wire.Localize(msg) // the router's own values
		}
		switch m := msg.(type) {
		case *wamp.Welcome:
			return m, nil
		case *wamp.Abort:
			return nil, closeError(m.Reason, m.Details)
		case *wamp.Challenge:
			if authenticating != "" {
				abortJoin(peer, "a second CHALLENGE")
				return nil, fmt.Errorf("session: join: router sent a second CHALLENGE (%q after answering %q): %w",
					m.AuthMethod, authenticating, ErrProtocol)
			}
			if cfg.Auth == nil {
				return nil, fmt.Errorf("session: join: router asks for %q authentication and no credentials are configured", m.AuthMethod)
			}
			sig, extra, err := cfg.Auth(ctx, m)
			if err != nil {
				return nil, fmt.Errorf("session: join: answer %s challenge: %w", m.AuthMethod, err)
			}
			if extra == nil {
				extra = wamp.Dict{}
			}
			if err := sendCtx(ctx, peer, &wamp.Authenticate{Signature: sig, Extra: extra}); err != nil {
				return nil, err
			}
			authenticating = m.AuthMethod
		default:
			abortJoin(peer, fmt.Sprintf("%v before WELCOME", msg.MessageType()))
			return nil, fmt.Errorf("session: join: unexpected %v before WELCOME: %w", msg.MessageType(), ErrProtocol)
		}
	}
}

// abortJoin tells the router, without waiting long, why the join ends: the
// spec answers a protocol violation with ABORT wamp.error.protocol_violation.
func abortJoin(peer wamp.Peer, what string) {
	t := time.NewTimer(abortJoinWait)
	defer t.Stop()
	select {
	case peer.Send() <- &wamp.Abort{Reason: wamp.ErrProtocolViolation, Details: wamp.Dict{"message": "unexpected " + what}}:
	case <-t.C:
	}
}

// abortJoinWait bounds handing the ABORT of a failed join to the transport.
const abortJoinWait = 100 * time.Millisecond

// abortSendWait bounds handing our ABORT to a transport whose queue is full.
const abortSendWait = time.Second

// closeError is the router's ABORT or GOODBYE as an *Error whose args
// carry the message in its details.
func closeError(reason wamp.URI, details wamp.Dict) *Error {
	var args wamp.List
	if m, ok := details["message"].(string); ok {
		args = wamp.List{m}
	}
	return &Error{URI: string(reason), Details: details, Args: args}
}

// sendCtx sends a handshake message. The router says nothing before it has
// read ours, so a message arriving instead is a protocol error, and the
// receive side closing means the connection is gone: a transport that died
// before reading HELLO (nobody left to take it) fails the join at once
// instead of at ctx's deadline.
func sendCtx(ctx context.Context, peer wamp.Peer, msg wamp.Message) error {
	select {
	case peer.Send() <- msg:
		return nil
	case m, ok := <-peer.Recv():
		if !ok {
			return fmt.Errorf("session: join: %w", ErrConnectionLost)
		}
		if a, isAbort := m.(*wamp.Abort); isAbort {
			return closeError(a.Reason, a.Details)
		}
		return fmt.Errorf("session: join: unexpected %v before %v was sent: %w", m.MessageType(), msg.MessageType(), ErrProtocol)
	case <-ctx.Done():
		return fmt.Errorf("session: join: %w", ctx.Err())
	}
}

// handsOver reports whether s may hand a frozen payload to its receiver
// (see sendFrozen): it is an in-process session, and no interceptor of the
// client's sees what it sends.
func (s *session) handsOver() bool { return s != nil && s.local && !s.cfg.Intercepted }

// sink returns a Sink of the session's serializer, for a typed payload
// written straight into it (outgoing.Built.Direct), or nil where payloads
// go as values: the in-process link, and a client with interceptors.
func (s *session) sink() *wire.Sink {
	if s == nil || s.ser == nil || s.cfg.Intercepted {
		return nil
	}
	return s.ser.NewSink()
}

// ownRaw returns msg, whose payload is args=[raw] (typed.Direct), as this
// session sends it: as it is when raw is in the session's serialization,
// else (written for an earlier session, of another serialization or the
// in-process link) read back into values, which are then walked as any
// payload is.
func (s *session) ownRaw(msg wamp.Message, typed outgoing.Built) (wamp.Message, outgoing.Built, error) {
	var args *wamp.List
	switch m := msg.(type) {
	case *wamp.Call:
		args = &m.Arguments
	case *wamp.Yield:
		args = &m.Arguments
	default:
		return msg, typed, nil
	}
	if raw, ok := wire.RawArg(*args); ok && raw.For(s.ser) {
		return msg, typed, nil
	}
	l, err := wire.Unraw(*args)
	if err != nil {
		return nil, outgoing.Built{}, fmt.Errorf("%w: %w", ErrInvalidPayload, err)
	}
	*args = l // the message is the session's own (callState.msg, answerOf)
	return msg, outgoing.Built{}, nil
}

// ID is the session ID the router assigned.
func (s *session) ID() wamp.ID { return s.id }

// Welcome returns the router's WELCOME details (do not modify).
func (s *session) Welcome() wamp.Dict { return s.welcome }

// Features returns the roles and features the router announced in WELCOME.
func (s *session) Features() Features { return s.feat }

// Ending is closed as soon as the session starts to end: from then on
// requests fail with ErrClosed, before anything is sent.
func (s *session) Ending() <-chan struct{} { return s.dying }

// Done is closed when the session has ended and its read loop is gone.
func (s *session) Done() <-chan struct{} { return s.done }

// Err reports why the session ended: nil after a clean GOODBYE exchange,
// ErrConnectionLost, ErrProtocol, or the router's GOODBYE/ABORT as *Error.
// Valid after Done.
func (s *session) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.endErr
}

func (s *session) nextID() wamp.ID { return wamp.ID(s.reqID.Add(1)) }

// send writes msg to the peer, unless the session is ending or ctx ends
// first, or its payload cannot go out (checkOut: ErrInvalidPayload,
// ErrMessageTooLarge), which is found here, on the caller's goroutine.
func (s *session) send(ctx context.Context, msg wamp.Message) error {
	return s.sendFrozen(ctx, msg, outgoing.Built{})
}

// sendFrozen is send for a CALL or YIELD whose payload the typed encoder
// may have built (CallRequest.typed, Invocation.answerTyped): what it
// measured is not walked again (checkOut), and a frozen payload (typed.Fresh)
// is given to its receiver over the in-process link without a copy
// (handover.Give, just before the link has it).
func (s *session) sendFrozen(ctx context.Context, msg wamp.Message, typed outgoing.Built) error {
	if typed.Direct {
		var err error
		if msg, typed, err = s.ownRaw(msg, typed); err != nil {
			return err
		}
	}
	size, approx, err := s.checkOut(msg, typed)
	if err != nil {
		return err
	}
	if typed.Fresh && s.local && size <= handover.MaxBytes {
		switch m := msg.(type) {
		case *wamp.Call:
			handover.Give(m.Arguments, m.ArgumentsKw, approx)
		case *wamp.Yield:
			handover.Give(m.Arguments, m.ArgumentsKw, approx)
		}
	}
	if w, ok := s.peer.(writeThrough); ok {
		// The wire peers: no handoff to their writer when it is idle.
		// Not under sendMu: they take messages after Close too, and a
		// write blocked on a router that does not read ends when end
		// closes the peer, which takes sendMu.
		switch err := w.SendContext(ctx, s.dying, msg); {
		case err == nil:
			return nil
		case errors.Is(err, wire.ErrPeerStopped):
			return ErrClosed
		default:
			return err
		}
	}
	s.sendMu.RLock()
	defer s.sendMu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	select {
	case <-s.dying:
		// Ended: nothing more goes into the in-process link's queue, which
		// would otherwise take the message at random beside dying.
		return ErrClosed
	default:
	}
	select {
	case s.peer.Send() <- msg:
		return nil
	case <-s.dying:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// sendNow sends a reply that must not wait on a caller's context, from a
// goroutine of the session's own (not the read loop: see sendOnReadLoop).
func (s *session) sendNow(msg wamp.Message) error { return s.send(context.Background(), msg) }

// readLoopSendWait bounds a message the read loop sends itself
// (sendOnReadLoop, and the write of a slow consumer's CANCEL): the read
// loop serves every result, event and invocation of the session, and a
// router that stopped reading must not hold it for good.
const readLoopSendWait = 2 * time.Second

// sendOnReadLoop sends a reply the read loop makes itself (an INVOCATION
// refused at once). It waits at most readLoopSendWait for the transport to
// take msg. Past it the router is taken as gone, as keepalive would take
// it: the session ends as a lost connection (the client reconnects), rather
// than hold the read loop, or go on without a reply the router waits for.
// Over the network the bound is also the deadline of a write msg makes
// itself, and a write past it drops the connection (a frame cannot be half
// sent). The read loop's replies keep their order: it sends them one
// after the other.
func (s *session) sendOnReadLoop(msg wamp.Message) {
	err := s.sendWithin(readLoopSendWait, msg)
	if !errors.Is(err, context.DeadlineExceeded) {
		return // sent, handed over, or the session is ending anyway
	}
	s.log.Error("wamp session ended: the router took no reply for too long (it stopped reading?)",
		"session", s.id, "type", msg.MessageType(), "bound", readLoopSendWait)
	s.end(fmt.Errorf("%w: the router took no %v within %v: it has stopped reading",
		ErrConnectionLost, msg.MessageType(), readLoopSendWait))
}

// end starts the session's end: pending work fails with err, the peer closes.
func (s *session) end(err error) {
	s.once.Do(func() {
		s.mu.Lock()
		if s.endErr == nil {
			s.endErr = err
		}
		s.mu.Unlock()
		close(s.dying)
		s.workers.close()
		s.sendMu.Lock()
		s.closed = true
		s.peer.Close()
		s.sendMu.Unlock()
	})
}

// abort ends the session with ABORT reason uri after a protocol violation.
func (s *session) abort(uri, message string) {
	s.log.Error("wamp session aborted", "session", s.id, "reason", uri, "message", message)
	// A stalled transport must not hold the read loop: the ABORT is given
	// up after a moment, the session ends anyway.
	_ = s.sendWithin(abortSendWait, &wamp.Abort{Reason: wamp.URI(uri), Details: wamp.Dict{"message": message}})
	s.end(fmt.Errorf("%w: %s", ErrProtocol, message))
}

// sendWithin sends msg, giving up after d. On a wire peer d becomes the
// write's deadline, and a write past it ends the connection: only for the
// session's last words (ABORT, the GOODBYE acknowledgement), for what the
// read loop sends itself (sendOnReadLoop), or in process.
func (s *session) sendWithin(d time.Duration, msg wamp.Message) error {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return s.send(ctx, msg)
}

// goodbyeWait bounds how long Close waits for the router's GOODBYE (and
// for handing ours to a stalled transport), whatever ctx allows: a router
// that does not answer is then dropped.
const goodbyeWait = 2 * time.Second

// Close leaves the realm: it sends GOODBYE, waits for the router's GOODBYE
// until ctx ends or goodbyeWait has passed, then closes the peer. Running
// handlers get their context canceled; Close waits for them until ctx ends.
// Close is idempotent.
func (s *session) Close(ctx context.Context) error {
	s.mu.Lock()
	first := !s.leaving
	s.leaving = true
	s.mu.Unlock()
	if first {
		gctx, cancel := context.WithTimeout(ctx, goodbyeWait)
		if err := s.send(gctx, &wamp.Goodbye{Reason: wamp.CloseRealm, Details: wamp.Dict{}}); err == nil {
			select {
			case <-s.goodbye:
			case <-s.done:
			case <-gctx.Done():
			}
		}
		cancel()
	}
	s.end(ErrClosed)
	return s.wait(ctx)
}

// Drain waits until no invocation handler (or background UNSUBSCRIBE) runs, or ctx
// ends. On an ending session it also waits for the goroutines they ran on.
// It starts no goroutine: when ctx ends first nothing is left waiting.
func (s *session) Drain(ctx context.Context) error {
	if err := s.handlers.Wait(ctx); err != nil {
		return err
	}
	select {
	case <-s.dying:
	default:
		return nil
	}
	select {
	case <-s.workers.gone:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *session) wait(ctx context.Context) error {
	select {
	case <-s.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	return s.Drain(ctx)
}

// finished reports, without waiting, whether the session has ended and
// every goroutine it started (read loop, handlers, workers) is gone.
func (s *session) finished() bool {
	select {
	case <-s.done:
	default:
		return false
	}
	select {
	case <-s.handlers.Idle():
	default:
		return false
	}
	select {
	case <-s.workers.gone:
		return true
	default:
		return false
	}
}

// readLoop owns the inbound side: it dispatches every message, and on exit
// fails everything still pending.
func (s *session) readLoop() {
	defer close(s.done)
	defer s.failAll()
	for {
		select {
		case msg, ok := <-s.peer.Recv():
			if !ok {
				// Ended first: nothing more is queued for the router, and
				// the in-process link's queue is closed, so failUntaken
				// takes back at most its bound.
				s.end(ErrConnectionLost)
				s.failUntaken()
				return
			}
			h := handed{}
			if s.local {
				if msg, h, ok = s.localize(msg); !ok {
					continue
				}
			}
			if !s.dispatch(msg, h) {
				return
			}
		case <-s.dying:
			// Keep reading until the transport closes the channel, but
			// stop once the peer is gone.
			s.drainRecv()
			return
		}
	}
}

// failUntaken fails, as never sent, the calls whose first CALL is still in
// the in-process link's queue after the router closed the link: the router
// never had them, so retrying cannot run them twice (SafeToRetry). failAll
// fails the other calls and requests as before; anything else the router
// did not take is lost, as in a socket's buffer. It runs only when the
// router closed the link (it reads nothing more then): when the session
// ends otherwise, what is queued, a last GOODBYE or ABORT among it, still
// goes to the router. The caller has ended the session, so the queue is
// closed and no send adds to it.
func (s *session) failUntaken() {
	l, ok := s.peer.(interface{ takeBack() []wamp.Message })
	if !ok {
		return
	}
	for _, msg := range l.takeBack() {
		m, ok := msg.(*wamp.Call)
		if !ok {
			continue
		}
		s.mu.Lock()
		c := s.calls[m.Request]
		if c == nil || &c.msg != m { // a later chunk: the first CALL went out
			s.mu.Unlock()
			continue
		}
		delete(s.calls, m.Request)
		s.mu.Unlock()
		c.fail(&OpError{Op: "call", URI: string(m.Procedure), Sent: false,
			Err: fmt.Errorf("%w: the router closed the link before it took the CALL", ErrConnectionLost)})
	}
}

// drainRecv consumes what the peer still delivers after the session ended so
// that the transport goroutines can exit.
func (s *session) drainRecv() {
	for msg := range s.peer.Recv() {
		if g, ok := msg.(*wamp.Goodbye); ok {
			s.gotGoodbye(g)
		}
	}
}

// inFlightErrLocked is the error of a call in flight when the session
// ended, which may or may not have run: whatever ended the session (the
// router's GOODBYE or ABORT, a broken transport, Close), for the call the
// connection is lost. The caller holds s.mu.
func (s *session) inFlightErrLocked() error {
	err := s.endErr
	if err == nil || errors.Is(err, ErrClosed) && !s.leaving {
		err = ErrConnectionLost
	}
	if !errors.Is(err, ErrConnectionLost) {
		err = fmt.Errorf("%w: %w", ErrConnectionLost, err)
	}
	return inFlightError{err}
}

func (s *session) failAll() {
	s.mu.Lock()
	lost := s.inFlightErrLocked()
	pend, calls, invs := s.pending, s.calls, s.invs
	s.pending, s.calls, s.invs = map[wamp.ID]*pending{}, map[wamp.ID]*callState{}, map[wamp.ID]*Invocation{}
	s.mu.Unlock()
	for _, p := range pend {
		close(p.ch)
	}
	for _, c := range calls {
		c.fail(lost)
	}
	for _, inv := range invs {
		inv.interrupt("killnowait")
	}
}
