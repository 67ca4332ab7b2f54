package client

import (
	"errors"
	"fmt"

	"github.com/gammazero/nexus/v3/wamp"
)

// engineError is an ERROR (or ABORT) received from the router or a callee, or one
// a handler wants sent. The client package converts it to *client.Error.
type engineError struct {
	URI     string
	Args    wamp.List
	Kwargs  wamp.Dict
	Details wamp.Dict
}

func (e *engineError) Error() string {
	if len(e.Args) > 0 {
		if s, ok := e.Args[0].(string); ok {
			return e.URI + ": " + s
		}
		return fmt.Sprintf("%s: %v", e.URI, e.Args)
	}
	return e.URI
}

var (
	// errEngineLost: the peer went away while the request was in flight.
	errEngineLost = errors.New("session: connection lost")
	// errEngineClosed: the session was closed (by Close or because it ended)
	// before the request was sent.
	errEngineClosed = errors.New("session: closed")
	// errEngineProtocol: the router broke the protocol; the session ended.
	errEngineProtocol = errors.New("session: protocol violation")
	// errNotStreaming: SendProgress on a call that did not start as a
	// progressive invocation.
	errNotStreaming = errors.New("session: call is not a progressive invocation")
	// ErrStreamOverflow: NextInput on a progressive invocation whose input
	// chunks arrived faster than the handler took them, past
	// sessionConfig.InputBytes; the caller is answered uriInputOverflow.
	ErrStreamOverflow = errors.New("session: streamed input overflow: chunks arrived faster than the handler took them")
	// errInvocationDone: Progress after the invocation ended or was
	// interrupted.
	errInvocationDone = errors.New("session: invocation is over")
)

// engineCanceledError is returned by a call whose context ended. It matches
// errors.Is with the context error and, through Remote, carries the
// router's or callee's answer when one arrived.
type engineCanceledError struct {
	Cause  error        // context.Canceled or context.DeadlineExceeded
	Mode   string       // the cancel mode sent; "" when no CANCEL was sent (the router does not announce call_canceling)
	Remote *engineError // the final ERROR received, if any
}

func (e *engineCanceledError) Error() string {
	if e.Remote != nil {
		return fmt.Sprintf("session: call canceled (%s, mode %s): %v", e.Cause, e.Mode, e.Remote)
	}
	if e.Mode == "" {
		return fmt.Sprintf("session: call abandoned (%s): the router does not announce call_canceling, so no CANCEL was sent", e.Cause)
	}
	return fmt.Sprintf("session: call canceled (%s, mode %s)", e.Cause, e.Mode)
}

func (e *engineCanceledError) Unwrap() []error {
	if e.Remote != nil {
		return []error{e.Cause, e.Remote}
	}
	return []error{e.Cause}
}

func errorFromMsg(m *wamp.Error) *engineError {
	return &engineError{URI: string(m.Error), Args: m.Arguments, Kwargs: m.ArgumentsKw, Details: m.Details}
}
