package caller

import (
	"context"
	"fmt"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/codec"
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
// the error matches both ctx's error and client.ErrCanceled.
func Call[Out any](ctx context.Context, c *client.Client, procedure string, in any, opts ...Option) (Out, error) {
	var zero Out
	cfg, err := buildConfig(opts)
	if err != nil {
		return zero, err
	}
	req, err := encodeRequest(&cfg, procedure, in)
	if err != nil {
		return zero, err
	}
	ctx, cancel := cfg.bound(ctx)
	defer cancel()
	res, err := c.Call(ctx, req, nil)
	if err != nil {
		return zero, err
	}
	return decodeOut[Out](&cfg, procedure, res.Payload)
}

func encodeRequest(cfg *config, procedure string, in any) (client.CallRequest, error) {
	args, kwargs, err := codec.Encode(in)
	if err != nil {
		return client.CallRequest{}, fmt.Errorf("caller: encode arguments of %s: %w", procedure, err)
	}
	return cfg.request(procedure, client.Payload{Args: args, Kwargs: kwargs}), nil
}

// bound adds the local deadline of a Timeout.
func (c *config) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if c.timeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, c.timeout+timeoutGrace)
}

func (c *config) decodeOpts() []codec.Option {
	if c.strict {
		return []codec.Option{codec.Strict()}
	}
	return nil
}

func decodeOut[Out any](cfg *config, procedure string, p client.Payload) (Out, error) {
	var out Out
	if err := codec.DecodeResult(p.Args, p.Kwargs, &out, cfg.decodeOpts()...); err != nil {
		return out, fmt.Errorf("caller: decode result of %s: %w", procedure, err)
	}
	return out, nil
}

// Procedure is a typed handle for calling one procedure repeatedly, built
// once:
//
//	add := caller.New[AddIn, int](c, "com.example.add")
//	sum, err := add.Call(ctx, AddIn{2, 3})
//
// Safe for concurrent use.
type Procedure[In, Out any] struct {
	c         *client.Client
	procedure string
	opts      []Option
}

// New returns a handle for procedure; opts apply to every call, after which
// the options given to Call apply.
func New[In, Out any](c *client.Client, procedure string, opts ...Option) *Procedure[In, Out] {
	return &Procedure[In, Out]{c: c, procedure: procedure, opts: append([]Option(nil), opts...)}
}

// Name returns the procedure's URI.
func (p *Procedure[In, Out]) Name() string { return p.procedure }

// Call calls the procedure with in.
func (p *Procedure[In, Out]) Call(ctx context.Context, in In, opts ...Option) (Out, error) {
	return Call[Out](ctx, p.c, p.procedure, in, p.with(opts)...)
}

func (p *Procedure[In, Out]) with(opts []Option) []Option {
	if len(opts) == 0 {
		return p.opts
	}
	return append(append([]Option(nil), p.opts...), opts...)
}
