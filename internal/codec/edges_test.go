package codec_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/internal/codec"
)

// A field with a name and a position, before a field with a position only,
// is sent by name with a null at its position: it comes back from both
// decoding rules, and a required one is not reported missing.
func TestNamedAndPositionalFieldRoundTrips(t *testing.T) {
	type mixed struct {
		A int `wamp:"a,#0"`
		B int `wamp:"#1"`
	}
	type mixedRequired struct {
		A int `wamp:"a,#0,required"`
		B int `wamp:"#1"`
	}
	args, kwargs, err := codec.Encode(mixed{A: 7, B: 9})
	require.NoError(t, err)
	var got, got2 mixed
	require.NoError(t, codec.DecodeResult(args, kwargs, &got))
	assert.Equal(t, mixed{A: 7, B: 9}, got, "DecodeResult")
	require.NoError(t, codec.DecodeArgs(args, kwargs, &got2))
	assert.Equal(t, mixed{A: 7, B: 9}, got2, "DecodeArgs")
	args, kwargs, err = codec.Encode(mixedRequired{A: 7, B: 9})
	require.NoError(t, err)
	var req mixedRequired
	require.NoError(t, codec.DecodeArgs(args, kwargs, &req))
	assert.Equal(t, mixedRequired{A: 7, B: 9}, req)
	var none mixedRequired
	assert.Error(t, codec.DecodeArgs([]any{nil, 9}, nil, &none), "a required field neither by position nor by name")
}

// omitzero on an interface field holding a typed nil pointer whose type has
// an IsZero method: no panic, and, as in encoding/json, the field's own type
// decides (a non-nil interface is not zero).
func TestOmitZeroInterfaceHoldingATypedNilPointer(t *testing.T) {
	type withAny struct {
		X any `wamp:"x,omitzero"`
	}
	var tp *time.Time
	v, err := codec.EncodeValue(withAny{X: tp})
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"x": nil}, v)
	v, err = codec.EncodeValue(withAny{})
	require.NoError(t, err)
	assert.Equal(t, map[string]any{}, v)

	// A field whose interface type has IsZero asks it, as encoding/json
	// does; a nil pointer in it is zero rather than a panic.
	type withZeroer struct {
		X interface{ IsZero() bool } `wamp:"x,omitzero"`
	}
	for _, x := range []interface{ IsZero() bool }{time.Time{}, tp} {
		v, err = codec.EncodeValue(withZeroer{X: x})
		require.NoError(t, err)
		assert.Equal(t, map[string]any{}, v, "%T", x)
	}
	v, err = codec.EncodeValue(withZeroer{X: time.Unix(1, 0).UTC()})
	require.NoError(t, err)
	assert.Contains(t, v, "x")
}

var errTextSentinel = errors.New("no text for this")

type badText struct{}

func (badText) MarshalText() ([]byte, error) { return nil, errTextSentinel }

// A MarshalText error is the encode error's cause, for a value and for a
// map key (which is not reported as an unsupported key type).
func TestMarshalTextErrorIsTheCause(t *testing.T) {
	_, _, err := codec.Encode(struct{ V badText }{})
	require.ErrorIs(t, err, errTextSentinel)
	_, _, err = codec.Encode(map[badText]int{{}: 1})
	require.ErrorIs(t, err, errTextSentinel)
	assert.NotContains(t, err.Error(), "unsupported map key type")
}

type EmbeddedInner struct{ Z int }
type embeddedAlias = EmbeddedInner
type embeddedInner struct{ Z int }
type EmbeddedExportedAlias = embeddedInner

// An embedded pointer is judged by its field, not by its type's name (an
// alias may name a type otherwise): an unexported one is skipped rather
// than panicking on decode, an exported one is decoded through.
func TestEmbeddedPointerThroughAnAlias(t *testing.T) {
	type unexportedField struct{ *embeddedAlias }
	type exportedField struct{ *EmbeddedExportedAlias }
	var u unexportedField
	assert.NotPanics(t, func() { _ = codec.DecodeValue(map[string]any{"Z": 1}, &u) })
	var e exportedField
	require.NoError(t, codec.DecodeValue(map[string]any{"Z": 1}, &e))
	require.NotNil(t, e.EmbeddedExportedAlias)
	assert.Equal(t, 1, e.Z)
}

