package callee

import (
	"context"
	"errors"
	"fmt"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/payload"
)

// RegisterProgressive registers procedure with a typed handler that can
// send progressive results.
//
// It works like [Register], and the handler also gets a progress function.
// progress(p) encodes p by the payload convention and sends it as a
// progressive result (YIELD with progress=true) when the caller asked for
// progressive results; when it did not, progress does nothing and returns
// nil. Once the call is over (canceled, timed out, or answered) progress
// returns an error matching client.ErrInvocationDone and the context's
// error; a handler that returns that error answers wamp.error.canceled. progress
// is safe for concurrent use; results from one goroutine arrive in order.
func RegisterProgressive[In, P, Out any](ctx context.Context, c *client.Client, procedure string,
	h func(ctx context.Context, in In, progress func(P) error) (Out, error), opts ...Option) (*Registration, error) {
	if h == nil {
		return nil, invalid("nil handler for %s", procedure)
	}
	return register(ctx, c, procedure, opts, payload.DirectInput[In](), func(ctx context.Context, inv *client.Invocation, cfg *config) (client.Payload, error) {
		in, err := singleInput[In](inv, cfg)
		if err != nil {
			return client.Payload{}, err
		}
		out, err := h(ctx, in, progressFunc[P](ctx, inv))
		return answer(inv, cfg, out, err)
	})
}

// progressFunc builds the progress function of one invocation.
func progressFunc[P any](ctx context.Context, inv *client.Invocation) func(P) error {
	return func(p P) error {
		if ctx.Err() != nil {
			return callOver("progress", ctx, nil)
		}
		var out client.Payload
		if inv.ReceiveProgress() {
			var err error
			if out, err = payload.Encode(p); err != nil { // never handed over: a stream
				return fmt.Errorf("callee: encode progress: %w", err)
			}
		}
		// Without receive_progress this sends nothing but still reports a
		// call that is over.
		if err := inv.Progress(out); err != nil {
			if errors.Is(err, client.ErrInvocationDone) {
				return callOver("progress", ctx, err)
			}
			return err
		}
		return nil
	}
}
