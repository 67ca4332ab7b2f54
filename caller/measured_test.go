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

			if name == "websocket" { // the in-process link has no size limit
				_, err = caller.Call[scored](ctx, c, "test.echo", scored{Name: "big", Blob: strings.Repeat("x", 17<<20)})
				require.ErrorIs(t, err, client.ErrMessageTooLarge)
			}

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
}
