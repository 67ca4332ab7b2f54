package callee

import (
	"context"
	"errors"
	"fmt"
	"reflect"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/codec"
	"github.com/wampkit/wampkit/internal/outgoing"
	"github.com/wampkit/wampkit/internal/payload"
)

// ErrRevoked matches, with errors.Is, the [Registration.Err] of a
// registration the router revoked (for example through
// wamp.registration.remove_callee). The error is a *[client.RevokedError]
// carrying the router's reason.
var ErrRevoked = client.ErrRevoked

// WAMP error URIs this package answers with, as client defines them.
var (
	uriInvalidArgument = client.ErrInvalidArgument.URI
	uriCanceled        = client.ErrCanceled.URI
	uriTimeout         = client.ErrTimeout.URI
)

// decodeInput decodes a payload into dst by the callee-side rule. A value
// that does not fit is a *client.Error wamp.error.invalid_argument whose
// message names the field; its kwargs carry "path", "want" and, for a
// scalar, "got". A payload in Payload Passthru Mode that dst cannot take is
// wamp.error.invalid_argument too.
func decodeInput(p client.Payload, dst any, cfg *config) error {
	var opts []codec.Option
	if cfg.strict {
		opts = append(opts, codec.Strict())
	}
	err := payload.DecodeArgs(p, dst, opts...)
	if err == nil {
		return nil // before de below, which escapes: no allocation when all is well
	}
	var de *codec.DecodeError
	switch {
	case errors.As(err, &de):
		return invalidArgument(de)
	case errors.Is(err, client.ErrProtocol): // the router's bytes, not the caller's values
		return &client.Error{URI: uriInvalidArgument, Args: []any{"callee: the arguments as received do not decode"}}
	case errors.Is(err, client.ErrPassthru):
		return &client.Error{URI: uriInvalidArgument, Args: []any{"callee: decode argument: " + err.Error()}}
	}
	return fmt.Errorf("callee: decode argument: %w", err)
}

func invalidArgument(de *codec.DecodeError) *client.Error {
	msg := "callee: decode argument: " + de.Quiet().Error()
	if de.Path != "" {
		msg = "callee: decode argument " + de.Quiet().Error()
	}
	kw := map[string]any{"path": de.Path, "want": de.Want}
	if de.Msg != "" {
		kw["msg"] = de.Msg
	}
	if isScalar(de.Got) {
		kw["got"] = de.Got
	}
	return &client.Error{URI: uriInvalidArgument, Args: []any{msg}, Kwargs: kw}
}

// isScalar reports a boolean, number or short string: a received value
// small enough to echo back in an error.
func isScalar(v any) bool {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.String:
		return rv.Len() <= 256
	case reflect.Bool, reflect.Float32, reflect.Float64,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	}
	return false
}

// encodeOutput turns a handler's result into a payload by the convention:
// nil gives no arguments, a client.Payload goes as is, anything else as
// args=[v]. b is what the codec knows of it (see payload.EncodeFresh).
func encodeOutput(inv *client.Invocation, direct bool, v any) (p client.Payload, b outgoing.Built, err error) {
	if direct {
		// Written straight into the session's serialization: no values
		// in between (interceptors would read them).
		if p, b, ok := payload.EncodeDirect(payload.AnswerSink(inv), v); ok {
			return p, b, nil
		}
	}
	p, b, err = payload.EncodeFresh(v, direct && payload.AnswerTwin(inv))
	if err != nil {
		return client.Payload{}, outgoing.Built{}, fmt.Errorf("callee: encode result: %w", err)
	}
	return p, b, nil
}

// answerError maps a handler's error to what goes to the caller. A
// DeadlineExceeded from a forwarded call timeout becomes wamp.error.timeout;
// anything else goes on to the client: a *client.Error in the chain is sent
// as is, other errors as wamp.error.canceled for an interrupted call and
// wamp.error.runtime_error otherwise.
func answerError(ctx context.Context, inv *client.Invocation, err error) error {
	if inv.Timeout() > 0 && errors.Is(err, context.DeadlineExceeded) && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &client.Error{URI: uriTimeout, Args: []any{err.Error()}}
	}
	return err
}

// waitError answers an invocation that gave up waiting for a concurrency
// slot.
func waitError(ctx context.Context, inv *client.Invocation) error {
	if inv.Timeout() > 0 && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &client.Error{URI: uriTimeout, Args: []any{"callee: call timed out waiting for a concurrency slot"}}
	}
	return &client.Error{URI: uriCanceled, Args: []any{"callee: call canceled while waiting for a concurrency slot"}}
}

// errNotStreaming answers a streamed call to a handler that takes one input.
func errNotStreaming(procedure string) error {
	return &client.Error{URI: uriInvalidArgument,
		Args: []any{fmt.Sprintf("callee: %s does not accept streamed input", procedure)}}
}

// overError is what progress and stream functions return once the call is
// over. It matches client.ErrInvocationDone (a handler returning it
// answers wamp.error.canceled) and the context's error when there is one.
type overError struct {
	op   string
	errs []error
}

func (e *overError) Error() string {
	return "callee: " + e.op + ": the call is over (canceled or answered)"
}

func (e *overError) Unwrap() []error { return e.errs }

func callOver(op string, ctx context.Context, cause error) error {
	errs := []error{client.ErrInvocationDone}
	if ctx.Err() != nil {
		errs = append(errs, ctx.Err())
	}
	if cause != nil && !errors.Is(cause, client.ErrInvocationDone) && !errors.Is(cause, ctx.Err()) {
		errs = append(errs, cause)
	}
	return &overError{op: op, errs: errs}
}
