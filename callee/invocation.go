package callee

import (
	"context"

	"github.com/wampkit/wampkit/client"
)

// Invocation describes the call a handler is answering. Handlers get it
// from their context with [InvocationFrom]. It is the client's
// [*client.Invocation] (ID, Registration, Caller, CallerAuthID,
// CallerAuthRole, ReceiveProgress, Streaming, Timeout, Details, ... as its
// methods), with Procedure as a field.
type Invocation struct {
	*client.Invocation
	// Procedure is the URI the caller called: for prefix and wildcard
	// registrations the full URI, otherwise the registered one.
	Procedure string
}

// InvocationFrom returns the invocation a handler's context belongs to.
// ok is false for a context that did not come from a handler.
func InvocationFrom(ctx context.Context) (inv Invocation, ok bool) {
	raw, ok := client.InvocationFromContext(ctx)
	if !ok {
		return Invocation{}, false
	}
	return Invocation{Invocation: raw, Procedure: raw.Procedure()}, true
}
