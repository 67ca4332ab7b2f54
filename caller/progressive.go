package caller

import (
	"context"
	"errors"
	"iter"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/payload"
)

// Results is a call with progressive results: range over [Results.Progress],
// then read [Results.Result].
//
// Each progressive result is decoded into P by the same rule as the final
// result. None is lost or reordered: results that arrive while the loop body
// runs wait in a buffer of the call (see [Buffer]; 65536 by default, and
// the client's budget in bytes for all its calls,
// client.WithProgressiveResultBytes, 64 MiB by default). A consumer that
// falls further behind fails the call with client.ErrSlowConsumer, and the
// call is canceled: nothing is dropped silently.
//
// A Results holds no goroutine. The call's state is released when it ends:
// with its final result or error, when ctx ends, or when the Progress loop is
// left early (which cancels the call). Range over Progress or call Result,
// or the call stays pending until the router answers.
//
// A Results is for one goroutine.
type Results[P, Out any] struct {
	ctx    context.Context
	cancel context.CancelFunc
	cfg    config
	proc   string
	call   *client.PendingCall

	err      error // failure to start, or the call's error
	final    client.Payload
	finished bool
}

// Progressive calls procedure with in, asking for progressive results, and
// returns at once with the call in flight. Range over Progress to read the
// progressive results, each decoded into P, then call Result for the final
// one, decoded into Out:
//
//	res := caller.Progressive[int, string](ctx, c, "com.example.countdown", 10)
//	for n, err := range res.Progress() {
//		if err != nil {
//			return err
//		}
//		fmt.Println(n)
//	}
//	final, err := res.Result()
//
// Progress results are buffered, in order, while the consumer is busy, up to
// [Buffer] results (65536 by default). A consumer that falls further behind
// fails the call with an error matching client.ErrSlowConsumer, and the call
// is canceled. Leaving the loop early cancels the call too.
//
// A failure before the CALL is sent (an invalid option, an input that does
// not encode, a closed client) is the error of Progress and Result.
func Progressive[P, Out any](ctx context.Context, c *client.Client, procedure string, in any, opts ...Option) *Results[P, Out] {
	cfg, err := buildConfig(opts)
	if err == nil {
		err = cfg.noRetry(procedure)
	}
	if err != nil {
		return failed[P, Out](procedure, err)
	}
	req, err := encodeRequest(&cfg, c, procedure, in, false)
	if err != nil {
		return failed[P, Out](procedure, err)
	}
	req.ReceiveProgress = true
	return start[P, Out](ctx, c, cfg, req)
}

// start sends the CALL of req.
func start[P, Out any](ctx context.Context, c *client.Client, cfg config, req client.CallRequest) *Results[P, Out] {
	if err := notSent(ctx, req.Procedure); err != nil {
		return failed[P, Out](req.Procedure, err)
	}
	r := &Results[P, Out]{cfg: cfg, proc: req.Procedure}
	r.ctx, r.cancel = cfg.bound(ctx)
	call, err := c.StartCall(r.ctx, req)
	if err != nil {
		r.end(err)
		return r
	}
	r.call = call
	return r
}

// failed returns the Results of a call that could not start.
func failed[P, Out any](procedure string, err error) *Results[P, Out] {
	return &Results[P, Out]{proc: procedure, err: err, finished: true}
}

// Progress yields each progressive result in order. The sequence ends after
// the last one; the final result is then available from Result. An error (a
// remote error, a result that does not decode into P, client.ErrSlowConsumer,
// the end of ctx) is yielded once, with the zero P, and ends the sequence.
//
// Leaving the loop early cancels the call with its cancel mode (see
// [CancelMode]) and releases it before the loop statement returns; with
// Kill this waits, up to the kill wait, for the callee to acknowledge.
// Result then reports an error matching context.Canceled and
// client.ErrCanceled, unless the call had already ended.
func (r *Results[P, Out]) Progress() iter.Seq2[P, error] {
	return func(yield func(P, error) bool) {
		for {
			res, ok := r.next()
			if !ok {
				break
			}
			p, err := decodeOut(&r.cfg, r.proc, res.Payload, payload.Take[P]())
			if err != nil {
				r.abandon(err)
				var zero P // not the part decoded before the failure
				yield(zero, err)
				return
			}
			if !yield(p, nil) {
				r.abandon(nil)
				return
			}
		}
		if r.err != nil {
			var zero P
			yield(zero, r.err)
		}
	}
}

// Result returns the final result, decoded into Out. It waits for the call
// to end, reading and discarding progressive results not taken by Progress.
func (r *Results[P, Out]) Result() (Out, error) {
	for {
		if _, ok := r.next(); !ok {
			break
		}
	}
	if r.err != nil {
		var zero Out
		return zero, r.err
	}
	return decodeOut(&r.cfg, r.proc, r.final, payload.Take[Out]())
}

// next returns the next progressive result; ok is false once the call has
// ended, with its final result or error recorded.
func (r *Results[P, Out]) next() (client.Result, bool) {
	if r.finished {
		return client.Result{}, false
	}
	if r.ctx.Err() != nil {
		// The engine hands out buffered results before it looks at ctx:
		// cancel now rather than after the whole buffer.
		r.settle(r.ctx, nil)
		return client.Result{}, false
	}
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

// abandon cancels the call because its consumer stopped: with err (a
// progress value that did not decode), or with nil when the loop was left.
func (r *Results[P, Out]) abandon(err error) {
	dead, cancel := context.WithCancel(context.Background())
	cancel()
	r.settle(dead, err)
	if err == nil && errors.Is(r.err, context.Canceled) {
		r.err = &callError{proc: r.proc, what: "canceled: progress loop left early", err: r.err}
	}
}

// settle ends the call with ctx ended, so that nothing of it is left
// pending: buffered progress is discarded, then the engine sends CANCEL and
// returns at once (skip, killnowait) or once the callee answered (kill, up to
// the kill wait), with an error matching ctx's error and
// client.ErrCanceled. A call that had already ended keeps its own end. err,
// when not nil, is the call's error whatever happened.
func (r *Results[P, Out]) settle(ctx context.Context, err error) {
	for {
		res, nerr := r.call.Next(ctx)
		switch {
		case nerr == nil && res.Progress:
			continue
		case err != nil:
			r.end(err)
		case nerr != nil:
			r.end(nerr)
		default: // the final result came first
			r.final = res.Payload
			r.end(nil)
		}
		return
	}
}

// end records the call's end and releases its deadline.
func (r *Results[P, Out]) end(err error) {
	r.err, r.finished = r.cfg.timedOut(r.ctx, r.proc, err), true
	r.cancel()
}
