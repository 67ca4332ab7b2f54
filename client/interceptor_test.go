package client_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest"
)

// trail records what interceptors saw, in order, from any goroutine.
type trail struct {
	mu   sync.Mutex
	seen []string
}

func (t *trail) add(format string, v ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.seen = append(t.seen, fmt.Sprintf(format, v...))
}

func (t *trail) get() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.seen...)
}

// recorder is an interceptor that notes every step of calls and
// invocations under its name.
func recorder(name string, tr *trail) client.Interceptor {
	return client.InterceptorFuncs{
		Call: func(next client.CallFunc) client.CallFunc {
			return func(ctx context.Context, req *client.CallRequest) (client.CallStream, error) {
				tr.add("%s call %s", name, req.Procedure)
				s, err := next(ctx, req)
				if err != nil {
					tr.add("%s start error %v", name, err)
					return nil, err
				}
				return &recStream{CallStream: s, name: name, tr: tr}, nil
			}
		},
		Invocation: func(next client.InvocationHandler) client.InvocationHandler {
			return func(ctx context.Context, inv *client.Invocation) (client.Payload, error) {
				tr.add("%s invocation %s", name, inv.Procedure())
				inv.OnProgress(func(p client.Payload, err error) { tr.add("%s sent progress %v", name, p.Args) })
				inv.OnInput(func(p client.Payload, ok bool, err error) { tr.add("%s got input %v %v", name, p.Args, ok) })
				p, err := next(ctx, inv)
				tr.add("%s answered %v %v", name, p.Args, err)
				return p, err
			}
		},
	}
}

type recStream struct {
	client.CallStream
	name string
	tr   *trail
}

func (s *recStream) Next(ctx context.Context) (client.Result, error) {
	r, err := s.CallStream.Next(ctx)
	s.tr.add("%s result %v progress=%v err=%v", s.name, r.Args, r.Progress, err != nil)
	return r, err
}

func (s *recStream) Send(ctx context.Context, p client.Payload) error {
	s.tr.add("%s send %v", s.name, p.Args)
	return s.CallStream.Send(ctx, p)
}

func (s *recStream) SendFinal(ctx context.Context, p client.Payload) error {
	s.tr.add("%s send final %v", s.name, p.Args)
	return s.CallStream.SendFinal(ctx, p)
}

func TestInterceptorsOrderAndView(t *testing.T) {
	r := wamptest.NewRouter(t)
	var tr trail
	callee := r.Local(t, client.WithInterceptors(recorder("A", &tr), recorder("B", &tr)))
	caller := r.Local(t, client.WithInterceptors(recorder("A", &tr)), client.WithInterceptors(recorder("B", &tr)))
	ctx := ctxT(t)
	h := func(_ context.Context, inv *client.Invocation) (client.Payload, error) {
		_ = inv.Progress(client.Payload{Args: []any{"p1"}})
		return client.Payload{Args: []any{"done"}}, nil
	}
	h, err := client.ChainInvocation(h, recorder("X", &tr), recorder("Y", &tr)) // as callee.WithInterceptors does
	require.NoError(t, err)
	_, err = callee.Register(ctx, "test.icpt.order", h, client.RegisterOptions{})
	require.NoError(t, err)

	var progress []any
	res, err := caller.Call(ctx, client.CallRequest{Procedure: "test.icpt.order",
		Interceptors: []client.Interceptor{recorder("C", &tr), recorder("D", &tr)}},
		func(r client.Result) error { progress = append(progress, r.Args...); return nil })
	require.NoError(t, err)
	assert.Equal(t, []any{"done"}, res.Args)
	assert.Equal(t, []any{"p1"}, progress)

	var calls, invs []string
	for _, s := range tr.get() {
		if strings.Contains(s, "invocation") || strings.Contains(s, "sent progress") || strings.Contains(s, "answered") {
			invs = append(invs, s)
		} else {
			calls = append(calls, s)
		}
	}
	assert.Equal(t, []string{
		"A call test.icpt.order", "B call test.icpt.order", "C call test.icpt.order", "D call test.icpt.order",
		// each Next goes in from A and its answer comes out through D first
		"D result [p1] progress=true err=false", "C result [p1] progress=true err=false",
		"B result [p1] progress=true err=false", "A result [p1] progress=true err=false",
		"D result [done] progress=false err=false", "C result [done] progress=false err=false",
		"B result [done] progress=false err=false", "A result [done] progress=false err=false",
	}, calls)
	assert.Equal(t, []string{
		"A invocation test.icpt.order", "B invocation test.icpt.order",
		"X invocation test.icpt.order", "Y invocation test.icpt.order",
		"A sent progress [p1]", "B sent progress [p1]", "X sent progress [p1]", "Y sent progress [p1]",
		"Y answered [done] <nil>", "X answered [done] <nil>", "B answered [done] <nil>", "A answered [done] <nil>",
	}, invs)
}

