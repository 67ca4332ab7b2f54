package client_test

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/client"
)

// valueCase is one payload value: what a caller sends, and the Go value
// every receiver gets (the canonical types of the client package doc).
type valueCase struct {
	name string
	send any
	want any
}

type point struct {
	X int    `json:"x"`
	Y string `json:"y,omitempty"`
}

var valueCases = []valueCase{
	{name: "int8", send: int8(5), want: int64(5)},
	{name: "int", send: 300, want: int64(300)},
	{name: "negative int64", send: int64(-7), want: int64(-7)},
	{name: "min int64", send: int64(math.MinInt64), want: int64(math.MinInt64)},
	{name: "uint16", send: uint16(65535), want: int64(65535)},
	{name: "uint64 in int64 range", send: uint64(1 << 40), want: int64(1 << 40)},
	{name: "uint64 above MaxInt64", send: uint64(1 << 63), want: uint64(1 << 63)},
	{name: "max uint64", send: uint64(math.MaxUint64), want: uint64(math.MaxUint64)},
	{name: "2^53+1 exact", send: int64(1<<53 + 1), want: int64(1<<53 + 1)},
	{name: "float64", send: 1.5, want: 1.5},
	{name: "float64 with no fraction", send: 3.0, want: 3.0},
	{name: "float32", send: float32(0.25), want: 0.25},
	{name: "string", send: "héllo \x00 ☃", want: "héllo \x00 ☃"},
	{name: "named string", send: client.CancelMode("kill"), want: "kill"},
	{name: "bool", send: true, want: true},
	{name: "nil", send: nil, want: nil},
	{name: "bytes", send: []byte{0, 1, 2, 255}, want: []byte{0, 1, 2, 255}},
	{name: "list", send: []any{1, "a", nil}, want: []any{int64(1), "a", nil}},
	{name: "typed slice", send: []int{1, 2}, want: []any{int64(1), int64(2)}},
	{name: "dict", send: map[string]any{"a": uint8(1), "n": nil}, want: map[string]any{"a": int64(1), "n": nil}},
	{name: "typed map", send: map[string]int32{"x": -1}, want: map[string]any{"x": int64(-1)}},
	{name: "nested", send: map[string]any{"l": []any{map[string]any{"d": []int16{3}}}},
		want: map[string]any{"l": []any{map[string]any{"d": []any{int64(3)}}}}},
	{name: "struct", send: point{X: 2}, want: map[string]any{"x": int64(2)}},
}

// TestSameValuesEveryTransport sends each value as an argument and a keyword
// argument over every transport and serializer, to a callee that echoes it:
// the callee and the caller get the same Go value everywhere, the in-process
// link included.
func TestSameValuesEveryTransport(t *testing.T) {
	r := startNexus(t)
	for _, tc := range transports() {
		t.Run(tc.name, func(t *testing.T) {
			callee, caller := tc.connect(t, r), tc.connect(t, r)
			ctx := ctxT(t)
			got := make(chan client.Payload, 1)
			var details map[string]any
			_, err := callee.Register(ctx, "test.values", func(_ context.Context, inv *client.Invocation) (client.Payload, error) {
				details = inv.Details()
				got <- inv.Payload()
				return inv.Payload(), nil
			}, client.RegisterOptions{})
			require.NoError(t, err)
			for _, vc := range valueCases {
				want := vc.want
				res, err := caller.Call(ctx, client.CallRequest{Procedure: "test.values", DiscloseMe: true,
					Payload: client.Payload{Args: []any{vc.send}, Kwargs: map[string]any{"v": vc.send}}}, nil)
				require.NoError(t, err, vc.name)
				in := <-got
				for who, p := range map[string]client.Payload{"callee": in, "caller": res.Payload} {
					require.Len(t, p.Args, 1, "%s %s", vc.name, who)
					assertSameValue(t, want, p.Args[0], "%s: %s's argument", vc.name, who)
					assertSameValue(t, want, p.Kwargs["v"], "%s: %s's keyword argument", vc.name, who)
				}
				// The router's own values follow the same rules.
				assert.IsType(t, int64(0), details["caller"], "disclosed caller ID")
			}
		})
	}
}

