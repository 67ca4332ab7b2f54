package callee

import (
	"context"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/payload"
)

// Registration is the handle of a procedure registered through this
// package: the client's own *[client.Registration] (durable across
// reconnects; ID, Procedure, Options, Unregister, Done, Err), so handles
// made here and with the raw client are one type.
type Registration = client.Registration

// Register registers procedure with a typed handler.
//
// Each invocation's arguments are decoded into In by the callee-side rule
// (see the package documentation); arguments that do not fit are answered
// wamp.error.invalid_argument naming the field, without calling h. The
// handler's Out goes back by the payload convention: nil sends no
// arguments, a [client.Payload] goes as is, any other value v as args=[v].
// An error h returns is sent as is when it is (or wraps) a *[client.Error],
// else as wamp.error.runtime_error with its message; a panic is recovered
// and answered the same way, and the registration keeps serving. The
// context ends when the call is canceled (INTERRUPT), times out (see
// [ForwardTimeout]) or the session ends; [InvocationFrom] describes the
// call. A caller that streams its input to h is answered
// wamp.error.invalid_argument: use [RegisterStream] for that.
//
// A router refusal is returned as the router's *[client.Error]
// (wamp.error.procedure_already_exists, wamp.error.invalid_uri, ...).
func Register[In, Out any](ctx context.Context, c *client.Client, procedure string,
	h func(ctx context.Context, in In) (Out, error), opts ...Option) (*Registration, error) {
	if h == nil {
		return nil, invalid("nil handler for %s", procedure)
	}
	return register(ctx, c, procedure, opts, payload.DirectInput[In](), func(ctx context.Context, inv *client.Invocation, cfg *config) (client.Payload, error) {
		in, err := singleInput[In](inv, cfg)
		if err != nil {
			return client.Payload{}, err
		}
		out, err := h(ctx, in)
		return answer(inv, cfg, out, err)
	})
}

// handlerFunc is a typed handler adapted to a raw invocation.
type handlerFunc func(ctx context.Context, inv *client.Invocation, cfg *config) (client.Payload, error)

// register validates the options and registers h behind the common
// wrapper (concurrency limit, invocation context, error mapping). direct:
// h reads its input through payload.DecodeArgs into a type that takes a
// received object undecoded (payload.DirectInput).
func register(ctx context.Context, c *client.Client, procedure string, opts []Option, direct bool, h handlerFunc) (*Registration, error) {
	if c == nil {
		return nil, invalid("nil client")
	}
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	var g *gate
	if cfg.concurrency > 0 {
		g = newGate(cfg.concurrency)
	}
	handler, err := client.ChainInvocation(serve(cfg, g, h), cfg.intercept...)
	if err != nil {
		return nil, &client.OpError{Op: "register", URI: procedure, Err: err}
	}
	reg := cfg.reg
	if direct && len(cfg.intercept) == 0 { // only the typed decoder reads the input
		reg = payload.TypedInput(reg)
	}
	return c.Register(ctx, procedure, handler, reg)
}

// serve wraps h into the client's raw handler.
func serve(cfg *config, g *gate, h handlerFunc) client.InvocationHandler {
	return func(ctx context.Context, inv *client.Invocation) (client.Payload, error) {
		if g != nil {
			if err := g.acquire(ctx); err != nil {
				return client.Payload{}, waitError(ctx, inv)
			}
			defer g.release()
		}
		p, err := h(ctx, inv, cfg)
		if err != nil {
			return client.Payload{}, answerError(ctx, inv, err)
		}
		return p, nil
	}
}

// answer is the payload of inv's handler's result, or its error.
func answer[Out any](inv *client.Invocation, cfg *config, out Out, err error) (client.Payload, error) {
	if err != nil {
		return client.Payload{}, err
	}
	p, b, err := encodeOutput(inv, len(cfg.intercept) == 0, out)
	if b.Fresh { // only the client (and interceptors, which unfreeze it) sees it
		payload.FreezeAnswer(inv, p, b)
	}
	return p, err
}

// singleInput decodes the one input of a non-streaming handler.
func singleInput[In any](inv *client.Invocation, cfg *config) (In, error) {
	if inv.Streaming() {
		var in In
		return in, errNotStreaming(inv.Procedure())
	}
	dst := payload.Take[In]() // not a local: its address would move it to the heap
	err := decodeInput(dst.InvocationPayload(inv), &dst.V, cfg)
	return dst.Release(), err
}