func TestInterceptorSeesStreamedInputAndErrors(t *testing.T) {
	r := wamptest.NewRouter(t)
	var tr trail
	callee := r.Local(t, client.WithInterceptors(recorder("S", &tr)))
	caller := r.Local(t, client.WithInterceptors(recorder("C", &tr)))
	ctx := ctxT(t)
	_, err := callee.Register(ctx, "test.icpt.stream", func(ctx context.Context, inv *client.Invocation) (client.Payload, error) {
		n := len(inv.Payload().Args)
		for {
			p, more, err := inv.NextInput(ctx)
			if err != nil {
				return client.Payload{}, err
			}
			n += len(p.Args)
			if !more {
				break
			}
		}
		return client.Payload{}, client.NewError("com.example.too_many", fmt.Sprint(n))
	}, client.RegisterOptions{})
	require.NoError(t, err)
	call, err := caller.StartCall(ctx, client.CallRequest{Procedure: "test.icpt.stream", Stream: true,
		Payload: client.Payload{Args: []any{1}}})
	require.NoError(t, err)
	require.NoError(t, call.Send(ctx, client.Payload{Args: []any{2}}))
	require.NoError(t, call.SendFinal(ctx, client.Payload{Args: []any{3}}))
	_, err = call.Next(ctx)
	var werr *client.Error
	require.ErrorAs(t, err, &werr, "the remote error reaches the caller unchanged through the interceptor")
	assert.Equal(t, "com.example.too_many", werr.URI)

	assert.Equal(t, []string{
		"C call test.icpt.stream", "S invocation test.icpt.stream", "C send [2]", "C send final [3]",
		"S got input [2] true", "S got input [3] true", "S got input [] false",
		"S answered [] com.example.too_many: 3", "C result [] progress=false err=true",
	}, normalize(tr.get()))
}

// normalize orders the callee's and caller's steps, which run
// concurrently, by side, keeping each side's order.
func normalize(seen []string) []string {
	var out, late []string
	for _, s := range seen {
		switch {
		case strings.HasPrefix(s, "C result"):
			late = append(late, s)
		case strings.HasPrefix(s, "C send"):
			out = append(out, s)
		default:
			out = append(out, s)
		}
	}
	// Put the caller's sends right after the invocation started.
	var ordered []string
	for _, s := range out {
		if strings.HasPrefix(s, "C send") {
			continue
		}
		ordered = append(ordered, s)
		if strings.HasPrefix(s, "S invocation") {
			for _, x := range out {
				if strings.HasPrefix(x, "C send") {
					ordered = append(ordered, x)
				}
			}
		}
	}
	return append(ordered, late...)
}

func TestInterceptorPanics(t *testing.T) {
	r := wamptest.NewRouter(t)
	boom := client.InterceptorFuncs{
		Call: func(next client.CallFunc) client.CallFunc {
			return func(ctx context.Context, req *client.CallRequest) (client.CallStream, error) {
				if req.Procedure == "test.icpt.panic.before" {
					panic("before")
				}
				s, err := next(ctx, req)
				if err == nil && req.Procedure == "test.icpt.panic.after" {
					panic("after")
				}
				return s, err
			}
		},
		Invocation: func(next client.InvocationHandler) client.InvocationHandler {
			return func(ctx context.Context, inv *client.Invocation) (client.Payload, error) {
				panic("in the callee")
			}
		},
	}
	callee := r.Local(t, client.WithInterceptors(boom))
	caller := r.Local(t)
	ctx := ctxT(t)
	ran := make(chan struct{}, 4)
	for _, proc := range []string{"test.icpt.panic.before", "test.icpt.panic.after", "test.icpt.panic.callee"} {
		_, err := callee.Register(ctx, proc, func(context.Context, *client.Invocation) (client.Payload, error) {
			ran <- struct{}{}
			return client.Payload{}, nil
		}, client.RegisterOptions{})
		require.NoError(t, err)
	}

	_, err := caller.Call(ctx, client.CallRequest{Procedure: "test.icpt.panic.callee"}, nil)
	assert.ErrorIs(t, err, client.ErrRuntimeError, "a panicking invocation interceptor answers runtime_error")
	assert.Contains(t, err.Error(), "in the callee")

	for _, proc := range []string{"test.icpt.panic.before", "test.icpt.panic.after"} {
		_, err := caller.Call(ctx, client.CallRequest{Procedure: proc, Interceptors: []client.Interceptor{boom}}, nil)
		assert.ErrorIs(t, err, client.ErrInterceptorPanic, proc)
	}
	// The client lives on.
	_, err = caller.Call(ctx, client.CallRequest{Procedure: "test.icpt.panic.callee"}, nil)
	assert.ErrorIs(t, err, client.ErrRuntimeError)
	assert.Equal(t, client.Connected, caller.State())
}

