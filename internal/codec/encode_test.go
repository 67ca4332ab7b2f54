package codec_test

import (
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wampkit/wampkit/internal/codec"
)

func TestEncode(t *testing.T) {
	tests := []struct {
		name   string
		in     any
		args   []any
		kwargs map[string]any
	}{
		{name: "nil", in: nil},
		{name: "nil pointer", in: (*Opt)(nil)},
		{name: "scalar", in: 5, args: []any{5}},
		{name: "struct is one object", in: Opt{Name: "n"}, args: []any{map[string]any{"name": "n", "count": 0}}},
		{name: "positional struct", in: Add{A: 1, B: 2, Note: "x"}, args: []any{1, 2}, kwargs: map[string]any{"note": "x"}},
		{name: "positional struct, empty kwargs", in: &Add{A: 1}, args: []any{1, 0}},
		{name: "positional gap", in: struct {
			A int `wamp:"#0"`
			C int `wamp:"#2"`
		}{1, 3}, args: []any{1, nil, 3}},
		{name: "slice is one argument", in: []int{1, 2}, args: []any{[]any{1, 2}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args, kwargs, err := codec.Encode(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(args, tc.args) || !reflect.DeepEqual(kwargs, tc.kwargs) {
				t.Fatalf("got %#v %#v\nwant %#v %#v", args, kwargs, tc.args, tc.kwargs)
			}
		})
	}
}

type level int

func (l level) MarshalText() ([]byte, error) { return []byte([]string{"low", "high"}[l]), nil }

func TestEncodeValue(t *testing.T) {
	ts := time.Date(2026, 3, 3, 9, 16, 37, 5, time.FixedZone("", 3600))
	n := 3
	tests := []struct {
		name string
		in   any
		want any
	}{
		{name: "time", in: ts, want: "2026-03-03T09:16:37.000000005+01:00"},
		{name: "bytes stay bytes", in: []byte{1}, want: []byte{1}},
		{name: "byte array becomes bytes", in: [2]byte{1, 2}, want: []byte{1, 2}},
		{name: "named ints become predeclared", in: ID(7), want: uint64(7)},
		{name: "predeclared widths kept", in: int8(-1), want: int8(-1)},
		{name: "pointer followed", in: &n, want: 3},
		{name: "nil slice", in: []int(nil), want: nil},
		{name: "text marshaler", in: netip.MustParseAddr("::1"), want: "::1"},
		{name: "text marshaler map key", in: map[level]bool{1: true}, want: map[string]any{"high": true}},
		{name: "int map keys", in: map[int]string{-1: "x"}, want: map[string]any{"-1": "x"}},
		{name: "nested", in: map[string]any{"u": []User{{Name: "a", Tags: []int{1}}}}, want: map[string]any{"u": []any{map[string]any{
			"id": uint64(0), "Created": "0001-01-01T00:00:00Z", "name": "a", "tags": []any{1}, "score": 0.0,
		}}}},
		{name: "omitempty and dash", in: Named{Plain: "p", Skipped: "s", Forced: "f"}, want: map[string]any{"tagged": "", "Plain": "p", "forced": "f"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := codec.EncodeValue(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got  %#v\nwant %#v", got, tc.want)
			}
		})
	}
}

type cyclic struct {
	Next *cyclic
}

func TestEncodeErrors(t *testing.T) {
	c := &cyclic{}
	c.Next = c
	tests := map[string]struct {
		in   any
		want string
	}{
		"channel":     {in: map[string]any{"c": []any{make(chan int)}}, want: `codec: encode "c[0]": chan int: unsupported type`},
		"func field":  {in: struct{ F func() }{}, want: `codec: encode "F": func(): unsupported type`},
		"bad map key": {in: map[float64]int{1: 1}, want: "codec: encode: map[float64]int: unsupported map key type"},
		"cycle":       {in: c, want: "nested too deeply"},
		"positional": {in: struct {
			A chan int `wamp:"#0"`
		}{}, want: `codec: encode "args[0]": chan int: unsupported type`},
		"inside a positional field": {in: struct {
			A int            `wamp:"#0"`
			B map[string]any `wamp:"#1"`
		}{B: map[string]any{"f": func() {}}}, want: `codec: encode "args[1].f": func(): unsupported type`},
		"keyword field of a positional struct": {in: struct {
			A int    `wamp:"#0"`
			F func() `wamp:"f"`
		}{}, want: `codec: encode "f": func(): unsupported type`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, _, err := codec.Encode(tc.in)
			var ee *codec.EncodeError
			if !errors.As(err, &ee) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want *EncodeError containing %q", err, tc.want)
			}
		})
	}
}
