package client

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync/atomic"

	"github.com/wampkit/wampkit/internal/outgoing"
	"github.com/wampkit/wampkit/internal/wire"
)

// Interceptor observes and extends every call a client makes and every
// invocation it answers: logging, metrics, tracing (see package
// client/wampotel), authorization, retries. It wraps functions, in the
// manner of connect-go's interceptors:
//
//   - WrapCall wraps the start of an outgoing call. Every form of call goes
//     through it: [Client.Call], [Client.StartCall] and so the caller
//     package's Call, Progressive, Open and Stream. The wrapped function
//     returns the call in flight as a [CallStream]; to see its progressive
//     results, final result or error, its streamed input chunks and its
//     cancellation, return a CallStream that wraps the one next returned.
//   - WrapInvocation wraps the handler of an incoming invocation, of every
//     handler form (the callee package's Register, RegisterProgressive,
//     RegisterStream... all become an [InvocationHandler]). The handler's
//     progressive results and streamed input chunks are seen through
//     [Invocation.OnProgress] and [Invocation.OnInput].
//
// Order: interceptors given to [WithInterceptors] are outermost, then the
// per-registration ones (callee.WithInterceptors) or per-call ones
// ([CallRequest.Interceptors], caller.WithInterceptors); within each list
// the first given is the outermost layer. So with client interceptors A, B
// and per-call C, a call runs A(B(C(send))).
//
// WrapCall and WrapInvocation are called once per registration (and once
// per client for the client's interceptors on calls) or once per call
// when a call has its own interceptors; the functions they return run for
// every call or invocation, concurrently.
//
// A panic in an interceptor is handled like a panic in a handler: on an
// invocation the caller receives wamp.error.runtime_error; on a call the
// calling function returns an error matching [ErrInterceptorPanic] (and a
// call already sent is canceled). Without any interceptor a call or an
// invocation costs nothing more (BENCHMARKS.md).
//
// [InterceptorFuncs] makes an Interceptor of one or two functions.
type Interceptor interface {
	WrapCall(next CallFunc) CallFunc
	WrapInvocation(next InvocationHandler) InvocationHandler
}

// CallFunc starts an outgoing call: it sends the CALL and returns the call
// in flight. req is the interceptor chain's own copy of the request:
// interceptors may change it, its Extra map included, before passing it
// on (client/wampotel adds trace context to Extra). An error means the
// call did not start, or failed at once.
type CallFunc func(ctx context.Context, req *CallRequest) (CallStream, error)

// CallStream is an outgoing call in flight, as interceptors see and wrap
// it; [*PendingCall] implements it and hands each of its methods to the
// outermost interceptor's stream. The call ends, as observed by an
// interceptor, when Next returns an error or a final result (Progress
// false), or at Cancel (the caller may read no further): interceptors that
// measure calls end their measure at the first of these.
//
// A wrapper must pass every method on to the stream it wraps (or answer
// in its place). Next is called by one goroutine at a time, Send and
// SendFinal by one goroutine (possibly another), Cancel by any.
type CallStream interface {
	Next(ctx context.Context) (Result, error)
	Send(ctx context.Context, chunk Payload) error
	SendFinal(ctx context.Context, chunk Payload) error
	Cancel()
}

// InterceptorFuncs is an [Interceptor] made of functions; a nil field
// passes its side through unchanged.
type InterceptorFuncs struct {
	Call       func(next CallFunc) CallFunc
	Invocation func(next InvocationHandler) InvocationHandler
}

// WrapCall implements Interceptor.
func (f InterceptorFuncs) WrapCall(next CallFunc) CallFunc {
	if f.Call == nil {
		return next
	}
	return f.Call(next)
}

// WrapInvocation implements Interceptor.
func (f InterceptorFuncs) WrapInvocation(next InvocationHandler) InvocationHandler {
	if f.Invocation == nil {
		return next
	}
	return f.Invocation(next)
}

// ErrInterceptorPanic: an interceptor panicked while the client called it
// on the call side (the error names the procedure and the panic value).
var ErrInterceptorPanic = errors.New("client: interceptor panicked")

