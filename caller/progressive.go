package caller

import (
	"context"
	"iter"

	"github.com/wampkit/wampkit/client"
)

// Results is a call with progressive results: range over Progress, then
// read Result. Results is for one goroutine.
//
// Progressive results are decoded into P by the same rule as the final
// result. None is lost or reordered: results that arrive while the loop body
// runs wait in a buffer (see Buffer; 65536 by default). A consumer that
// falls further behind than the buffer fails the call with
// client.ErrSlowConsumer and cancels it.
type Results[P, Out any] struct {
	ctx    context.Context
	cancel context.CancelFunc
	cfg    config
	proc   string
	call   *client.PendingCall

	err      error // failure to start, or the final error
	final    client.Payload
	finished bool
}

// Progressive calls procedure with in, asking for progressive results. The
// CALL is sent before Progressive returns; a failure to send shows as the
// error of Progress and Result.
func Progressive[P, Out any](ctx context.Context, c *client.Client, procedure string, in any, opts ...Option) *Results[P, Out] {
	r := &Results[P, Out]{proc: procedure, cancel: func() {}}
	cfg, err := buildConfig(opts)
	if err != nil {
		return r.fail(err)
	}
	req, err := encodeRequest(&cfg, procedure, in)
	if err != nil {
		return r.fail(err)
	}
	req.ReceiveProgress = true
	return start[P, Out](ctx, c, cfg, req)
}

func start[P, Out any](ctx context.Context, c *client.Client, cfg config, req client.CallRequest) *Results[P, Out] {
	r := &Results[P, Out]{cfg: cfg, proc: req.Procedure}
	r.ctx, r.cancel = cfg.bound(ctx)
	call, err := c.StartCall(r.ctx, req)
	if err != nil {
		r.cancel()
		return r.fail(err)
	}
	r.call = call
	return r
}

func (r *Results[P, Out]) fail(err error) *Results[P, Out] {
	r.err, r.finished = err, true
	if r.cancel == nil {
		r.cancel = func() {}
	}
	return r
}

// Progress yields each progressive result in order. It ends after the
// last one; the final result is then available from Result. An error (a
// remote error, a result that does not decode into P, a canceled ctx) is
// yielded once and ends the sequence. Leaving the loop early cancels the
// call.
func (r *Results[P, Out]) Progress() iter.Seq2[P, error] {
	return func(yield func(P, error) bool) {
		for !r.finished {
			res, ok := r.next()
			if !ok {
				break
			}
			p, err := decodeOut[P](&r.cfg, r.proc, res.Payload)
			if err != nil {
				r.abandon(err)
				yield(p, err)
				return
			}
			if !yield(p, nil) {
				r.abandon(context.Canceled)
				return
			}
		}
		if r.err != nil {
			var zero P
			yield(zero, r.err)
		}
	}
}

// next returns the next progressive result; ok is false once the call has
// ended (with its final result or error recorded).
func (r *Results[P, Out]) next() (client.Result, bool) {
	res, err := r.call.Next(r.ctx)
	switch {
	case err != nil:
		r.end(err)
		return res, false
	case !res.Progress:
		r.final = res.Payload
		r.end(nil)
		return res, false
	}
	return res, true
}

// Result returns the final result, reading (and discarding) any progressive
// results not yet taken.
func (r *Results[P, Out]) Result() (Out, error) {
	for !r.finished {
		r.next()
	}
	if r.err != nil {
		var zero Out
		return zero, r.err
	}
	return decodeOut[Out](&r.cfg, r.proc, r.final)
}

// end records the call's end and releases its deadline.
func (r *Results[P, Out]) end(err error) {
	r.err, r.finished = err, true
	r.cancel()
}

// abandon cancels the call (CANCEL with the call's mode) and ends it with err.
func (r *Results[P, Out]) abandon(err error) {
	r.call.Cancel()
	r.end(err)
}
