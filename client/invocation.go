package client

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/gammazero/nexus/v3/wamp"

	"github.com/wampkit/wampkit/internal/outgoing"
	"github.com/wampkit/wampkit/internal/wire"
)

// Invocation is one call of a registered procedure, as the handler sees it.
// Its methods are safe for concurrent use, except OnProgress and OnInput
// (see there).
//
// The handler's context is an ordinary context derived from the client's
// base context ([WithBaseContext]), so it carries the application's values;
// it is canceled when the caller cancels the call (INTERRUPT), when the
// forwarded call timeout passes (a deadline), when the session ends, and
// once the handler has returned. [context.Cause] says which.
type Invocation struct {
	id      wamp.ID
	proc    string // the URI called (Details.procedure, else the registered one)
	details wamp.Dict
	args    []any
	kwargs  map[string]any
	s       *session
	reg     *sessionReg // its Value is the *Registration
	// shared: args and kwargs are the caller's frozen payload, handed over
	// the in-process link without a copy (internal/handover), to be read
	// only; Payload gives a copy of its own (own, made once under mu). The
	// details are then the router's as they came: det gives them in
	// canonical types (canon, made once under mu).
	shared bool
	own    *Payload
	canon  map[string]any
	// answerArg is the first argument of the answer wampkit's typed
	// encoder built for the handler, which no application code saw, and
	// answerTyped what the encoder knows of it (see CallRequest.typed): an
	// answer whose Args start there is frozen. Set through
	// kithook.FreezeAnswer by the typed callee, cleared when interceptors
	// see the answer; under mu, as an interceptor may run the handler on a
	// goroutine of its own.
	answerArg   *any
	answerTyped outgoing.Built

	ctx    context.Context // the handler's
	cancel context.CancelCauseFunc
	stop   context.CancelFunc // the forwarded timeout's; nil without one
	hooks  *invocationHooks   // OnProgress, OnInput; nil when none

	// answerMu orders progressive YIELDs before the final answer: a
	// progressive one holds it for reading from its check of answered to
	// its hand-over, finish for writing while it sets answered.
	answerMu sync.RWMutex
	mu       sync.Mutex
	mode     string // interrupt mode, "" while not interrupted
	answered bool
	inputs   []chunk // streamed input chunks not yet taken
	charged  int64   // bytes charged to the session's InputBytes
	more     bool    // more input chunks will come
	signal   chan struct{}
}

// ID is the INVOCATION request ID.
func (i *Invocation) ID() ID { return ID(i.id) }

// Registration is the handle the invocation arrived on.
func (i *Invocation) Registration() *Registration {
	reg, _ := i.reg.Value.(*Registration)
	return reg
}

// Procedure is the URI the caller called: for prefix and wildcard
// registrations, the full URI; otherwise the registered one.
func (i *Invocation) Procedure() string { return i.proc }

// Payload is the invocation's arguments (for a progressive invocation, the
// first chunk); for an invocation in Payload Passthru Mode, its Passthru.
func (i *Invocation) Payload() Payload {
	if i.shared {
		return i.ownPayload()
	}
	if isRaw(i.args) {
		return i.valuesPayload()
	}
	return i.readPayload()
}

// valuesPayload is the payload kept undecoded for a typed decoder
// (wire.Raw), read into values for anyone else, once.
func (i *Invocation) valuesPayload() Payload {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.own == nil {
		args, err := wire.Unraw(i.args)
		if err != nil {
			// Only a handler the typed decoder took the Raw for asks
			// (callee: payload.DirectInput), after it decoded: a Raw the
			// reader read well and the fast path does not.
			i.s.log.Warn("wamp invocation arguments do not decode", "procedure", i.proc, "error", err)
			args = nil
		}
		i.own = &Payload{Args: args, Kwargs: i.kwargs}
	}
	return *i.own
}

// readPayload is the payload as it arrived: for a shared invocation, the
// caller's frozen values, for a typed decoder that only reads them
// (kithook.ReadPayload).
func (i *Invocation) readPayload() Payload {
	p, _ := payloadFrom("INVOCATION", i.args, i.kwargs, i.pptDetails()) // checked before the handler ran
	return p
}

// pptDetails is what Payload Passthru Mode is read from: the details as
// they came when they have no ppt_scheme (nothing to read there, no need to
// make them canonical), else det.
func (i *Invocation) pptDetails() map[string]any {
	if _, ok := i.details[pptScheme]; !ok {
		return i.details
	}
	return i.det()
}

// ownPayload is the payload of a shared invocation as the receiver's own
// canonical copy (wire.LocalPayload), made at the first call.
func (i *Invocation) ownPayload() Payload {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.own == nil {
		// A frozen payload is the typed encoder's output, which the
		// sender's check passed: nothing in it can fail the copy.
		args, kwargs, err := wire.LocalPayload(i.args, i.kwargs)
		if err != nil {
			i.s.log.Warn("wamp in-process payload cannot travel over WAMP", "type", wamp.INVOCATION, "error", err)
		}
		p, _ := payloadFrom("INVOCATION", args, kwargs, i.detLocked())
		i.own = &p
	}
	return *i.own
}

// Details is the INVOCATION details dictionary (do not modify).
func (i *Invocation) Details() map[string]any { return i.det() }

