package caller

import (
	"context"
	"errors"
	"fmt"

	"github.com/wampkit/wampkit/client"
)

// canceledError is a call this side canceled because of cause (a chunk of
// its input that could not be sent); answer is how the call then ended. It
// matches both, and client.ErrCanceled.
type canceledError struct {
	procedure string
	cause     error
	answer    error
}

func (e *canceledError) Error() string {
	return fmt.Sprintf("caller: call %s canceled (%v): %v", e.procedure, e.cause, reason(e.answer))
}

func (e *canceledError) Unwrap() []error {
	return []error{e.answer, e.cause, client.ErrCanceled}
}

// notSent is the error of a call whose ctx had ended before its CALL was
// sent: nothing went out, so it is safe to retry, and there is nothing to
// cancel. It is checked up front because the engine, given an ended ctx,
// may or may not send the CALL first.
func notSent(ctx context.Context, procedure string) error {
	if ctx.Err() == nil {
		return nil
	}
	return &client.OpError{Op: "call", URI: procedure, Err: ctx.Err()}
}

// reason is err without the client's "call <procedure>" prefix when err is
// the client's *client.OpError: an error of this package that names the
// call already does not name it twice. Only for text; err itself stays
// wrapped.
func reason(err error) error {
	var oe *client.OpError
	if errors.As(err, &oe) {
		return oe.Err
	}
	return err
}

// callError is what became of a call, said by this package (its progress
// loop was left early, it failed after some attempts), over the error it
// ended with, which names the call already and is not named again.
type callError struct {
	proc string
	what string
	err  error
}

func (e *callError) Error() string {
	return fmt.Sprintf("caller: call %s %s: %v", e.proc, e.what, reason(e.err))
}

func (e *callError) Unwrap() error { return e.err }
