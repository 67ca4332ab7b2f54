package client

import (
	"context"
	"fmt"
	"time"

	"github.com/gammazero/nexus/v3/wamp"
)

// Invocation is one call of a registered procedure, as the handler sees it.
type Invocation struct {
	inv   *engineInvocation // its Owner is the *Registration
	hooks *invocationHooks  // OnProgress, OnInput; nil when none
}

// ID is the INVOCATION request ID.
func (i *Invocation) ID() ID { return ID(i.inv.ID) }

// Registration is the handle the invocation arrived on.
func (i *Invocation) Registration() *Registration {
	reg, _ := i.inv.Owner.(*Registration)
	return reg
}

// Procedure is the URI the caller called: for prefix and wildcard
// registrations, the full URI; otherwise the registered one.
func (i *Invocation) Procedure() string { return i.inv.Procedure }

// Payload is the invocation's arguments (for a progressive invocation, the
// first chunk); for an invocation in Payload Passthru Mode, its Passthru.
func (i *Invocation) Payload() Payload {
	p, _ := payloadFrom("INVOCATION", i.inv.Args, i.inv.Kwargs, i.inv.Details) // checked before the handler ran
	return p
}

// Details is the INVOCATION details dictionary (do not modify).
func (i *Invocation) Details() map[string]any { return i.inv.Details }

// Caller is the caller's session ID when the router disclosed it, else 0.
func (i *Invocation) Caller() ID {
	id, _ := wamp.AsID(i.inv.Details["caller"])
	return ID(id)
}

// CallerAuthID is the caller's authid when disclosed.
func (i *Invocation) CallerAuthID() string {
	s, _ := i.inv.Details["caller_authid"].(string)
	return s
}

// CallerAuthRole is the caller's authrole when disclosed.
func (i *Invocation) CallerAuthRole() string {
	s, _ := i.inv.Details["caller_authrole"].(string)
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
	list, _ := i.inv.Details["forward_for"].([]any)
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
func (i *Invocation) ReceiveProgress() bool { return i.inv.ReceiveProgress() }

// Timeout is the call timeout the router forwarded (0 when none). The
// handler's context already carries it as a deadline.
func (i *Invocation) Timeout() time.Duration {
	ms, ok := wamp.AsInt64(i.inv.Details["timeout"])
	if !ok || ms <= 0 {
		return 0
	}
	return time.Duration(ms) * time.Millisecond
}

// Streaming reports whether the caller streams its input: more chunks
// follow the first, read them with NextInput.
func (i *Invocation) Streaming() bool { return i.inv.Streaming() }

// Progress sends a progressive result. It does nothing when the caller did
// not ask for progress, and returns an error once the call was canceled or
// answered.
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
	args, kwargs := p.Args, p.Kwargs
	var opts map[string]any
	if p.Passthru != nil {
		var err error
		if args, opts, err = p.Passthru.wire(p.Args, p.Kwargs, nil); err != nil {
			return fmt.Errorf("client: progressive result of %s: %w", i.inv.Procedure, err)
		}
		kwargs = nil
	}
	if err := i.inv.ProgressWith(args, kwargs, opts); err != nil {
		if err == errInvocationDone {
			return ErrCanceled
		}
		return convertErr(err, true)
	}
	return nil
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
	args, kwargs, details, ok, err := i.inv.NextInputDetails(ctx)
	if err != nil {
		if err == errInvocationDone {
			return Payload{}, false, ErrCanceled
		}
		return Payload{}, false, err
	}
	p, err = payloadFrom("INVOCATION input chunk", args, kwargs, details)
	if err != nil { // refused: never handed on as plain arguments
		return Payload{}, false, fmt.Errorf("client: input of %s: %w", i.inv.Procedure, err)
	}
	return p, ok, nil
}

// InvocationFromContext returns the invocation a handler's context (or a
// context derived from it) belongs to.
func InvocationFromContext(ctx context.Context) (*Invocation, bool) {
	if i, ok := ctx.Value(invocationKey{}).(*Invocation); ok {
		return i, true // intercepted: the one with the interceptors' hooks
	}
	inv, ok := engineFromContext(ctx)
	if !ok {
		return nil, false
	}
	return &Invocation{inv: inv}, true
}
