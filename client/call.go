package client

import (
	"context"
	"fmt"
	"time"

	"github.com/gammazero/nexus/v3/wamp"

	"github.com/wampkit/wampkit/internal/outgoing"
)

// CancelMode is how a call is canceled when its context ends.
type CancelMode string

// The WAMP cancel modes.
const (
	// CancelKillNoWait (the default): the router answers the caller at once
	// and interrupts the callee; the callee's answer is discarded.
	CancelKillNoWait CancelMode = "killnowait"
	// CancelKill: the callee is interrupted and the caller waits for its
	// answer (bounded by CallRequest.KillWait).
	CancelKill CancelMode = "kill"
	// CancelSkip: the router answers the caller at once; the callee is not
	// told and its answer is discarded.
	CancelSkip CancelMode = "skip"
)

// CallRequest is one raw CALL: the procedure, the payload and the call's
// options (see "Request options" in the package documentation). The typed
// caller package builds these.
type CallRequest struct {
	Procedure string
	Payload
	// Extra holds CALL options of router extensions. The keys timeout (in
	// milliseconds, the spec's unit), disclose_me, receive_progress and
	// progress are read into Timeout, DiscloseMe, ReceiveProgress and
	// Stream.
	Extra map[string]any
	// Timeout asks the router to cancel the call after d (CALL.Options.timeout,
	// rounded up to the unit the router reads: milliseconds, or seconds on
	// Crossbar.io; see [WithCallTimeoutUnit]). The ctx deadline applies too.
	Timeout    time.Duration
	CancelMode CancelMode
	DiscloseMe bool
	// ReceiveProgress asks for progressive results (read them with Next).
	ReceiveProgress bool
	// Stream starts a progressive invocation: Payload is the first chunk;
	// send the others with Send and the last with SendFinal.
	Stream bool
	// Buffer bounds progressive results received and not yet read (default
	// 65536); past it the call fails with ErrSlowConsumer and is canceled.
	Buffer int
	// KillWait bounds the wait for the callee's answer after a kill-mode
	// cancel, and for the router's answer after Cancel in any mode (default
	// 5s).
	KillWait time.Duration
	// Interceptors wrap this call only, inside the client's own (see
	// [Interceptor] for the order); caller.WithInterceptors sets them.
	Interceptors []Interceptor

	// readOnly: the final result goes only to a typed decoder that reads
	// it and copies what it keeps (kithook.ReadOnlyResult), so a frozen
	// one may come over the in-process link without a copy.
	readOnly bool
	// typed: what wampkit's typed encoder knows of the Payload's Args and
	// Kwargs it built for this call. typed.Fresh: they are frozen: no
	// application code has seen them, and nothing modifies them once sent;
	// the in-process link may then hand them over without a copy
	// (internal/handover), and what typed measured of them is not walked
	// again (checkOut). Set only through kithook.FreezeCall, by the typed
	// caller.
	typed outgoing.Built
}

// Result is a RESULT: progressive (Progress) or final.
type Result struct {
	Payload
	Details  map[string]any
	Progress bool

	size int64 // what a queued progressive result holds of WithProgressiveResultBytes
}

// Call makes a call and waits for its final result. Progressive results,
// when requested, are passed to onProgress in order on the calling
// goroutine; an error from onProgress cancels the call.
func (c *Client) Call(ctx context.Context, req CallRequest, onProgress func(Result) error) (Result, error) {
	if err := c.usable(ctx, "call", req.Procedure); err != nil {
		return Result{}, err
	}
	if onProgress != nil {
		req.ReceiveProgress = true
	}
	call, err := c.StartCall(ctx, req)
	if err != nil {
		return Result{}, err
	}
	for {
		r, err := call.Next(ctx)
		if err != nil || !r.Progress {
			return r, err
		}
		if onProgress == nil {
			continue
		}
		if err := onProgress(r); err != nil {
			call.Cancel()
			return Result{}, &OpError{Op: "call", URI: req.Procedure, Err: fmt.Errorf("progress handler: %w", err), Sent: true}
		}
	}
}

// PendingCall is a call in flight: read results with Next, stream input
// with Send/SendFinal, abandon it with Cancel.
type PendingCall struct {
	call  *callState // &state
	proc  string
	state callState  // the engine's call, in the same allocation
	outer *outerCall // the interceptors' call; nil without interceptors
}

