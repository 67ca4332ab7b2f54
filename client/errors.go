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

// LocalError is a failure on this side of the connection: nothing was
// answered by the router or a callee. Sent tells whether the request
// reached the transport, so a call may have run; when Sent is false it is
// safe to retry.
type LocalError struct {
	Op   string // "call", "register", "subscribe", ...
	Err  error  // ErrNotConnected, ErrClosed, ErrConnectionLost, a ctx error...
	Sent bool
}

func (e *LocalError) Error() string {
	s := "client: " + strings.TrimPrefix(e.Err.Error(), "client: ")
	if e.Op != "" {
		s = "client: " + e.Op + ": " + strings.TrimPrefix(e.Err.Error(), "client: ")
	}
	if e.Sent {
		s += " (request was sent; it may have run)"
	}
	return s
}

func (e *LocalError) Unwrap() error { return e.Err }

// SafeToRetry reports whether err is a local failure that happened before
// the request was sent, so retrying cannot run it twice.
func SafeToRetry(err error) bool {
	var le *LocalError
	return errors.As(err, &le) && !le.Sent
}

// IsRemote reports whether err is an ERROR answered by the router or a
// callee (an *Error).
func IsRemote(err error) bool {
	var le *LocalError
	if errors.As(err, &le) {
		return false
	}
	var ce *canceledError
	if errors.As(err, &ce) { // canceled here; remote only if the callee answered
		return ce.remote != nil
	}
	var e *Error
	return errors.As(err, &e)
}

// URIOf returns the WAMP error URI of err, or "" when err is not remote.
func URIOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.URI
	}
	return ""
}

// canceledError is a call ended by its context. It matches the context's
// error and ErrCanceled; when the router or callee answered the cancel, that
// *Error is reachable too.
type canceledError struct {
	cause  error
	mode   string
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
