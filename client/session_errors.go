package client

import (
	"errors"

	"github.com/gammazero/nexus/v3/wamp"
)

// Conditions of the engine that the client API does not return as they are.
var (
	// errNotStreaming: a chunk sent on a call that did not start as a
	// progressive invocation.
	errNotStreaming = errors.New("client: call is not a progressive invocation")
	// ErrStreamOverflow is what [Invocation.NextInput] returns once the
	// invocation's streamed input overflowed [WithInvocationBytes]; the
	// handler's context is canceled too, and whatever it returns, the caller
	// gets [ErrInputOverflow].
	ErrStreamOverflow = errors.New("client: streamed input overflow: chunks arrived faster than the handler took them")
)

// errorFromMsg is a received ERROR as the one remote error type. An ERROR in
// Payload Passthru Mode has its Passthru set; one that claims PPT in a form
// that is not keeps its Args, Kwargs and Details as they came.
func errorFromMsg(m *wamp.Error) *Error {
	if p, err := passthruFrom("ERROR", m.Arguments, m.ArgumentsKw, m.Details); p != nil && err == nil {
		return &Error{URI: string(m.Error), Details: m.Details, Passthru: p}
	}
	return &Error{URI: string(m.Error), Args: m.Arguments, Kwargs: m.ArgumentsKw, Details: m.Details}
}
