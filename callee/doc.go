// Package callee registers typed Go functions as WAMP procedures.
//
// A handler is an ordinary function from a context and an input value to
// an output value and an error. The package decodes each invocation's
// arguments into the input type, runs the handler, and sends the output
// back; the router and the raw client (package client) do the rest:
//
//	type AddIn struct {
//		A int `wamp:"#0"`
//		B int `wamp:"#1"`
//	}
//
//	reg, err := callee.Register(ctx, c, "com.example.add",
//		func(ctx context.Context, in AddIn) (int, error) {
//			return in.A + in.B, nil
//		})
//	if err != nil {
//		return err // a router refusal is a *client.Error
//	}
//	defer reg.Unregister(ctx)
//
// [Register] takes one input and returns one result. [RegisterProgressive]
// also hands the handler a progress function that sends progressive
// results. [RegisterStream] reads a caller's streamed input (progressive
// call invocations) as an iterator, and [RegisterStreamProgressive] does
// both. Every form returns a [*Registration] handle: Unregister it, or watch
// Done and Err to learn that the router revoked it ([ErrRevoked]) or the
// client closed. Registrations of the same URI by different clients share
// it under an invocation policy (RegisterOptions.Invoke); the same client
// registering a URI (with the match policy) it holds is refused by routers
// that keep one callee per session and procedure, the reference router
// among them (wamp.error.procedure_already_exists: nexus would accept it
// and keep a dead callee once the session leaves).
//
// # Payload convention
//
// One rule set is shared by every typed API of this module:
//
//   - Go to WAMP (the handler's result and progress values): nil sends no
//     arguments; a [client.Payload] is sent as it is; any other value v is
//     sent as args=[v], which is what Autobahn and wampy callers read as
//     "the result".
//   - WAMP to Go (the handler's input): a struct takes keyword arguments by
//     field name (`wamp:"name"` tag, else `json` tag, else the field name)
//     or a single positional object [{...}]; fields tagged with a position
//     (`wamp:"#0"`) take positional arguments instead; a slice or array
//     takes all positional arguments; a [client.Payload] takes the raw
//     arguments; any other type takes args[0].
//   - Numbers convert between integer and float kinds when no precision is
//     lost, whatever the serializer (JSON, MsgPack, CBOR).
//
// An input that does not fit is answered wamp.error.invalid_argument,
// without running the handler, with a message naming the field:
//
//	callee: decode argument "age": want int, got "x" (string)
//
// and kwargs {"path", "want", "got"}. [Strict] also refuses unknown
// keyword arguments.
//
// # Errors and cancellation
//
// A handler's error is sent as is when it is, or wraps, a *[client.Error]
// (use [client.NewError] for an application error URI); any other error,
// and a panic, is sent as wamp.error.runtime_error with its message, and
// the registration keeps serving. The handler's context ends when the
// caller cancels (INTERRUPT, kill or killnowait), when a forwarded call
// timeout expires ([ForwardTimeout]), or when the session ends; after a
// killnowait cancel the router has already answered the caller, and
// whatever the handler returns is dropped quietly. [InvocationFrom] tells
// a handler about its call: the URI actually called (for [MatchPrefix] and
// [MatchWildcard] registrations), the caller when disclosed
// ([DiscloseCaller]), whether progress was asked for.
//
// # Options
//
// Options are typed values: [MatchPrefix], [MatchWildcard], [Invoke] with a
// [Policy] for shared registrations, [DiscloseCaller], [ForwardTimeout],
// [Concurrency] to bound the handlers running at once, [Strict], and
// [WithOptions] for raw REGISTER options. A bad value fails the Register
// call with an error wrapping [client.ErrInvalidOption] before anything is
// sent.
//
// # Concurrency
//
// Each invocation runs on its own goroutine, so a handler must be safe for
// concurrent use unless [Concurrency](1) is given. All functions and
// [*Registration] methods are safe for concurrent use.
package callee
