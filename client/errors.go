package client

import (
	"errors"
	"fmt"
	"strings"
)

// Error is an error reported by the remote side of a WAMP interaction: an
// ERROR message from the router or from a callee. It carries the error URI and
// the payload that came with it.
//
// errors.Is matches two *Error values by URI alone, so
//
//	errors.Is(err, client.ErrNoSuchProcedure)
//
// holds for any ERROR with URI wamp.error.no_such_procedure, whatever its
// arguments.
type Error struct {
	URI    string
	Args   []any
	Kwargs map[string]any
	// Details holds the ERROR message's details dictionary, when there was one.
	Details map[string]any
	// Passthru, when set, is the error's payload in Payload Passthru Mode
	// (see [Passthru]), sent instead of Args and Kwargs.
	Passthru *Passthru
}

// NewError returns an *Error with the given URI and positional arguments.
// Handlers return it to answer a call with a specific error URI.
func NewError(uri string, args ...any) *Error {
	return &Error{URI: uri, Args: args}
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.URI)
	if msg := e.Message(); msg != "" {
		b.WriteString(": ")
		b.WriteString(msg)
	} else if len(e.Args) > 0 {
		fmt.Fprintf(&b, ": %v", e.Args)
	}
	if len(e.Kwargs) > 0 {
		fmt.Fprintf(&b, " %v", e.Kwargs)
	}
	return b.String()
}

// Message returns the human-readable text of the error: the first positional
// argument when it is a string, else "".
func (e *Error) Message() string {
	if len(e.Args) > 0 {
		if s, ok := e.Args[0].(string); ok {
			return s
		}
	}
	return ""
}

// Is reports whether target is an *Error with the same URI.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.URI == e.URI
}

// Sentinels for the WAMP error URIs a client meets most. Compare with
// errors.Is; they match any *Error with the same URI.
var (
	ErrInvalidURI                 = &Error{URI: "wamp.error.invalid_uri"}
	ErrNoSuchProcedure            = &Error{URI: "wamp.error.no_such_procedure"}
	ErrProcedureAlreadyExists     = &Error{URI: "wamp.error.procedure_already_exists"}
	ErrProcedureExistsPolicy      = &Error{URI: "wamp.error.procedure_exists_with_different_invocation_policy"}
	ErrNoSuchRegistration         = &Error{URI: "wamp.error.no_such_registration"}
	ErrNoSuchSubscription         = &Error{URI: "wamp.error.no_such_subscription"}
	ErrNoSuchSession              = &Error{URI: "wamp.error.no_such_session"}
	ErrInvalidArgument            = &Error{URI: "wamp.error.invalid_argument"}
	ErrNotAuthorized              = &Error{URI: "wamp.error.not_authorized"}
	ErrAuthorizationFailed        = &Error{URI: "wamp.error.authorization_failed"}
	ErrAuthenticationFailed       = &Error{URI: "wamp.error.authentication_failed"}
	ErrNoSuchRealm                = &Error{URI: "wamp.error.no_such_realm"}
	ErrNoSuchRole                 = &Error{URI: "wamp.error.no_such_role"}
	ErrCanceled                   = &Error{URI: "wamp.error.canceled"}
	ErrTimeout                    = &Error{URI: "wamp.error.timeout"}
	ErrRuntimeError               = &Error{URI: "wamp.error.runtime_error"}
	ErrOptionDisallowedDiscloseMe = &Error{URI: "wamp.error.option_disallowed.disclose_me"}
	ErrFeatureNotSupported        = &Error{URI: "wamp.error.feature_not_supported"}
	ErrProtocolViolation          = &Error{URI: "wamp.error.protocol_violation"}
	ErrNoEligibleCallee           = &Error{URI: "wamp.error.no_eligible_callee"}
	// ErrNoAvailableCallee: a router that reroutes calls (the spec's call
	// rerouting) found every callee of the procedure unavailable (each
	// answered [ErrUnavailable]), so none ran the call.
	ErrNoAvailableCallee = &Error{URI: "wamp.error.no_available_callee"}
)

// Local failures: the interaction did not complete because of this side or
// the connection, not because the remote side answered with an error.
var (
	// ErrNotConnected: the client has no session right now (it is connecting
	// or reconnecting and the call was configured to fail fast). Nothing was
	// sent.
	ErrNotConnected = errors.New("client: not connected")
	// ErrClosed: the client was closed. Nothing was sent.
	ErrClosed = errors.New("client: closed")
	// ErrConnectionLost: the connection went away while a request was in
	// flight. The request was sent; whether it ran is unknown.
	ErrConnectionLost = errors.New("client: connection lost")
	// ErrInvalidOption: an option value was refused before anything was sent.
	ErrInvalidOption = errors.New("client: invalid option")
	// ErrProtocol: the router sent something the protocol does not allow.
	ErrProtocol = errors.New("client: protocol violation by router")
)

// ErrRevoked matches the error of a registration that the router revoked
// (for example through wamp.registration.remove_callee).
var ErrRevoked = errors.New("client: registration revoked by the router")

// RevokedError is a registration's end when the router revoked it. It
// matches ErrRevoked with errors.Is.
type RevokedError struct {
	Registration ID
	// Reason is the reason the router gave (often a URI), or "".
	Reason string
}

func (e *RevokedError) Error() string {
	if e.Reason == "" {
		return fmt.Sprintf("client: registration %d revoked by the router", e.Registration)
	}
	return fmt.Sprintf("client: registration %d revoked by the router: %s", e.Registration, e.Reason)
}

// Is makes errors.Is(err, ErrRevoked) hold.
func (e *RevokedError) Is(target error) bool { return target == ErrRevoked }