// WithInterceptors installs interceptors for every call the client makes
// and every invocation it answers, outermost first (see [Interceptor] for
// the order with per-call and per-registration interceptors). More than one
// WithInterceptors adds to the list.
func WithInterceptors(interceptors ...Interceptor) Option {
	return optionFunc(func(c *config) error {
		for _, i := range interceptors {
			if i == nil {
				return fmt.Errorf("%w: nil interceptor", ErrInvalidOption)
			}
		}
		c.interceptors = append(c.interceptors[:len(c.interceptors):len(c.interceptors)], interceptors...)
		return nil
	})
}

// ChainInvocation wraps h in interceptors, the first outermost, for a
// per-registration list of interceptors (the callee package uses it; the
// client's own interceptors are applied by [Client.Register] around the
// result). A panic in a WrapInvocation is returned as an error matching
// [ErrInterceptorPanic].
func ChainInvocation(h InvocationHandler, interceptors ...Interceptor) (_ InvocationHandler, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: WrapInvocation: %v", ErrInterceptorPanic, r)
		}
	}()
	if len(interceptors) > 0 {
		// The interceptors see the handler's answer: it is no longer
		// frozen (Invocation.frozenAnswer), they may keep or modify it.
		inner := h
		h = func(ctx context.Context, inv *Invocation) (Payload, error) {
			p, err := inner(ctx, inv)
			inv.freezeAnswer(Payload{}, outgoing.Built{})
			if err == nil { // values, for the interceptors to read
				if p.Args, err = wire.Unraw(p.Args); err != nil {
					return Payload{}, fmt.Errorf("%w: %w", ErrInvalidPayload, err)
				}
			}
			return p, err
		}
	}
	for i := len(interceptors) - 1; i >= 0; i-- {
		if interceptors[i] == nil {
			return nil, fmt.Errorf("%w: nil interceptor", ErrInvalidOption)
		}
		h = interceptors[i].WrapInvocation(h)
		if h == nil {
			return nil, fmt.Errorf("%w: interceptor %T returned a nil handler", ErrInvalidOption, interceptors[i])
		}
	}
	return h, nil
}

// chainCall wraps start in the client's interceptors and then the call's
// own, outermost first.
func chainCall(start CallFunc, client, call []Interceptor) (f CallFunc, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: WrapCall: %v", ErrInterceptorPanic, r)
		}
	}()
	f = start
	for _, list := range [2][]Interceptor{call, client} {
		for i := len(list) - 1; i >= 0; i-- {
			if list[i] == nil {
				return nil, fmt.Errorf("%w: nil interceptor", ErrInvalidOption)
			}
			if f = list[i].WrapCall(f); f == nil {
				return nil, fmt.Errorf("%w: interceptor %T returned a nil CallFunc", ErrInvalidOption, list[i])
			}
		}
	}
	return f, nil
}

// startIntercepted starts req through the interceptors. The raw call the
// chain started is canceled if an interceptor panics or drops it.
func (c *Client) startIntercepted(ctx context.Context, req CallRequest) (_ *PendingCall, err error) {
	outer := &outerCall{}
	var start CallFunc = func(ctx context.Context, req *CallRequest) (CallStream, error) {
		p, err := c.startCall(ctx, *req)
		if err != nil {
			return nil, err
		}
		outer.raw.Store(p) // atomic: an interceptor may start the call on a goroutine of its own
		return p, nil
	}
	f := c.callChain
	if len(req.Interceptors) > 0 || f == nil {
		if f, err = chainCall(start, c.cfg.interceptors, req.Interceptors); err != nil {
			return nil, fmt.Errorf("client: call %s: %w", req.Procedure, err)
		}
	} else {
		ctx = context.WithValue(ctx, startKey{}, &start)
	}
	req.Extra = maps.Clone(req.Extra) // the chain's own copy
	// Application code sees this request: its payload is not frozen any
	// more, and its result goes to the interceptors, which may modify it.
	if req.typed.Direct { // values, for the interceptors to read
		if req.Payload.Args, err = wire.Unraw(req.Payload.Args); err != nil {
			return nil, fmt.Errorf("client: call %s: %w: %w", req.Procedure, ErrInvalidPayload, err)
		}
	}
	req.typed, req.readOnly = outgoing.Built{}, false
	var s CallStream
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("client: call %s: %w: %v", req.Procedure, ErrInterceptorPanic, r)
		}
		if err != nil {
			outer.cancelRaw()
		}
	}()
	s, err = f(ctx, &req)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return nil, fmt.Errorf("client: call %s: %w: an interceptor returned no call and no error", req.Procedure, ErrInvalidOption)
	}
	outer.CallStream = s
	return &PendingCall{proc: req.Procedure, outer: outer}, nil
}