// `wamp:",#1"` has an empty name, which keeps the default one (the json tag,
// else the Go field name), as for any option: the field takes positional
// argument 1 or that keyword, and is sent by that name.
func TestPositionWithTheDefaultName(t *testing.T) {
	type add struct {
		A int `wamp:"#0"`
		B int `wamp:",#1" json:"b"`
	}
	var got add
	require.NoError(t, codec.DecodeArgs([]any{uint64(1), uint64(2)}, nil, &got))
	assert.Equal(t, add{A: 1, B: 2}, got, "by position")
	got = add{}
	require.NoError(t, codec.DecodeArgs([]any{uint64(1)}, map[string]any{"b": uint64(2)}, &got))
	assert.Equal(t, add{A: 1, B: 2}, got, "by the json tag's name")

	args, kwargs, err := codec.Encode(add{A: 1, B: 2})
	require.NoError(t, err)
	assert.Equal(t, []any{1}, args)
	assert.Equal(t, map[string]any{"b": 2}, kwargs, "sent by name, as `wamp:\"b,#1\"` is")
	got = add{}
	require.NoError(t, codec.DecodeResult(args, kwargs, &got))
	assert.Equal(t, add{A: 1, B: 2}, got, "round trip")

	type name struct {
		Name string `wamp:",#0"`
	}
	var n name
	require.NoError(t, codec.DecodeArgs([]any{"ann"}, nil, &n))
	assert.Equal(t, name{Name: "ann"}, n, "by position, Go field name")
	args, kwargs, err = codec.Encode(name{Name: "ann"})
	require.NoError(t, err)
	assert.Equal(t, []any{map[string]any{"Name": "ann"}}, args, "every positioned field has a name: one object")
	assert.Nil(t, kwargs)
}

// A malformed position is never ignored: every Encode and Decode of the
// struct fails, naming the field and what is wrong.
func TestMalformedPositionIsAnError(t *testing.T) {
	for tag, want := range map[string]string{
		`wamp:"#0,#1"`:          `field B: tag "#0,#1" gives two positions (#0 and #1)`,
		`wamp:"b,#1,#2"`:        `field B: tag "b,#1,#2" gives two positions (#1 and #2)`,
		`wamp:",#1,#1"`:         `field B: tag ",#1,#1" gives two positions (#1 and #1)`,
		`wamp:"b,#+1"`:          `field B: bad position "#+1" (want #0 to #255)`,
		`wamp:"#-0"`:            `field B: bad position "#-0" (want #0 to #255)`,
		`wamp:",#"`:             `field B: bad position "#" (want #0 to #255)`,
		`wamp:"#256"`:           `field B: bad position "#256" (want #0 to #255)`,
		`wamp:"b,# 1"`:          `field B: bad position "# 1" (want #0 to #255)`,
		`wamp:"b,#1,omitempty"`: "", // well formed: no error
	} {
		t.Run(tag, func(t *testing.T) {
			typ := reflect.StructOf([]reflect.StructField{
				{Name: "A", Type: reflect.TypeFor[int](), Tag: `wamp:"#0"`},
				{Name: "B", Type: reflect.TypeFor[int](), Tag: reflect.StructTag(tag)},
			})
			v := reflect.New(typ)
			errs := map[string]error{}
			_, _, errs["Encode"] = codec.Encode(v.Elem().Interface())
			_, _, errs["Encode pointer"] = codec.Encode(v.Interface())
			_, errs["EncodeValue"] = codec.EncodeValue(v.Interface())
			errs["DecodeArgs"] = codec.DecodeArgs([]any{uint64(1), uint64(2)}, nil, v.Interface())
			errs["DecodeResult"] = codec.DecodeResult([]any{uint64(1), uint64(2)}, nil, v.Interface())
			errs["DecodeValue"] = codec.DecodeValue(map[string]any{"A": uint64(1)}, v.Interface())
			for fn, err := range errs {
				if want == "" {
					assert.NoError(t, err, fn)
					continue
				}
				assert.ErrorContains(t, err, want, fn)
				var ee *codec.EncodeError
				var de *codec.DecodeError
				assert.True(t, errors.As(err, &ee) || errors.As(err, &de), "%s: %T, want *EncodeError or *DecodeError", fn, err)
			}
		})
	}
}
