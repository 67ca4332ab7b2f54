package callee

import (
	"context"
	"iter"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/payload"
)

// RegisterStream registers procedure with a typed handler that reads its
// input as a stream: the chunks of a progressive call invocation (a caller
// that sends CALL with progress=true, then more chunks, then a final one),
// each decoded into In.
//
// in yields the chunks in order, the first one included, until the final
// chunk; a call that is not streamed yields its one payload. A chunk with
// no arguments at all is skipped, so a caller may end its stream with an
// empty final chunk. A chunk that does not fit In is yielded as an error
// that answers wamp.error.invalid_argument naming the field when the
// handler returns it; a call canceled while the handler waits for a chunk
// is yielded as an error matching client.ErrInvocationDone. After an error the
// sequence ends. in is single-use and only valid while the handler runs;
// a handler may stop reading early and answer at once.
//
// Everything else works like [Register].
func RegisterStream[In, Out any](ctx context.Context, c *client.Client, procedure string,
	h func(ctx context.Context, in iter.Seq2[In, error]) (Out, error), opts ...Option) (*Registration, error) {
	if h == nil {
		return nil, invalid("nil handler for %s", procedure)
	}
	return register(ctx, c, procedure, opts, false, func(ctx context.Context, inv *client.Invocation, cfg *config) (client.Payload, error) {
		out, err := h(ctx, inputs[In](ctx, inv, cfg))
		return answer(inv, cfg, out, err)
	})
}

// RegisterStreamProgressive registers procedure with a handler that reads
// streamed input like [RegisterStream] and sends progressive results like
// [RegisterProgressive].
func RegisterStreamProgressive[In, P, Out any](ctx context.Context, c *client.Client, procedure string,
	h func(ctx context.Context, in iter.Seq2[In, error], progress func(P) error) (Out, error), opts ...Option) (*Registration, error) {
	if h == nil {
		return nil, invalid("nil handler for %s", procedure)
	}
	return register(ctx, c, procedure, opts, false, func(ctx context.Context, inv *client.Invocation, cfg *config) (client.Payload, error) {
		out, err := h(ctx, inputs[In](ctx, inv, cfg), progressFunc[P](ctx, inv))
		return answer(inv, cfg, out, err)
	})
}

// inputs is the decoded input stream of one invocation.
func inputs[In any](ctx context.Context, inv *client.Invocation, cfg *config) iter.Seq2[In, error] {
	s := &stream{ctx: ctx, inv: inv, first: true}
	return func(yield func(In, error) bool) {
		for {
			p, ok, err := s.next()
			var in In
			switch {
			case err != nil:
				yield(in, err)
				return
			case !ok:
				return
			case p.IsZero():
				continue
			}
			dst := payload.Take[In]() // not &in: its address would move in to the heap
			err = decodeInput(p, &dst.V, cfg)
			in = dst.Release()
			if err != nil {
				s.done = true
				yield(in, err)
				return
			}
			if !yield(in, nil) {
				return
			}
		}
	}
}

// stream reads the raw chunks of one invocation.
type stream struct {
	ctx   context.Context
	inv   *client.Invocation
	first bool
	done  bool
}

func (s *stream) next() (client.Payload, bool, error) {
	if s.done {
		return client.Payload{}, false, nil
	}
	if s.first {
		s.first = false
		s.done = !s.inv.Streaming()
		return s.inv.Payload(), true, nil
	}
	p, ok, err := s.inv.NextInput(s.ctx)
	if err != nil || !ok {
		s.done = true
	}
	if err != nil {
		return client.Payload{}, false, callOver("stream input", s.ctx, err)
	}
	return p, ok, nil
}