// startKey carries the start function of one call to the client's
// prebuilt chain (built once at Connect, so a call without interceptors of
// its own does not wrap anything).
type startKey struct{}

// prebuiltStart is the innermost function of the client's prebuilt chain:
// it starts the call with the function startIntercepted put in ctx.
func prebuiltStart(ctx context.Context, req *CallRequest) (CallStream, error) {
	start, _ := ctx.Value(startKey{}).(*CallFunc)
	if start == nil {
		return nil, fmt.Errorf("client: call %s: %w: an interceptor replaced the call's context with one not derived from it", req.Procedure, ErrInvalidOption)
	}
	return (*start)(ctx, req)
}

// buildCallChain prebuilds the client's interceptor chain for calls.
func (c *Client) buildCallChain() error {
	if len(c.cfg.interceptors) == 0 {
		return nil
	}
	f, err := chainCall(prebuiltStart, c.cfg.interceptors, nil)
	if err != nil {
		return fmt.Errorf("client: %w", err)
	}
	c.callChain = f
	return nil
}

// outerCall holds the outermost interceptor's stream (a pointer keeps
// PendingCall as small as it was before interceptors), and the raw call the
// chain started, if it did.
type outerCall struct {
	CallStream
	raw atomic.Pointer[PendingCall]
}

// cancelRaw cancels the raw call the chain started, if any: the call has
// failed before the interceptors could end it (an interceptor panicked, or
// dropped the call), and the router is not left running it.
func (o *outerCall) cancelRaw() {
	if raw := o.raw.Load(); raw != nil {
		raw.Cancel()
	}
}

// recovered runs one method of the interceptors' stream, turning a panic into
// an error; the call has then failed, and its raw call is canceled.
func (p *PendingCall) recovered(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("client: call %s: %w: %v", p.proc, ErrInterceptorPanic, r)
		p.outer.cancelRaw()
	}
}

func (p *PendingCall) outerNext(ctx context.Context) (res Result, err error) {
	defer p.recovered(&err)
	return p.outer.Next(ctx)
}

func (p *PendingCall) outerSend(ctx context.Context, chunk Payload, final bool) (err error) {
	defer p.recovered(&err)
	if final {
		return p.outer.SendFinal(ctx, chunk)
	}
	return p.outer.Send(ctx, chunk)
}

func (p *PendingCall) outerCancel() {
	var err error
	defer p.recovered(&err) // nothing to report it to
	p.outer.Cancel()
}

// invocationHooks are the observers of one invocation's progress and
// input.
type invocationHooks struct {
	progress []func(Payload, error)
	input    []func(Payload, bool, error) // NextInput's results
}

// OnProgress adds f, called after each [Invocation.Progress] with the
// progressive result and Progress's error, on the goroutine that called
// Progress. For interceptors (see [Interceptor]); call it before the
// handler runs, not concurrently with Progress.
func (i *Invocation) OnProgress(f func(p Payload, err error)) {
	if i.hooks == nil {
		i.hooks = &invocationHooks{}
	}
	i.hooks.progress = append(i.hooks.progress, f)
}

// OnInput adds f, called after each [Invocation.NextInput] with its
// results, on the goroutine that called NextInput. For interceptors (see
// [Interceptor]); call it before the handler runs, not concurrently with
// NextInput.
func (i *Invocation) OnInput(f func(p Payload, ok bool, err error)) {
	if i.hooks == nil {
		i.hooks = &invocationHooks{}
	}
	i.hooks.input = append(i.hooks.input, f)
}
