package payload_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/codec"
	"github.com/wampkit/wampkit/internal/payload"
)

var ppt = &client.Passthru{Scheme: "x_custom", Payload: []byte{1, 2}}

func TestEncode(t *testing.T) {
	raw := client.Payload{Args: []any{1}, Kwargs: map[string]any{"k": 2}}
	tests := []struct {
		name string
		in   any
		want client.Payload
	}{
		{name: "nil", in: nil},
		{name: "payload as is", in: raw, want: raw},
		{name: "payload pointer", in: &raw, want: raw},
		{name: "nil payload pointer", in: (*client.Payload)(nil)},
		{name: "passthru as is", in: client.Payload{Passthru: ppt}, want: client.Payload{Passthru: ppt}},
		{name: "passthru pointer", in: &client.Payload{Passthru: ppt}, want: client.Payload{Passthru: ppt}},
		{name: "other values through codec", in: []int{1, 2}, want: client.Payload{Args: []any{[]any{1, 2}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := payload.Encode(tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
	_, err := payload.Encode(func() {})
	var ee *codec.EncodeError
	assert.ErrorAs(t, err, &ee, "codec's error is handed on")
}

// decoders runs each case under both rules.
var decoders = map[string]func(client.Payload, any, ...codec.Option) error{
	"args": payload.DecodeArgs, "result": payload.DecodeResult,
}

func TestDecodeIntoPayload(t *testing.T) {
	raw := client.Payload{Args: []any{"a", "b"}, Kwargs: map[string]any{"k": "v"}}
	for name, decode := range decoders {
		t.Run(name, func(t *testing.T) {
			for _, p := range []client.Payload{raw, {Passthru: ppt}, {}} {
				var got client.Payload
				require.NoError(t, decode(p, &got))
				assert.Equal(t, p, got)

				var ptr *client.Payload
				require.NoError(t, decode(p, &ptr))
				if p.IsZero() {
					assert.Nil(t, ptr, "no arguments leave a *client.Payload nil")
				} else if assert.NotNil(t, ptr) {
					assert.Equal(t, p, *ptr)
				}
			}
			stale := &client.Payload{Args: []any{"old"}}
			require.NoError(t, decode(client.Payload{}, &stale))
			assert.Nil(t, stale, "an empty payload resets the pointer")
		})
	}
}

func TestDecodeOtherTypes(t *testing.T) {
	for name, decode := range decoders {
		t.Run(name, func(t *testing.T) {
			var s string
			require.NoError(t, decode(client.Payload{Args: []any{"x"}}, &s))
			assert.Equal(t, "x", s)

			var n int
			err := decode(client.Payload{Args: []any{"x"}}, &n)
			var de *codec.DecodeError
			require.ErrorAs(t, err, &de, "codec's error is handed on")
			assert.Equal(t, "args[0]", de.Path)

			err = decode(client.Payload{Passthru: ppt}, &s)
			require.ErrorIs(t, err, client.ErrPassthru)
			assert.Contains(t, err.Error(), `ppt_scheme "x_custom"`)
			assert.Contains(t, err.Error(), "cannot be decoded into string")
			assert.False(t, errors.As(err, &de), "a PPT refusal is not a decode error")
		})
	}
}

// Recognising a client.Payload costs the typed call path nothing: decoding
// through this package allocates what the codec alone does.
func TestDecodeAddsNoAllocation(t *testing.T) {
	p := client.Payload{Args: []any{"x"}}
	var s string
	alone := testing.AllocsPerRun(100, func() { _ = codec.DecodeArgs(p.Args, p.Kwargs, &s) })
	for name, decode := range decoders {
		if got := testing.AllocsPerRun(100, func() { _ = decode(p, &s) }); got > alone {
			t.Errorf("%s: %v allocations a decode, the codec alone %v", name, got, alone)
		}
	}
}
