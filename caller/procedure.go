package caller

import (
	"context"

	"github.com/wampkit/wampkit/client"
)

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
