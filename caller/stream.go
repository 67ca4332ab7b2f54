package caller

import (
	"context"
	"fmt"
	"iter"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/codec"
)

// Stream is a call whose input is streamed (progressive call invocations):
// the first chunk goes with the CALL, more with Send, and CloseSend ends the
// input. Results are read from Results while or after sending. Send and
// CloseSend are for one goroutine; Results for one (possibly another).
type Stream[In, P, Out any] struct {
	results *Results[P, Out]
	closed  bool
}

// Open starts a streamed call with its first input chunk.
func Open[In, P, Out any](ctx context.Context, c *client.Client, procedure string, first In, opts ...Option) (*Stream[In, P, Out], error) {
	cfg, err := buildConfig(opts)
	if err != nil {
		return nil, err
	}
	req, err := encodeRequest(&cfg, procedure, first)
	if err != nil {
		return nil, err
	}
	req.Stream, req.ReceiveProgress = true, true
	r := start[P, Out](ctx, c, cfg, req)
	if r.err != nil {
		return nil, r.err
	}
	return &Stream[In, P, Out]{results: r}, nil
}

// Send sends one more input chunk.
func (s *Stream[In, P, Out]) Send(ctx context.Context, in In) error {
	p, err := encodeChunk(s.results.proc, in)
	if err != nil {
		return err
	}
	return s.results.call.Send(ctx, p)
}

// SendLast sends the last input chunk, ending the input.
func (s *Stream[In, P, Out]) SendLast(ctx context.Context, last In) error {
	p, err := encodeChunk(s.results.proc, last)
	if err != nil {
		return err
	}
	return s.final(ctx, p)
}

// CloseSend ends the input with an empty final chunk (a wampkit callee
// does not pass empty chunks on to its handler). It is a no-op after
// SendLast or a previous CloseSend.
func (s *Stream[In, P, Out]) CloseSend(ctx context.Context) error {
	return s.final(ctx, client.Payload{})
}

func (s *Stream[In, P, Out]) final(ctx context.Context, p client.Payload) error {
	if s.closed {
		return nil
	}
	s.closed = true
	return s.results.call.SendFinal(ctx, p)
}

// Results returns the call's results.
func (s *Stream[In, P, Out]) Results() *Results[P, Out] { return s.results }

// Cancel cancels the call with its cancel mode.
func (s *Stream[In, P, Out]) Cancel() { s.results.call.Cancel() }

func encodeChunk(procedure string, v any) (client.Payload, error) {
	args, kwargs, err := codec.Encode(v)
	if err != nil {
		return client.Payload{}, fmt.Errorf("caller: encode input chunk of %s: %w", procedure, err)
	}
	return client.Payload{Args: args, Kwargs: kwargs}, nil
}

// StreamAll calls procedure streaming every value of inputs as one input
// chunk, then ends the input, and returns the results. The inputs are sent
// before StreamAll returns; use Open to send and receive at the same time.
// With no inputs it makes a plain call with no arguments.
func StreamAll[In, P, Out any](ctx context.Context, c *client.Client, procedure string, inputs iter.Seq[In], opts ...Option) *Results[P, Out] {
	var s *Stream[In, P, Out]
	for in := range inputs {
		if s == nil {
			var err error
			if s, err = Open[In, P, Out](ctx, c, procedure, in, opts...); err != nil {
				return (&Results[P, Out]{proc: procedure}).fail(err)
			}
			continue
		}
		if err := s.Send(ctx, in); err != nil {
			s.Cancel()
			s.results.end(err)
			return s.results
		}
	}
	if s == nil {
		return Progressive[P, Out](ctx, c, procedure, nil, opts...)
	}
	if err := s.CloseSend(ctx); err != nil {
		s.Cancel()
		s.results.end(err)
	}
	return s.results
}