// OpError is how every failed operation of the client reads: what was
// attempted (Op: "call", "register", "unregister", "subscribe",
// "unsubscribe", "publish", "join", "close"...), on which procedure, topic
// or realm (URI), and why (Err). It is the one prefix an error gets, as
// net.OpError is: "client: call com.example.echo: wamp.error.no_such_procedure".
// The typed packages return it as they got it.
//
// Err is the cause, for errors.Is and errors.As: the router's or callee's
// answer (an [*Error]), a local condition ([ErrNotConnected], [ErrClosed],
// [ErrConnectionLost], [ErrProtocol], [ErrInvalidPayload],
// [ErrMessageTooLarge], [ErrInvalidOption], [ErrInvalidURI] found before
// sending...), or the context's error.
type OpError struct {
	Op  string
	URI string
	Err error
	// Sent tells whether the request reached the transport, so that it may
	// have run. When false nothing left this process and retrying cannot run
	// it twice (see [SafeToRetry]).
	Sent bool
}

func (e *OpError) Error() string {
	var b strings.Builder
	b.WriteString("client: ")
	b.WriteString(e.Op)
	if e.URI != "" {
		b.WriteByte(' ')
		b.WriteString(e.URI)
	}
	b.WriteString(": ")
	b.WriteString(strings.TrimPrefix(e.Err.Error(), "client: "))
	if e.Sent && !IsRemote(e.Err) {
		b.WriteString(" (the request was sent; it may have run)")
	}
	return b.String()
}

func (e *OpError) Unwrap() error { return e.Err }

// opError wraps err as the failure of op on uri, unless it already is one
// (the prefix is added once).
func opError(op, uri string, err error, sent bool) error {
	if err == nil {
		return nil
	}
	var oe *OpError
	if errors.As(err, &oe) {
		return err
	}
	var inFlight inFlightError
	if !errors.As(err, &inFlight) && (errors.Is(err, ErrClosed) || errors.Is(err, ErrNotConnected)) {
		sent = false // refused before it was sent
	}
	return &OpError{Op: op, URI: uri, Err: err, Sent: sent}
}

// inFlightError is the error of a call that was sent when its session ended:
// it may have run, whatever ended the session. The client's own Close ends
// it with ErrClosed, which opError would otherwise read as never sent.
type inFlightError struct{ error }

func (e inFlightError) Unwrap() error { return e.error }

// SafeToRetry reports whether err is the failure of a request that never
// left this process ([OpError.Sent] false), so retrying cannot run it twice.
func SafeToRetry(err error) bool {
	var oe *OpError
	return errors.As(err, &oe) && !oe.Sent && !IsRemote(err)
}

// IsRemote reports whether err carries an ERROR answered by the router or a
// callee (an *Error) to the request.
//
// A local condition is not remote even when it carries the router's words:
// a connection lost to the router's GOODBYE or ABORT matches
// ErrConnectionLost and is not the answer to the request.
func IsRemote(err error) bool {
	var ce *canceledError
	if errors.As(err, &ce) { // canceled here; remote only if the callee answered
		return ce.remote != nil
	}
	for _, local := range localConditions {
		if errors.Is(err, local) {
			return false
		}
	}
	var e *Error
	return errors.As(err, &e)
}

// localConditions are the sentinels of failures on this side.
var localConditions = []error{ErrConnectionLost, ErrClosed, ErrNotConnected, ErrProtocol}

// URIOf returns the WAMP error URI of err, or "" when err is not remote.
func URIOf(err error) string {
	var e *Error
	if IsRemote(err) && errors.As(err, &e) {
		return e.URI
	}
	return ""
}

// ErrInvocationDone is what a handler's Progress and NextInput return once
// the invocation is over: interrupted (the call was canceled or timed out,
// or the session ended) or already answered. It is a local condition; the
// handler's context says why.
var ErrInvocationDone = errors.New("client: invocation is over (interrupted or answered)")

// uriError is a URI refused before anything was sent. It matches
// ErrInvalidURI (the router's answer to the same mistake) with errors.Is,
// but it is not remote: no router said it.
type uriError struct {
	uri, why string
}

func (e *uriError) Error() string { return fmt.Sprintf("client: invalid URI %q: %s", e.uri, e.why) }

func (e *uriError) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.URI == ErrInvalidURI.URI
}

// canceledError is a call ended by its context (or by Cancel). It matches
// the context's error and ErrCanceled (the router answers a canceled call
// with wamp.error.canceled; in the modes that do not wait for that answer
// it is implied); when the router or callee answered, that *Error is
// reachable too, and then only is the error remote.
type canceledError struct {
	cause  error
	mode   CancelMode
	remote *Error
}

func (e *canceledError) Error() string {
	if e.remote != nil && e.remote.URI != ErrCanceled.URI {
		return fmt.Sprintf("client: call canceled (%v, mode %s): %v", e.cause, e.mode, e.remote)
	}
	if e.mode == "" {
		return fmt.Sprintf("client: call abandoned (%v): the router does not announce call_canceling, so no CANCEL was sent and the call may still run", e.cause)
	}
	return fmt.Sprintf("client: call canceled (%v, mode %s)", e.cause, e.mode)
}

func (e *canceledError) Unwrap() []error {
	// The callee's own answer (kill mode) comes before the ErrCanceled
	// sentinel, so errors.As(err, &*client.Error) finds it.
	if e.remote != nil {
		return []error{e.cause, e.remote, ErrCanceled}
	}
	return []error{e.cause, ErrCanceled}
}

// causes is an error with several causes (errors.Is and errors.As see each)
// and a text of its own, so that sentinels of this package are not
// prefixed twice.
type causes struct {
	text string
	errs []error
}

func (e *causes) Error() string   { return e.text }
func (e *causes) Unwrap() []error { return e.errs }