// assertSameValue compares types as well as values, all the way down.
func assertSameValue(t *testing.T, want, got any, msgAndArgs ...any) {
	t.Helper()
	if !reflect.DeepEqual(want, got) {
		t.Errorf("%s: got %#v (%T), want %#v (%T)", fmt.Sprintf(msgAndArgs[0].(string), msgAndArgs[1:]...), got, got, want, want)
	}
}

// TestInProcessValuesAreCopies: a callee in the same process gets its own
// copy of what the caller sent, as over the network: changing it changes
// nothing on the caller's side, and the reverse.
func TestInProcessValuesAreCopies(t *testing.T) {
	r := startNexus(t)
	callee, caller := transports()[0].connect(t, r), transports()[0].connect(t, r)
	ctx := ctxT(t)
	_, err := callee.Register(ctx, "test.mutate", func(_ context.Context, inv *client.Invocation) (client.Payload, error) {
		p := inv.Payload()
		p.Args[0].([]any)[0] = "callee's"
		p.Kwargs["k"].(map[string]any)["x"] = "callee's"
		p.Args[1].([]byte)[0] = 'C'
		return p, nil
	}, client.RegisterOptions{})
	require.NoError(t, err)
	list, dict, bin := []any{"mine"}, map[string]any{"x": "mine"}, []byte("mine")
	res, err := caller.Call(ctx, client.CallRequest{Procedure: "test.mutate",
		Payload: client.Payload{Args: []any{list, bin}, Kwargs: map[string]any{"k": dict}}}, nil)
	require.NoError(t, err)
	assert.Equal(t, []any{"mine"}, list)
	assert.Equal(t, map[string]any{"x": "mine"}, dict)
	assert.Equal(t, []byte("mine"), bin)
	assert.Equal(t, []any{"callee's"}, res.Args[0])
	assert.Equal(t, []byte("Cine"), res.Args[1])
}

// TestInProcessRefusesWhatNoSerializerCarries: a value no serializer can
// carry fails the call with an error naming it, instead of reaching the
// callee as a Go value the network could never deliver. The caller's own
// arguments are refused at the call, before anything is sent
// (ErrInvalidPayload, as over every transport); a callee's result that
// cannot travel reaches the caller as wamp.error.runtime_error.
func TestInProcessRefusesWhatNoSerializerCarries(t *testing.T) {
	r := startNexus(t)
	callee, caller := transports()[0].connect(t, r), transports()[0].connect(t, r)
	ctx := ctxT(t)
	ran := make(chan struct{}, 1)
	_, err := callee.Register(ctx, "test.refuse", func(_ context.Context, inv *client.Invocation) (client.Payload, error) {
		ran <- struct{}{}
		if len(inv.Payload().Args) == 0 {
			return client.Payload{Args: []any{func() {}}}, nil // a result no serializer carries
		}
		return client.Payload{}, nil
	}, client.RegisterOptions{})
	require.NoError(t, err)
	for _, bad := range []any{make(chan int), map[int]string{1: "a"}, complex(1, 2)} {
		_, err = caller.Call(ctx, client.CallRequest{Procedure: "test.refuse",
			Payload: client.Payload{Args: []any{"ok", map[string]any{"k": bad}}}}, nil)
		require.ErrorIs(t, err, client.ErrInvalidPayload, "%T", bad)
		assert.Contains(t, err.Error(), `args[1].k`)
		assert.Contains(t, err.Error(), "cannot be serialized")
	}
	assert.Empty(t, ran, "the handler never ran")

	_, err = caller.Call(ctx, client.CallRequest{Procedure: "test.refuse"}, nil)
	require.ErrorIs(t, err, client.ErrRuntimeError)
	assert.Contains(t, err.Error(), "args[0]: a func() cannot be serialized")
}
