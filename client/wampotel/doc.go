// Package wampotel traces and measures WAMP calls and invocations with
// OpenTelemetry. It is the only wampkit package that imports OpenTelemetry.
//
// [NewInterceptor] returns a [client.Interceptor]; install it for a whole
// client, or for one registration or call:
//
//	tp := sdktrace.NewTracerProvider(...)
//	c, err := client.Connect(ctx, url, client.WithInterceptors(
//		wampotel.NewInterceptor(wampotel.WithTracerProvider(tp))))
//
// # Spans
//
// Every outgoing call gets a span of kind client, every invocation a span of
// kind server, named after the procedure, with the RPC semantic-convention
// attributes rpc.system "wamp" and rpc.method (the procedure URI). A call
// that fails carries error.type, the WAMP error URI (for a local failure,
// wamp.error.canceled when the call was canceled, else "_OTHER"), and the
// span's status is Error. The status description of a WAMP error is its URI
// alone: the error's Args and Kwargs are the application's payload, of any
// size and content, and are not recorded (an invocation's handler error
// that is not a WAMP error is described as the caller receives it,
// wamp.error.runtime_error or wamp.error.canceled). A local failure is described by its message,
// cut to 256 bytes. Progressive results and streamed input chunks are span
// events named "rpc.message", with rpc.message.type SENT or RECEIVED
// and rpc.message.id counting from 1.
//
// A call's span ends when its final result or error is read, or when it is
// canceled (see [client.CallStream]), or when an interceptor after
// wampotel, or the call stream it returns, panics (with an error matching
// [client.ErrInterceptorPanic], which the client returns); an invocation's span ends when its
// handler returns (or panics: the panic goes on to the client, which answers
// wamp.error.runtime_error).
//
// # Trace context across the router
//
// The caller's interceptor writes the trace context into the CALL's Options,
// under implementation-specific keys the WAMP spec allows (matching
// _[a-z0-9_]{3,}): with the default W3C propagator, "_traceparent" and
// "_tracestate" (each propagation key lower-cased, characters outside
// [a-z0-9_] replaced by "_", prefixed with "_"). Routers ignore Options keys
// they do not know; the callee's interceptor reads the same keys from the
// INVOCATION's Details. Whether the callee's span joins the caller's trace
// depends on the router copying them from CALL to INVOCATION:
//
//   - wampkit's reference router (internal/router, client/wamptest,
//     examples/router) copies every Options key starting with "_" from CALL
//     to INVOCATION: the callee's span is a child of the caller's span, in
//     one trace.
//   - nexus (v3.3.0, router/dealer.go) builds INVOCATION.Details from
//     scratch: progress, caller identity, receive_progress, procedure,
//     timeout, ppt_*. Custom keys are dropped.
//   - Crossbar.io (crossbar/router/dealer.py) builds the INVOCATION from
//     the named fields of the parsed CALL (args, kwargs or payload,
//     timeout, receive_progress, caller identity, procedure, ppt/e2ee
//     fields): custom keys are dropped.
//   - xconn-go's router nxt uses wampproto-go's dealer (dealer.go), whose
//     INVOCATION details are receive_progress, progress and, when enabled,
//     procedure and the caller's identity: custom keys are dropped.
//   - Bondy (bondy_dealer.erl, invocation_details) starts the details from
//     procedure, trust_level and its own x_call_id and adds the caller's
//     identity: custom keys are dropped.
//
// Through those routers the callee's span starts a new trace, linked to the
// caller's by nothing: correlate by time, procedure and, when disclosed, the
// caller's session ID. The caller's span is complete either way.
//
// # Metrics
//
// With a MeterProvider (the global one by default):
//
//   - rpc.client.call.duration and rpc.server.call.duration: histograms of
//     the call's and the invocation's duration, in seconds;
//   - rpc.client.calls and rpc.server.calls: counters of ended calls and
//     invocations, with attribute outcome "ok", "error" or "canceled";
//   - rpc.client.active_calls and rpc.server.active_calls: up-down counters
//     of calls and invocations in flight.
//
// Each carries rpc.system and rpc.method; the duration histograms carry the
// outcome and, on error, error.type too.
//
// An interceptor is safe for concurrent use by any number of clients.
package wampotel
