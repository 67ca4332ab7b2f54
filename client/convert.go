package client

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// convertErr maps the engine's errors to the client's. sent says whether the
// request reached the transport.
func convertErr(err error, sent bool) error {
	if err == nil {
		return nil
	}
	var ce *engineCanceledError
	if errors.As(err, &ce) {
		out := &canceledError{cause: ce.Cause, mode: ce.Mode}
		if ce.Remote != nil {
			out.remote = fromSessionError(ce.Remote)
		}
		return out
	}
	if !errors.Is(err, errEngineLost) { // a lost connection may wrap the router's GOODBYE
		var se *engineError
		if errors.As(err, &se) {
			return fromSessionError(se)
		}
	}
	switch {
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return &LocalError{Err: err, Sent: sent}
	case errors.Is(err, errEngineLost):
		if err != errEngineLost { // it says more than the sentinel
			detail := strings.TrimPrefix(strings.TrimPrefix(err.Error(), "session: "), errEngineLost.Error()[len("session: "):]+": ")
			return &LocalError{Err: fmt.Errorf("%w: %s", ErrConnectionLost, detail), Sent: sent}
		}
		return &LocalError{Err: ErrConnectionLost, Sent: sent}
	case errors.Is(err, errEngineClosed):
		return &LocalError{Err: ErrClosed, Sent: false}
	case errors.Is(err, errEngineProtocol):
		return &LocalError{Err: protocolError(err), Sent: sent}
	}
	return err
}

// protocolError is the engine's protocol violation as one matching
// ErrProtocol, with what happened.
func protocolError(err error) error {
	what := strings.TrimPrefix(err.Error(), "session: ")
	what = strings.TrimPrefix(what, strings.TrimPrefix(errEngineProtocol.Error(), "session: "))
	what = strings.TrimSuffix(strings.TrimPrefix(what, ": "), ": "+errEngineProtocol.Error())
	if what == "" {
		return ErrProtocol
	}
	return fmt.Errorf("%w: %s", ErrProtocol, what)
}

// fromSessionError gives the client's *Error. An ERROR in Payload Passthru
// Mode has its Passthru set; one that claims PPT in a form that is not keeps
// its Args, Kwargs and Details as they came.
func fromSessionError(se *engineError) *Error {
	if p, err := passthruFrom("ERROR", se.Args, se.Kwargs, se.Details); p != nil && err == nil {
		return &Error{URI: se.URI, Details: se.Details, Passthru: p}
	}
	return &Error{URI: se.URI, Args: se.Args, Kwargs: se.Kwargs, Details: se.Details}
}

// toSessionError maps a handler's error to what the engine sends: an *Error
// anywhere in the chain goes as is (a Passthru one in PPT); anything else
// becomes runtime_error.
func toSessionError(err error) error {
	var e *Error
	if errors.As(err, &e) {
		if e.Passthru != nil {
			args, details, perr := e.Passthru.wire(e.Args, e.Kwargs, e.Details)
			if perr != nil {
				return fmt.Errorf("client: error %s: %w", e.URI, perr)
			}
			return &engineError{URI: e.URI, Args: args, Details: details}
		}
		return &engineError{URI: e.URI, Args: e.Args, Kwargs: e.Kwargs, Details: e.Details}
	}
	return err
}

// withOp fills in the operation of a LocalError.
func withOp(op string, err error) error {
	var le *LocalError
	if errors.As(err, &le) && le.Op == "" {
		le.Op = op
	}
	return err
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