// StartCall sends a CALL and returns without waiting for the result. With
// interceptors (see [Interceptor]) the call starts through them, and the
// PendingCall's methods go through them too.
func (c *Client) StartCall(ctx context.Context, req CallRequest) (*PendingCall, error) {
	if c.callChain != nil || len(req.Interceptors) > 0 {
		return c.startIntercepted(ctx, req)
	}
	return c.startCall(ctx, req)
}

// startCall sends a CALL, past any interceptor.
func (c *Client) startCall(ctx context.Context, req CallRequest) (*PendingCall, error) {
	if err := c.usable(ctx, "call", req.Procedure); err != nil {
		return nil, err
	}
	if err := ValidateURI(req.Procedure, "", c.cfg.strictURIs); err != nil {
		return nil, &OpError{Op: "call", URI: req.Procedure, Err: err}
	}
	if err := req.resolve(); err != nil {
		return nil, &OpError{Op: "call", URI: req.Procedure, Err: err}
	}
	args, kwargs, opts, err := req.Payload.onWire(req.dict())
	if err != nil {
		return nil, &OpError{Op: "call", URI: req.Procedure, Err: err}
	}
	if err := ctx.Err(); err != nil { // nothing is sent for an ended context
		return nil, &OpError{Op: "call", URI: req.Procedure, Err: err}
	}
	p := &PendingCall{proc: req.Procedure}
	p.call = &p.state
	_, _, err = withSession(ctx, c, "call", req.Procedure, false, func(sess *session) (struct{}, error) {
		if req.Timeout > 0 { // in this router's unit; nothing went to an earlier session: opts is free
			v, err := c.cfg.callTimeout(sess.Welcome(), sess.Features(), req.Timeout)
			if err != nil {
				return struct{}{}, err
			}
			opts[wamp.OptTimeout] = v
		}
		if err := callNeeds(sess.Features(), &req); err != nil {
			return struct{}{}, err
		}
		p.state = callState{} // fresh for each session tried
		return struct{}{}, sess.startCall(ctx, &req, args, kwargs, opts, p.call)
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// Next returns the next progressive result, or the final one (Progress
// false), or the call's error. When ctx ends the call is canceled with its
// cancel mode and the error matches both ctx's error and ErrCanceled. Next
// is for one goroutine at a time.
func (p *PendingCall) Next(ctx context.Context) (Result, error) {
	if p.outer != nil {
		return p.outerNext(ctx)
	}
	r, err := p.call.Next(ctx)
	if err != nil {
		return Result{}, p.wrap(err)
	}
	payload, err := payloadFrom("RESULT", r.Args, r.Kwargs, r.Details)
	if err != nil { // refused, not handed on as something else
		if r.Progress {
			p.call.Cancel()
		}
		return Result{}, &OpError{Op: "call", URI: p.proc, Err: err, Sent: true}
	}
	return Result{Payload: payload, Details: r.Details, Progress: r.Progress}, nil
}

// Send sends one more input chunk of a streamed call.
func (p *PendingCall) Send(ctx context.Context, chunk Payload) error {
	if p.outer != nil {
		return p.outerSend(ctx, chunk, false)
	}
	return p.send(ctx, chunk, true)
}

// SendFinal sends the last input chunk of a streamed call.
func (p *PendingCall) SendFinal(ctx context.Context, chunk Payload) error {
	if p.outer != nil {
		return p.outerSend(ctx, chunk, true)
	}
	return p.send(ctx, chunk, false)
}

func (p *PendingCall) send(ctx context.Context, chunk Payload, more bool) error {
	args, kwargs, opts, err := chunk.onWire(nil)
	if err != nil {
		return &OpError{Op: "call", URI: p.proc, Err: err}
	}
	return p.wrap(p.call.SendChunk(ctx, args, kwargs, opts, more))
}

// Cancel sends CANCEL with the call's mode and returns without waiting.
// Next then returns the router's answer (in kill mode, the callee's); if
// none arrives within CallRequest.KillWait, Next returns an error matching
// ErrCanceled and context.Canceled, so a callee that ignores the interrupt
// cannot keep the call pending.
func (p *PendingCall) Cancel() {
	if p.outer != nil {
		p.outerCancel()
		return
	}
	p.call.Cancel()
}

func (p *PendingCall) wrap(err error) error {
	return opError("call", p.proc, err, true)
}
