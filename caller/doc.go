// Package caller makes typed WAMP calls over a [client.Client].
//
// [Call] encodes its input by the payload convention below, calls the
// procedure and decodes the result into the type asked for:
//
//	sum, err := caller.Call[int](ctx, c, "com.example.add", caller.Args(2, 3),
//		caller.Timeout(2*time.Second))
//
// [Progressive] asks for progressive results and hands them out as an
// iterator, in order and none lost; leaving the loop early cancels the call:
//
//	res := caller.Progressive[int, string](ctx, c, "com.example.countdown", 10)
//	for n, err := range res.Progress() {
//		if err != nil {
//			return err
//		}
//		fmt.Println(n)
//	}
//	final, err := res.Result()
//
// [Stream] streams the values of an iterator as the call's input
// (progressive call invocations); [Open] does it by hand, gRPC style, with a
// [Sender] whose Send, SendLast and CloseSend may interleave with reading
// the results. [New] builds a typed handle for repeated calls of one
// procedure:
//
//	add := caller.New[AddIn, int](c, "com.example.add")
//	sum, err := add.Call(ctx, AddIn{2, 3})
//
// # Payload convention
//
// The input: nil sends no arguments; a [client.Payload] (see [Args] and
// [Kwargs]) is sent as it is; a struct whose fields are tagged with
// positions (`wamp:"#0"`, `wamp:"#1"`) is sent as positional arguments; any
// other value v is sent as args=[v] (so a struct travels as one object).
//
// The result, and each progressive result: Out receives args[0] when there
// is one, else the kwargs object (a struct takes it by field name: `wamp`
// tag, else `json` tag, else the field name); Out = [client.Payload]
// receives the raw arguments, and Out = any receives args[0] as the
// serializer decoded it. Numbers convert between integer and float kinds
// only when nothing is lost, whatever the serializer. A result that does not
// fit Out is an error naming the path, the wanted type and the value
// received, for example
//
//	caller: decode result of com.example.user: "args[0].tags[1]": want string, got 7
//
// # Errors, timeouts and cancellation
//
// An ERROR from the router or the callee is a *[client.Error] carrying its
// URI, args and kwargs; match it with errors.Is against client.ErrNoSuchProcedure,
// client.ErrTimeout and the other sentinels. Local failures are not remote
// ([client.IsRemote] is false), and [client.SafeToRetry] says whether the
// call was certainly not sent (made on a closed client) or may have run
// (the connection was lost, or the client closed, after the CALL went
// out). A bad option is an error
// wrapping client.ErrInvalidOption, before anything is sent.
//
// [Timeout] asks the router to give up after a duration (it answers
// wamp.error.timeout) and also bounds the call locally; whichever ends it,
// the error matches client.ErrTimeout and context.DeadlineExceeded. When ctx ends, the
// call is canceled with its [CancelMode] (KillNoWait by default) and the
// error matches both ctx's error and client.ErrCanceled; with [Kill], the
// callee's own answer to the interruption is reachable with errors.As.
//
// # Concurrency
//
// Call and the handles from New are safe for concurrent use. A [Results]
// belongs to one goroutine; a [Sender]'s sending and its Results may be used
// from two. Nothing in this package starts a goroutine.
package caller
