package caller

import (
	"context"
	"errors"
	"fmt"
	"iter"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/payload"
)

// Sender is a call whose input is streamed (progressive call invocations),
// in the manner of a gRPC client stream: the first chunk goes with the CALL
// ([Open]), more with Send, and SendLast or CloseSend ends the input. The
// results are read from Results while or after sending.
//
// Send, SendLast and CloseSend are for one goroutine, Results for one
// (possibly another); Cancel may be called from any.
type Sender[In, P, Out any] struct {
	results *Results[P, Out]
	closed  bool
}

// Open starts a streamed call with its first input chunk, encoded by the
// payload convention. The router must support progressive call invocations
// (nexus does, Crossbar does not) and so must the callee, or the results end
// with client.ErrFeatureNotSupported.
func Open[In, P, Out any](ctx context.Context, c *client.Client, procedure string, first In, opts ...Option) (*Sender[In, P, Out], error) {
	cfg, err := buildConfig(opts)
	if err == nil {
		err = cfg.noRetry(procedure)
	}
	if err != nil {
		return nil, err
	}
	req, err := encodeRequest(&cfg, c, procedure, first, true)
	if err != nil {
		return nil, err
	}
	req.Stream, req.ReceiveProgress = true, true
	r := start[P, Out](ctx, c, cfg, req)
	if r.err != nil {
		return nil, r.err
	}
	return &Sender[In, P, Out]{results: r}, nil
}

// Send sends one more input chunk. After the call ended it returns the
// call's error (or an error saying the call is over).
func (s *Sender[In, P, Out]) Send(ctx context.Context, in In) error {
	p, err := encodeChunk(s.results.proc, in)
	if err != nil {
		return err
	}
	return s.results.call.Send(ctx, p)
}

// SendLast sends the last input chunk, ending the input.
func (s *Sender[In, P, Out]) SendLast(ctx context.Context, last In) error {
	p, err := encodeChunk(s.results.proc, last)
	if err != nil {
		return err
	}
	return s.final(ctx, p)
}

// CloseSend ends the input with an empty final chunk (a wampkit callee
// does not pass an empty chunk on to its handler). It is a no-op after
// SendLast or a previous CloseSend.
func (s *Sender[In, P, Out]) CloseSend(ctx context.Context) error {
	return s.final(ctx, client.Payload{})
}

func (s *Sender[In, P, Out]) final(ctx context.Context, p client.Payload) error {
	if s.closed {
		return nil
	}
	s.closed = true
	return s.results.call.SendFinal(ctx, p)
}

// Results returns the call's results. The Results' own rules apply: leaving
// its Progress loop early cancels the call.
func (s *Sender[In, P, Out]) Results() *Results[P, Out] { return s.results }

// Cancel sends CANCEL with the call's cancel mode and returns without
// waiting; the Results then end with the router's (or, in kill mode, the
// callee's) answer, or, when none arrives within [KillWait], with an error
// matching client.ErrCanceled and context.Canceled.
func (s *Sender[In, P, Out]) Cancel() { s.results.call.Cancel() }

func encodeChunk(procedure string, v any) (client.Payload, error) {
	p, err := payload.Encode(v)
	if err != nil {
		return client.Payload{}, fmt.Errorf("caller: encode input chunk of %s: %w", procedure, err)
	}
	return p, nil
}

// Stream calls procedure streaming each value of inputs as one input chunk
// and returns the results. The first value travels with the CALL and the
// last as the final chunk, so a callee never sees an empty chunk: each value
// is sent once the next one is known (or inputs ended). A single value makes
// a plain call with it; no value at all, a plain call with no arguments.
//
// The inputs are sent before Stream returns, so progressive results that
// the callee sends meanwhile wait in the call's buffer (see [Buffer]); use
// [Open] to send and receive at the same time.
//
// When ctx ends, or a value does not encode, or a chunk cannot be sent, the
// input stops there and the call is canceled with its cancel mode; the
// Results report why (when ctx ended, with an error matching ctx's error and
// client.ErrCanceled). A call that ended by itself meanwhile (the callee
// answered early, or failed) keeps its own result or error.
func Stream[In, P, Out any](ctx context.Context, c *client.Client, procedure string, inputs iter.Seq[In], opts ...Option) *Results[P, Out] {
	var (
		s       *Sender[In, P, Out]
		pending In
		n       int
	)
	for in := range inputs {
		n++
		switch {
		case n == 1:
			pending = in
			continue
		case n == 2:
			var err error
			if s, err = Open[In, P, Out](ctx, c, procedure, pending, opts...); err != nil {
				return failed[P, Out](procedure, err)
			}
		default:
			if r := s.sendInput(ctx, pending, false); r != nil {
				return r
			}
		}
		pending = in
	}
	switch n {
	case 0:
		return Progressive[P, Out](ctx, c, procedure, nil, opts...)
	case 1:
		return Progressive[P, Out](ctx, c, procedure, pending, opts...)
	}
	if r := s.sendInput(ctx, pending, true); r != nil {
		return r
	}
	return s.results
}

// sendInput sends one chunk for Stream; when that fails it ends the call and
// returns its Results.
func (s *Sender[In, P, Out]) sendInput(ctx context.Context, in In, last bool) *Results[P, Out] {
	r := s.results
	if ctx.Err() != nil {
		return r.stopInput(ctx, ctx.Err())
	}
	p, err := encodeChunk(r.proc, in)
	if err != nil {
		r.abandon(err)
		return r
	}
	if last {
		err = s.final(ctx, p)
	} else {
		err = r.call.Send(ctx, p)
	}
	if err != nil {
		return r.stopInput(ctx, err)
	}
	return nil
}

// stopInput ends a streamed call whose next chunk could not be sent. When
// ctx ended, that is the cancellation. Otherwise the call is canceled; if it
// had ended by itself its own end stands, else the send error is the cause.
func (r *Results[P, Out]) stopInput(ctx context.Context, sendErr error) *Results[P, Out] {
	if ctx.Err() != nil {
		r.settle(ctx, nil)
		return r
	}
	r.abandon(nil)
	if errors.Is(r.err, context.Canceled) { // our CANCEL ended it
		r.err = &canceledError{procedure: r.proc, cause: sendErr, answer: r.err}
	}
	return r
}