// panicOnNext is a call stream whose Next panics.
type panicOnNext struct{ client.CallStream }

func (panicOnNext) Next(context.Context) (client.Result, error) { panic("in Next") }

// An interceptor's stream that panics in Next fails the call with
// ErrInterceptorPanic, and the call it wraps is canceled: the callee is
// interrupted rather than left running a call nobody will read.
func TestInterceptorStreamPanicCancelsTheCall(t *testing.T) {
	r := wamptest.NewRouter(t)
	callee, caller := r.Local(t), r.Local(t)
	ctx := ctxT(t)
	started, interrupted := make(chan struct{}), make(chan struct{})
	_, err := callee.Register(ctx, "test.icpt.stream.panic", func(hctx context.Context, _ *client.Invocation) (client.Payload, error) {
		close(started)
		<-hctx.Done()
		close(interrupted)
		return client.Payload{}, hctx.Err()
	}, client.RegisterOptions{})
	require.NoError(t, err)
	wrap := client.InterceptorFuncs{Call: func(next client.CallFunc) client.CallFunc {
		return func(ctx context.Context, req *client.CallRequest) (client.CallStream, error) {
			s, err := next(ctx, req)
			if err != nil {
				return nil, err
			}
			<-started // the callee runs the call
			return panicOnNext{s}, nil
		}
	}}
	_, err = caller.Call(ctx, client.CallRequest{Procedure: "test.icpt.stream.panic", Interceptors: []client.Interceptor{wrap}}, nil)
	require.ErrorIs(t, err, client.ErrInterceptorPanic)
	select {
	case <-interrupted:
	case <-time.After(5 * time.Second):
		t.Fatal("the call whose interceptor panicked was not canceled: the callee still runs it")
	}
}

func TestInterceptorChangesRequest(t *testing.T) {
	r := wamptest.NewRouter(t)
	opts := map[string]any{"disclose_me": false}
	addArg := client.InterceptorFuncs{Call: func(next client.CallFunc) client.CallFunc {
		return func(ctx context.Context, req *client.CallRequest) (client.CallStream, error) {
			req.Args = append(req.Args, "added")
			req.Extra["disclose_me"] = true // the chain's own copy
			return next(ctx, req)
		}
	}}
	callee, caller := r.Local(t), r.Local(t, client.WithInterceptors(addArg))
	ctx := ctxT(t)
	_, err := callee.Register(ctx, "test.icpt.change", func(_ context.Context, inv *client.Invocation) (client.Payload, error) {
		return client.Payload{Args: append(inv.Payload().Args, inv.Caller() != 0)}, nil
	}, client.RegisterOptions{})
	require.NoError(t, err)
	res, err := caller.Call(ctx, client.CallRequest{Procedure: "test.icpt.change", Extra: opts}, nil)
	require.NoError(t, err)
	assert.Equal(t, []any{"added", true}, res.Args)
	assert.Equal(t, map[string]any{"disclose_me": false}, opts, "the caller's map is never modified")
}

func TestWithInterceptorsRefusesNil(t *testing.T) {
	_, err := wamptest.ConnectLocal(context.Background(), wamptest.NewRouter(t), client.WithInterceptors(nil))
	assert.True(t, errors.Is(err, client.ErrInvalidOption), "got %v", err)
}
