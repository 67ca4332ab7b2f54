package caller

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/codec"
	"github.com/wampkit/wampkit/internal/outgoing"
	"github.com/wampkit/wampkit/internal/payload"
)

// Args returns positional arguments as a payload: Call(ctx, c, uri,
// caller.Args(2, 3)) sends args=[2, 3].
func Args(v ...any) client.Payload { return client.Payload{Args: v} }

// Kwargs returns keyword arguments as a payload.
func Kwargs(kw map[string]any) client.Payload { return client.Payload{Kwargs: kw} }

// Call calls procedure with in, encoded by the payload convention, and
// decodes the result into Out (args[0] when present, else the kwargs
// object; Out = client.Payload gives the raw result). A remote error is a
// *client.Error; a result that does not fit Out is an error naming the
// path. When ctx ends the call is canceled with the chosen cancel mode and
// the error matches both ctx's error and client.ErrCanceled; a ctx that had
// already ended sends nothing (the error matches ctx's error and
// client.SafeToRetry holds).
func Call[Out any](ctx context.Context, c *client.Client, procedure string, in any, opts ...Option) (Out, error) {
	var zero Out
	cfg, err := buildConfig(opts)
	if err != nil {
		return zero, err
	}
	req, err := encodeRequest(&cfg, c, procedure, in, false)
	if err != nil {
		return zero, err
	}
	dst := payload.Take[Out]()    // not a local: its address would move it to the heap
	req = dst.ReadOnlyResult(req) // decodeOut only reads it
	if err := notSent(ctx, procedure); err != nil {
		dst.Release()
		return zero, err
	}
	res, err := cfg.callRetrying(ctx, c, req)
	if err != nil {
		dst.Release()
		return zero, err
	}
	return decodeOut(&cfg, procedure, res.Payload, dst)
}

// encodeRequest builds the CALL request of procedure with in. stream: the
// call streams its input (Open), whose first chunk is never handed over in
// process, so it gets no twin.
func encodeRequest(cfg *config, c *client.Client, procedure string, in any, stream bool) (client.CallRequest, error) {
	var (
		p      client.Payload
		b      outgoing.Built
		direct bool
	)
	if len(cfg.intercept) == 0 {
		// Written straight into the session's serialization: no values
		// in between (interceptors would read them).
		p, b, direct = payload.EncodeDirect(payload.CallSink(c), in)
	}
	if !direct {
		var err error
		twin := !stream && len(cfg.intercept) == 0 && payload.CallTwin(c)
		if p, b, err = payload.EncodeFresh(in, twin); err != nil {
			return client.CallRequest{}, fmt.Errorf("caller: encode arguments of %s: %w", procedure, err)
		}
	}
	req := cfg.request(procedure, p)
	if b.Fresh { // only the client sees it
		req = payload.FreezeCall(req, b)
	}
	if req.Timeout > 0 && !readsTimeout(c) {
		// A router that does not read the option (its WELCOME does not
		// announce call_timeout and it is not Crossbar) is not asked; the
		// local deadline (bound) still ends the call and cancels it, which
		// the spec allows without the feature.
		req.Timeout = 0
	}
	return req, nil
}

// readsTimeout reports whether c's router reads CALL.Options.timeout.
func readsTimeout(c *client.Client) bool {
	_, reads := c.CallTimeoutUnit()
	return reads
}

// bound adds the local deadline of a Timeout.
func (c *config) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if c.timeout <= 0 {
		return ctx, func() {}
	}
	if c.timeout > math.MaxInt64-timeoutGrace { // beyond any deadline: none
		return ctx, func() {}
	}
	return context.WithTimeoutCause(ctx, c.timeout+timeoutGrace, errLocalTimeout)
}

// errLocalTimeout is the cause of a Timeout's local deadline, which tells it
// from a deadline of the caller's own ctx.
var errLocalTimeout = errors.New("caller: local deadline of Timeout")

// timedOut returns err, the end of a call bounded by ctx (from bound), as a
// *timeoutError when the call's Timeout ended it: the router answered
// wamp.error.timeout, or the local deadline expired first (a router that
// ignores the option). A deadline of the caller's own ctx stays a context
// error.
func (c *config) timedOut(ctx context.Context, procedure string, err error) error {
	if err == nil || c.timeout <= 0 {
		return err
	}
	local := errors.Is(err, context.DeadlineExceeded) && errors.Is(context.Cause(ctx), errLocalTimeout)
	if !local && !errors.Is(err, client.ErrTimeout) && !crossbarTimeout(err) {
		return err
	}
	return &timeoutError{procedure: procedure, timeout: c.timeout, err: err}
}

// crossbarTimeout reports whether err is Crossbar.io's answer to a call
// whose timeout expired: wamp.error.canceled with the argument "timeout
// reached" (src/crossbar/router/dealer.py), where the spec and nexus answer
// wamp.error.timeout.
func crossbarTimeout(err error) bool {
	var e *client.Error
	if !errors.As(err, &e) || !errors.Is(e, client.ErrCanceled) || len(e.Args) != 1 {
		return false
	}
	s, _ := e.Args[0].(string)
	return s == "timeout reached"
}

// timeoutError is a call ended by its Timeout, whichever side ended it. It
// matches client.ErrTimeout and context.DeadlineExceeded, and unwraps to the
// call's own error: the router's *client.Error, or the cancel of the local
// deadline (which also matches client.ErrCanceled).
type timeoutError struct {
	procedure string
	timeout   time.Duration
	err       error
}

func (e *timeoutError) Error() string {
	return fmt.Sprintf("caller: call %s timed out after %s: %v", e.procedure, e.timeout, reason(e.err))
}

func (e *timeoutError) Unwrap() error { return e.err }

// Is makes errors.Is(err, client.ErrTimeout) and
// errors.Is(err, context.DeadlineExceeded) hold.
func (e *timeoutError) Is(target error) bool {
	return target == context.DeadlineExceeded || errors.Is(client.ErrTimeout, target)
}

func (c *config) decodeOpts() []codec.Option {
	if c.strict {
		return []codec.Option{codec.Strict()}
	}
	return nil
}

// decodeOut decodes p into dst, which it releases. On error it returns the
// zero Out, never the part decoded before the failure.
func decodeOut[Out any](cfg *config, procedure string, p client.Payload, dst *payload.Slot[Out]) (Out, error) {
	err := payload.DecodeResult(p, &dst.V, cfg.decodeOpts()...)
	out := dst.Release()
	if err != nil {
		var de *codec.DecodeError
		if errors.As(err, &de) {
			err = de.Quiet()
		}
		var zero Out
		return zero, fmt.Errorf("caller: decode result of %s: %w", procedure, err)
	}
	return out, nil
}
