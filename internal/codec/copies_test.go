package codec_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/wampkit/wampkit/internal/codec"
)

type copiesPlain struct {
	N    int               `json:"n"`
	S    string            `json:"s"`
	L    []string          `json:"l"`
	M    map[string]uint16 `json:"m"`
	B    []byte            `json:"b"`
	T    time.Time         `json:"t"`
	P    *copiesPlain      `json:"p"` // recursive
	priv any               // not decoded
}

type copiesLoose struct {
	N int            `json:"n"`
	V map[string]any `json:"v"`
}

type copiesEmbedded struct {
	copiesLoose
}

// TestCopies: a type is decoded without sharing the input only when no part
// of it is an interface.
func TestCopies(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want bool
	}{
		{0, true}, {"", true}, {[]int{}, true}, {[]byte{}, true}, {[4]byte{}, true},
		{map[string]float64{}, true}, {time.Time{}, true}, {copiesPlain{}, true}, {&copiesPlain{}, true},
		{[]any{}, false}, {map[string]any{}, false}, {copiesLoose{}, false}, {copiesEmbedded{}, false},
		{[]error{}, false}, {make(chan int), false},
	} {
		if got := codec.Copies(reflect.TypeOf(tc.v)); got != tc.want {
			t.Errorf("Copies(%T) = %v, want %v", tc.v, got, tc.want)
		}
	}
	if codec.Copies(reflect.TypeFor[any]()) {
		t.Error("Copies(any) = true")
	}
}

// TestEncodeFresh: what the encoder builds shares nothing with its input,
// except a []byte, which it passes on as it is: then the payload is not
// fresh.
func TestEncodeFresh(t *testing.T) {
	in := copiesPlain{N: 1, L: []string{"a"}, M: map[string]uint16{"x": 1}}
	args, _, fresh, err := codec.EncodeFresh(in)
	if err != nil || !fresh.Fresh {
		t.Fatalf("EncodeFresh(%+v) = fresh %v, %v", in, fresh.Fresh, err)
	}
	args[0].(map[string]any)["l"].([]any)[0] = "changed"
	if in.L[0] != "a" {
		t.Error("changing the encoded list changed the input")
	}
	in.B = []byte("bin")
	if _, _, fresh, err := codec.EncodeFresh(in); err != nil || fresh.Fresh {
		t.Errorf("EncodeFresh of a value holding a []byte = fresh %v, %v", fresh.Fresh, err)
	}
	if _, _, fresh, err := codec.EncodeFresh(map[string]any{"b": [2]byte{1, 2}}); err != nil || !fresh.Fresh {
		t.Errorf("EncodeFresh of a byte array (copied) = fresh %v, %v", fresh.Fresh, err)
	}
}