// det is the details in canonical types: for a shared invocation, the
// router's Details made canonical at the first call (the router's own are
// read only, as wire.Localize shares a flat Details dictionary).
func (i *Invocation) det() map[string]any {
	if !i.shared {
		return i.details
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.detLocked()
}

func (i *Invocation) detLocked() map[string]any {
	if !i.shared {
		return i.details
	}
	if i.canon == nil {
		d, err := wire.LocalDict(i.details)
		if err != nil {
			i.s.log.Warn("wamp in-process details cannot travel over WAMP", "type", wamp.INVOCATION, "error", err)
			d = map[string]any{}
		}
		i.canon = d
	}
	return i.canon
}

// Caller is the caller's session ID when the router disclosed it, else 0.
func (i *Invocation) Caller() ID {
	id, _ := wamp.AsID(i.details["caller"])
	return ID(id)
}

// CallerAuthID is the caller's authid when disclosed.
func (i *Invocation) CallerAuthID() string {
	s, _ := i.det()["caller_authid"].(string)
	return s
}

// CallerAuthRole is the caller's authrole when disclosed.
func (i *Invocation) CallerAuthRole() string {
	s, _ := i.det()["caller_authrole"].(string)
	return s
}

// Hop is one router-to-router link a call crossed on its way to this
// callee (an entry of INVOCATION Details.forward_for): the session that
// forwarded it on the next router, and its authentication.
type Hop struct {
	Session  ID
	AuthID   string
	AuthRole string
}

// ForwardFor is the chain of router links the call crossed, in the order
// the router gives it (Details.forward_for: Crossbar's router-to-router
// links set it, as lists of {session, authid, authrole}); nil when the
// call came straight from a caller on this callee's router. Entries that
// are not dictionaries are skipped.
func (i *Invocation) ForwardFor() []Hop {
	list, _ := i.det()["forward_for"].([]any)
	var hops []Hop
	for _, e := range list {
		d, ok := e.(map[string]any)
		if !ok {
			continue
		}
		id, _ := wamp.AsID(d["session"])
		authid, _ := d["authid"].(string)
		authrole, _ := d["authrole"].(string)
		hops = append(hops, Hop{Session: ID(id), AuthID: authid, AuthRole: authrole})
	}
	return hops
}

// ReceiveProgress reports whether the caller asked for progressive results.
func (i *Invocation) ReceiveProgress() bool {
	b, _ := i.details[wamp.OptReceiveProgress].(bool)
	return b
}

// Timeout is the call timeout the router forwarded (0 when none). The
// handler's context already carries it as a deadline.
func (i *Invocation) Timeout() time.Duration {
	ms, ok := wamp.AsInt64(i.details["timeout"])
	if !ok || ms <= 0 {
		return 0
	}
	return time.Duration(ms) * time.Millisecond
}

// Streaming reports whether the caller streams its input: more chunks
// follow the first, read them with NextInput.
func (i *Invocation) Streaming() bool {
	p, _ := i.details[wamp.OptProgress].(bool)
	return p
}

// Progress sends a progressive result. It does nothing when the caller did
// not ask for progress, and returns an error once the call was canceled or
// answered (an error matching ErrInvocationDone).
func (i *Invocation) Progress(p Payload) error {
	err := i.progress(p)
	if i.hooks != nil {
		for _, f := range i.hooks.progress {
			f(p, err)
		}
	}
	return err
}

func (i *Invocation) progress(p Payload) error {
	args, kwargs, opts, err := p.onWire(nil)
	if err != nil {
		return &OpError{Op: "progress", URI: i.proc, Err: err}
	}
	return opError("progress", i.proc, i.progressWire(args, kwargs, opts), true)
}

// NextInput returns the next input chunk of a streamed invocation; ok is
// false after the final chunk. The first chunk is Payload, not returned here.
func (i *Invocation) NextInput(ctx context.Context) (p Payload, ok bool, err error) {
	p, ok, err = i.nextInput(ctx)
	if i.hooks != nil {
		for _, f := range i.hooks.input {
			f(p, ok, err)
		}
	}
	return p, ok, err
}

func (i *Invocation) nextInput(ctx context.Context) (p Payload, ok bool, err error) {
	c, ok, err := i.nextChunk(ctx)
	if err != nil {
		return Payload{}, false, err
	}
	p, err = payloadFrom("INVOCATION input chunk", c.args, c.kwargs, c.details)
	if err != nil { // refused: never handed on as plain arguments
		return Payload{}, false, fmt.Errorf("client: input of %s: %w", i.proc, err)
	}
	return p, ok, nil
}

// freezeAnswer records p as the answer the typed encoder built for the
// handler, b what it knows of it (b.Fresh: p is frozen); the zero Built
// clears it (see answerArg).
func (i *Invocation) freezeAnswer(p Payload, b outgoing.Built) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.answerArg, i.answerTyped = nil, outgoing.Built{}
	if b.Fresh && len(p.Args) > 0 {
		i.answerArg, i.answerTyped = &p.Args[0], b
	}
}

// frozenAnswer is what the typed encoder knows of p, the handler's answer,
// when p is the frozen one it built for it (see answerArg); else the zero
// Built.
func (i *Invocation) frozenAnswer(p Payload) outgoing.Built {
	i.mu.Lock()
	defer i.mu.Unlock()
	if p.Passthru != nil || len(p.Args) == 0 || i.answerArg != &p.Args[0] {
		return outgoing.Built{}
	}
	b := i.answerTyped
	if len(p.Args) != 1 || p.Kwargs != nil { // not the args=[object] the encoder measured
		b.Measured = false
	}
	return b
}

// invocationKey finds the Invocation behind a handler's context.
type invocationKey struct{}

// InvocationFromContext returns the invocation a handler's context (or a
// context derived from it) belongs to.
func InvocationFromContext(ctx context.Context) (*Invocation, bool) {
	i, ok := ctx.Value(invocationKey{}).(*Invocation)
	return i, ok
}
