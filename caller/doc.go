// Package caller makes typed WAMP calls.
//
// [Call] encodes its input by the payload convention, calls the procedure
// and decodes the result into the type asked for:
//
//	sum, err := caller.Call[int](ctx, c, "com.example.add", caller.Args(2, 3),
//		caller.Timeout(2*time.Second))
//
// [Progressive] asks for progressive results and hands them out as an
// iterator; leaving the loop early cancels the call:
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
// [Open] streams the input of a call (progressive call invocations): the
// first chunk travels with the CALL, more follow with Send, CloseSend ends
// them, and the results are read as above. [StreamAll] does it for an
// iterator of inputs. [New] builds a typed handle for repeated calls of one
// procedure.
//
// # Payload convention
//
// The input: nil sends no arguments; a [client.Payload] (see [Args]) is sent
// as it is; a struct whose fields are tagged only with positions
// (`wamp:"#0"`) is sent as positional arguments; any other value v is sent
// as args=[v]. The result: Out receives args[0] when there is one, else the
// kwargs object; Out = client.Payload receives the raw arguments. Numbers
// convert between kinds only when nothing is lost, whatever the serializer.
// A result that does not fit Out is an error naming the path, the wanted
// type and the value received.
//
// # Errors, timeouts and cancellation
//
// An ERROR from the router or the callee is a *[client.Error] (match it with
// errors.Is against client.ErrNoSuchProcedure, client.ErrTimeout, ...).
// Local failures are *[client.LocalError]s; [client.SafeToRetry] says whether
// the call was sent. [Timeout] asks the router to give up after a duration
// (wamp.error.timeout) and also bounds the call locally. When ctx ends, the
// call is canceled with its [CancelMode] (KillNoWait by default) and the
// error matches both ctx's error and client.ErrCanceled.
//
// # Concurrency
//
// Call and New's handles are safe for concurrent use. A [Results] or a
// [Stream] belongs to one goroutine (a Stream's sending and its Results may
// be used from two).
package caller
