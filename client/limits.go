package client

import (
	"fmt"
)

// A session's resource bounds. A router (or whoever speaks through it) can
// send faster than the application takes what it sends; these bound what
// the client holds meanwhile, per session, and say what happens at the
// bound. Each is an option of Connect; the defaults suit most programs.
// (Events have their own bound: [WithEventQueueBytes].) Sizes are the
// approximate encoded size of what is held: strings and binary at their
// length, numbers at 8 bytes, a few bytes per element.
const (
	// DefaultProgressiveResultBytes: see [WithProgressiveResultBytes].
	DefaultProgressiveResultBytes = 64 << 20
	// DefaultInvocationBytes: see [WithInvocationBytes].
	DefaultInvocationBytes = 64 << 20
	// DefaultMaxConcurrentInvocations: see [WithMaxConcurrentInvocations].
	DefaultMaxConcurrentInvocations = 1024
)

// Error URIs the client answers invocations with at its bounds. Callers
// (wampkit or any other) receive them as the call's error.
var (
	// ErrUnavailable (wamp.error.unavailable, the spec's URI for a callee
	// that cannot take an invocation now) answers an INVOCATION that arrives
	// while the session runs [WithMaxConcurrentInvocations] handlers or
	// holds [WithInvocationBytes] of invocation input. Nothing is started.
	//
	// A handler may return it too (as is or wrapped; it is sent as is, also
	// through the callee package) to refuse an invocation it cannot take
	// now, so that a router that reroutes calls (the spec's call rerouting)
	// tries another callee of a shared registration, and a caller with
	// caller.RetrySafe may call again. Return it only before the handler has
	// done anything: callers retry it as a call that never ran.
	ErrUnavailable = &Error{URI: uriUnavailable}
	// ErrInputOverflow (wampkit.error.input_overflow) answers a progressive
	// invocation whose streamed input chunks arrived faster than its handler
	// read them, past [WithInvocationBytes].
	ErrInputOverflow = &Error{URI: uriInputOverflow}
)

type limits struct {
	resultBytes    int
	inputBytes     int
	maxInvocations int
}

// WithProgressiveResultBytes bounds the progressive results received and
// not yet read (PendingCall.Next, the caller package's iterators), summed
// over the session's calls in flight, in bytes (default
// [DefaultProgressiveResultBytes], 64 MiB). A progressive result arriving
// over the bound fails its call with an error matching [ErrSlowConsumer]:
// the call is canceled at the router (its cancel mode) and its unread
// results are discarded, so Next returns the error at once. A call that
// keeps up (nothing of its own unread) is never failed for another call's
// backlog; the bound may thus be exceeded by one result per call. The
// per-call count bound, CallRequest.Buffer, applies too.
func WithProgressiveResultBytes(n int) Option {
	return optionFunc(func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("%w: progressive result bound %d must be positive", ErrInvalidOption, n)
		}
		c.limits.resultBytes = n
		return nil
	})
}

// WithInvocationBytes bounds the invocation input the session holds, in
// bytes (default [DefaultInvocationBytes], 64 MiB): the arguments of the
// invocations whose handlers run, plus the streamed input chunks of
// progressive invocations not yet read. At the bound:
//   - a new INVOCATION is answered ERROR [ErrUnavailable] at once, and its
//     handler does not run (when nothing is held, an invocation of any size
//     is taken);
//   - a streamed input chunk, for an invocation whose handler has chunks
//     unread already, ends that invocation: its unread chunks are dropped,
//     its context is canceled, NextInput returns [ErrStreamOverflow], and
//     the caller gets [ErrInputOverflow].
//
// The WAMP protocol has no flow control for input chunks, so failing the
// one invocation that falls behind is the only backpressure there is;
// other invocations, calls and events go on.
func WithInvocationBytes(n int) Option {
	return optionFunc(func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("%w: invocation input bound %d must be positive", ErrInvalidOption, n)
		}
		c.limits.inputBytes = n
		return nil
	})
}

// WithMaxConcurrentInvocations caps the invocation handlers running at once
// in the session, all registrations together (default
// [DefaultMaxConcurrentInvocations], 1024): each runs on its own
// goroutine, so the cap bounds the goroutines an INVOCATION flood can
// start. An INVOCATION arriving at the cap is answered ERROR
// [ErrUnavailable] at once. (callee.Concurrency bounds one registration's
// handlers by queuing; this cap refuses.)
func WithMaxConcurrentInvocations(n int) Option {
	return optionFunc(func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("%w: concurrent invocation cap %d must be positive", ErrInvalidOption, n)
		}
		c.limits.maxInvocations = n
		return nil
	})
}
