package callee

import (
	"context"
	"reflect"
	"time"

	"github.com/wampkit/wampkit/client"
)

// Invocation describes the call a handler is answering. Handlers get it
// from their context with [InvocationFrom].
type Invocation struct {
	// ID is the INVOCATION request ID.
	ID client.ID
	// Registration is the registration's router ID.
	Registration client.ID
	// Procedure is the URI the caller called: for prefix and wildcard
	// registrations the full URI, otherwise the registered one.
	Procedure string
	// Caller, CallerAuthID and CallerAuthRole identify the caller when the
	// router disclosed it (see [DiscloseCaller]); zero otherwise.
	Caller         client.ID
	CallerAuthID   string
	CallerAuthRole string
	// ReceiveProgress reports whether the caller asked for progressive
	// results; when false, a handler's progress function does nothing.
	ReceiveProgress bool
	// Streaming reports whether the caller streams its input in several
	// chunks (a progressive call invocation).
	Streaming bool
	// Timeout is the call timeout the router forwarded (see
	// [ForwardTimeout]), 0 when none. The context carries it as a deadline.
	Timeout time.Duration
	// Details is the raw INVOCATION details dictionary. Do not modify it.
	Details map[string]any
}

// InvocationFrom returns the invocation a handler's context belongs to.
// ok is false for a context that did not come from this package.
func InvocationFrom(ctx context.Context) (inv Invocation, ok bool) {
	raw, ok := client.InvocationFromContext(ctx)
	if !ok {
		return Invocation{}, false
	}
	return describe(raw), true
}

// describe builds the handler's view of an invocation; only InvocationFrom
// pays for it.
func describe(raw *client.Invocation) Invocation {
	inv := Invocation{
		ID:              raw.ID(),
		Procedure:       calledProcedure(raw),
		Caller:          raw.Caller(),
		CallerAuthID:    raw.CallerAuthID(),
		CallerAuthRole:  raw.CallerAuthRole(),
		ReceiveProgress: raw.ReceiveProgress(),
		Streaming:       raw.Streaming(),
		Timeout:         raw.Timeout(),
		Details:         raw.Details(),
	}
	if r := raw.Registration(); r != nil {
		inv.Registration = r.ID()
	}
	return inv
}

// calledProcedure is the URI the caller called. It reads Details.procedure
// itself as well: an in-process nexus router puts a wamp.URI (a named string
// type) there, which client.Invocation.Procedure does not recognise yet.
func calledProcedure(raw *client.Invocation) string {
	if v := reflect.ValueOf(raw.Details()["procedure"]); v.Kind() == reflect.String && v.Len() > 0 {
		return v.String()
	}
	return raw.Procedure()
}
