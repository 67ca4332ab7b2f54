package caller_test

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/callee"
	"github.com/wampkit/wampkit/caller"
	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest"
)

type scored struct {
	Name  string  `json:"name"`
	Score float64 `json:"score"`
	Blob  string  `json:"blob,omitempty"`
}

// TestTypedPayloadRefusedBeforeSending: a typed call's arguments and a typed
// handler's answer, which the encoder measures while building them (the
// client does not walk them again), are still refused before anything is
// sent when JSON cannot carry them (NaN, with the field named) or they are
// larger than the router takes; the session goes on.
func TestTypedPayloadRefusedBeforeSending(t *testing.T) {
	r := wamptest.NewRouter(t)
	ctx := wamptest.Context(t)
	srv := r.Connect(t, wamptest.Transport{Kind: "ws", Serialization: client.MsgPack})
	_, err := callee.Register(ctx, srv, "test.echo", func(_ context.Context, in scored) (scored, error) { return in, nil })
	require.NoError(t, err)

	for name, c := range map[string]*client.Client{
		"websocket": r.Connect(t, wamptest.Transport{Kind: "ws", Serialization: client.JSON}),
		"local":     r.Local(t),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := caller.Call[scored](ctx, c, "test.echo", scored{Name: "a", Score: math.Inf(1)})
			require.ErrorIs(t, err, client.ErrInvalidPayload)
			assert.Contains(t, err.Error(), "args[0].score")

			// Larger than any network session could take: refused at the
			// call, the callee (on websocket) never sees it.
			_, err = caller.Call[scored](ctx, c, "test.echo", scored{Name: "big", Blob: strings.Repeat("x", 17<<20)})
			require.ErrorIs(t, err, client.ErrMessageTooLarge)

			out, err := caller.Call[scored](ctx, c, "test.echo", scored{Name: "after", Score: 1.5})
			require.NoError(t, err)
			assert.Equal(t, scored{Name: "after", Score: 1.5}, out)
		})
	}

	// Under MsgPack the same values go through.
	mp := r.Connect(t, wamptest.Transport{Kind: "ws", Serialization: client.MsgPack})
	out, err := caller.Call[scored](ctx, mp, "test.echo", scored{Name: "a", Score: math.Inf(1)})
	require.NoError(t, err)
	assert.True(t, math.IsInf(out.Score, 1), "%v", out.Score)

	// A JSON callee's NaN answer fails the call with the reason; its
	// session goes on.
	jsonSrv := r.Connect(t, wamptest.Transport{Kind: "ws", Serialization: client.JSON})
	_, err = callee.Register(ctx, jsonSrv, "test.nan.json", func(_ context.Context, in scored) (scored, error) {
		if in.Name == "nan" {
			return scored{Score: math.NaN()}, nil
		}
		return in, nil
	})
	require.NoError(t, err)
	_, err = caller.Call[scored](ctx, mp, "test.nan.json", scored{Name: "nan"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "score")
	out, err = caller.Call[scored](ctx, mp, "test.nan.json", scored{Name: "fine", Score: 2})
	require.NoError(t, err)
	assert.Equal(t, scored{Name: "fine", Score: 2}, out)

	// So does an answer larger than the router takes.
	_, err = callee.Register(ctx, jsonSrv, "test.big", func(_ context.Context, in scored) (scored, error) {
		return scored{Name: in.Name, Blob: strings.Repeat("x", 17<<20)}, nil
	})
	require.NoError(t, err)
	_, err = caller.Call[scored](ctx, mp, "test.big", scored{Name: "big"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "too large")
	out, err = caller.Call[scored](ctx, mp, "test.nan.json", scored{Name: "after", Score: 3})
	require.NoError(t, err)
	assert.Equal(t, scored{Name: "after", Score: 3}, out)
}

// TestTypedPayloadChangedByInterceptorIsWalked: an interceptor that changes
// a typed payload in place (here to a value JSON cannot carry) gets it
// checked again: the encoder's measure is not used past an interceptor.
func TestTypedPayloadChangedByInterceptorIsWalked(t *testing.T) {
	r := wamptest.NewRouter(t)
	ctx := wamptest.Context(t)
	nanAnswer := client.InterceptorFuncs{Invocation: func(next client.InvocationHandler) client.InvocationHandler {
		return func(ctx context.Context, inv *client.Invocation) (client.Payload, error) {
			p, err := next(ctx, inv)
			if err == nil {
				p.Args[0].(map[string]any)["score"] = math.NaN()
			}
			return p, err
		}
	}}
	echo := func(_ context.Context, in scored) (scored, error) { return in, nil }
	jsonWS := wamptest.Transport{Kind: "ws", Serialization: client.JSON}
	srv := r.Connect(t, jsonWS)
	_, err := callee.Register(ctx, srv, "test.reg", echo, callee.WithInterceptors(nanAnswer))
	require.NoError(t, err)
	srv2 := r.Connect(t, jsonWS, client.WithInterceptors(nanAnswer))
	_, err = callee.Register(ctx, srv2, "test.cli", echo)
	require.NoError(t, err)
	mp := r.Connect(t, wamptest.Transport{Kind: "ws", Serialization: client.MsgPack})
	for _, proc := range []string{"test.reg", "test.cli"} {
		_, err = caller.Call[scored](ctx, mp, proc, scored{Name: "a"})
		require.Error(t, err, proc)
		assert.Contains(t, err.Error(), "score", proc)
	}

	infArgs := client.InterceptorFuncs{Call: func(next client.CallFunc) client.CallFunc {
		return func(ctx context.Context, req *client.CallRequest) (client.CallStream, error) {
			req.Payload.Args[0].(map[string]any)["score"] = math.Inf(1)
			return next(ctx, req)
		}
	}}
	js := r.Connect(t, jsonWS)
	_, err = caller.Call[scored](ctx, js, "test.reg", scored{Name: "a"}, caller.WithInterceptors(infArgs))
	require.ErrorIs(t, err, client.ErrInvalidPayload)
	assert.Contains(t, err.Error(), "args[0].score")
}
