package codec_test

import (
	"errors"
	"math"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wampkit/wampkit/internal/codec"
)

// valueCase decodes in with DecodeValue into a new value of want's type and
// expects want, or an error containing err.
type valueCase struct {
	name string
	in   any
	want any
	err  string
	opts []codec.Option
}

func runValueCases(t *testing.T, cases []valueCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dst := reflect.New(reflect.TypeOf(tc.want))
			err := codec.DecodeValue(tc.in, dst.Interface(), tc.opts...)
			checkResult(t, err, tc.err, dst.Elem().Interface(), tc.want)
		})
	}
}

func checkResult(t *testing.T, err error, wantErr string, got, want any) {
	t.Helper()
	if wantErr != "" {
		var de *codec.DecodeError
		if !errors.As(err, &de) {
			t.Fatalf("err = %v (%T), want a *DecodeError containing %q", err, err, wantErr)
		}
		if !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("err = %q, want it to contain %q", err, wantErr)
		}
		return
	}
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %#v\nwant %#v", got, want)
	}
}

func TestFieldNames(t *testing.T) {
	created := time.Date(2026, 3, 3, 9, 16, 37, 0, time.UTC)
	runValueCases(t, []valueCase{
		{name: "wamp tag beats json tag", in: map[string]any{"tagged": "t", "ignored": "x"}, want: Named{Tagged: "t"}},
		{name: "json tag", in: map[string]any{"js": "j"}, want: Named{JSON: "j"}},
		{name: "go name", in: map[string]any{"Plain": "p"}, want: Named{Plain: "p"}},
		{name: "json dash skips", in: map[string]any{"Skipped": "s", "-": "s"}, want: Named{}},
		{name: "wamp tag overrides json dash", in: map[string]any{"forced": "f"}, want: Named{Forced: "f"}},
		{name: "unexported ignored", in: map[string]any{"private": "p"}, want: Named{}},
		{name: "case-insensitive wire name", in: map[string]any{"TAGGED": "t", "JS": "j"}, want: Named{Tagged: "t", JSON: "j"}},
		{name: "case-insensitive go name", in: map[string]any{"plain": "p", "json": "j"}, want: Named{Plain: "p", JSON: "j"}},
		{name: "exact match wins over fold", in: map[string]any{"tagged": "exact", "Tagged": "fold", "TAGGED": "fold2"}, want: Named{Tagged: "exact"}},
		{name: "fold is deterministic", in: map[string]any{"Tagged": "a", "TAGGED": "b"}, want: Named{Tagged: "b"}},
		{name: "embedded flattened", in: map[string]any{"id": uint64(7), "Created": "2026-03-03T09:16:37Z", "name": "ann"},
			want: User{Base: Base{ID: 7, Created: created}, Name: "ann"}},
		{name: "map[any]any object", in: map[any]any{"name": "ann", "age": int8(3), 5: "x"}, want: User{Name: "ann", Age: 3}},
		{name: "nested struct and pointer", in: map[string]any{"name": "a", "friend": map[string]any{"name": "b", "tags": []any{uint64(1)}}},
			want: User{Name: "a", Friend: &User{Name: "b", Tags: []int{1}}}},
		{name: "struct field by name", in: map[string]any{"user": map[string]any{"name": "x"}, "ids": []any{uint64(1)}},
			want: Wrapper{User: User{Name: "x"}, IDs: []ID{1}}},
	})
}

type embedConflict struct {
	inner1
	inner2
	Top string `json:"shared"`
}
type inner1 struct{ Shared, Only1 string }
type inner2 struct{ Only1 string }

type embedPtr struct {
	*Base
	Name string
}

func TestEmbedding(t *testing.T) {
	runValueCases(t, []valueCase{
		{name: "shallow field wins", in: map[string]any{"shared": "top", "Shared": "s"}, want: embedConflict{Top: "top", inner1: inner1{Shared: "s"}}},
		{name: "ambiguous name dropped", in: map[string]any{"Only1": "x"}, want: embedConflict{}},
		{name: "embedded pointer allocated", in: map[string]any{"id": int64(3), "Name": "n"}, want: embedPtr{Base: &Base{ID: 3}, Name: "n"}},
		{name: "embedded pointer stays nil", in: map[string]any{"Name": "n"}, want: embedPtr{Name: "n"}},
	})
}

type textKey string

func (k *textKey) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		return errors.New("empty key")
	}
	*k = textKey("k:" + string(b))
	return nil
}

func TestKinds(t *testing.T) {
	one := 1
	runValueCases(t, []valueCase{
		{name: "pointer", in: int64(1), want: &one},
		{name: "null pointer", in: nil, want: (*int)(nil)},
		{name: "null into int", in: nil, want: 0},
		{name: "slice", in: []any{uint64(1), int64(-2)}, want: []int{1, -2}},
		{name: "typed slice input", in: []string{"a", "b"}, want: []string{"a", "b"}},
		{name: "array", in: []any{uint64(1)}, want: [2]int{1, 0}},
		{name: "array too long", in: []any{uint64(1), uint64(2), uint64(3)}, want: [2]int{}, err: "too many elements"},
		{name: "map string", in: map[string]any{"a": uint64(1)}, want: map[string]int{"a": 1}},
		{name: "map int keys from text", in: map[string]any{"1": "x", "-2": "y"}, want: map[int]string{1: "x", -2: "y"}},
		{name: "map uint keys from numbers", in: map[any]any{uint64(1): "x", int8(2): "y"}, want: map[uint8]string{1: "x", 2: "y"}},
		{name: "map bad int key", in: map[string]any{"x": "y"}, want: map[int]string{}, err: `"x": want int, got "x" (string)`},
		{name: "map text keys", in: map[string]any{"a": true}, want: map[textKey]bool{"k:a": true}},
		{name: "any normalises map[any]any", in: []any{map[any]any{"a": map[any]any{int64(1): []any{map[any]any{"b": int8(2)}}}}},
			want: any([]any{map[string]any{"a": map[string]any{"1": []any{map[string]any{"b": int8(2)}}}}})},
		{name: "any keeps numbers", in: map[string]any{"u": uint64(math.MaxUint64), "f": 1.5},
			want: any(map[string]any{"u": uint64(math.MaxUint64), "f": 1.5})},
		{name: "map[string]any field", in: map[string]any{"x": map[any]any{"y": "z"}}, want: map[string]any{"x": map[string]any{"y": "z"}}},
		{name: "string from bytes", in: []byte("hi"), want: "hi"},
		{name: "bool", in: true, want: true},
		{name: "bool from number", in: int64(1), want: false, err: "want bool, got 1 (int64)"},
		{name: "text unmarshaler", in: "10.0.0.1", want: netip.MustParseAddr("10.0.0.1")},
		{name: "text unmarshaler error", in: "nope", want: netip.Addr{}, err: `want netip.Addr, got "nope" (string): invalid text`},
		{name: "interface not implemented", in: "x", want: (*error)(nil), err: "want error"},
	})
}

func TestTime(t *testing.T) {
	utc := time.Date(2026, 3, 3, 9, 16, 37, 0, time.UTC)
	nano := time.Date(2026, 3, 3, 12, 3, 56, 123000000, time.UTC)
	minus10 := time.FixedZone("", -10*3600)
	cases := []valueCase{
		{name: "Z", in: "2026-03-03T09:16:37Z", want: utc},
		{name: "fraction Z", in: "2026-03-03T12:03:56.123Z", want: nano},
		{name: "offset with colon", in: "2026-03-03T09:16:37-10:00", want: time.Date(2026, 3, 3, 9, 16, 37, 0, minus10)},
		{name: "nexus offset without colon", in: "2026-03-03T09:16:37-1000", want: time.Date(2026, 3, 3, 9, 16, 37, 0, minus10)},
		{name: "fraction and offset without colon", in: "2026-03-03T09:16:37.5+0100", want: time.Date(2026, 3, 3, 8, 16, 37, 5e8, time.UTC)},
		{name: "no zone is UTC", in: "2026-03-03T09:16:37", want: utc},
		{name: "time value", in: utc, want: utc},
		{name: "garbage", in: "yesterday", want: time.Time{}, err: `want time.Time, got "yesterday" (string): not an RFC 3339 time`},
		{name: "number", in: int64(5), want: time.Time{}, err: "want time.Time, got 5 (int64)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got time.Time
			err := codec.DecodeValue(tc.in, &got)
			if tc.err != "" {
				checkResult(t, err, tc.err, nil, nil)
				return
			}
			if err != nil || !got.Equal(tc.want.(time.Time)) {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

type Bin struct {
	B []byte  `json:"b"`
	A [3]byte `json:"a"`
}

func TestBytes(t *testing.T) {
	runValueCases(t, []valueCase{
		{name: "bytes", in: []byte{1, 2}, want: []byte{1, 2}},
		{name: "WAMP JSON form", in: "\x00AQI=", want: []byte{1, 2}},
		{name: "plain base64 (nexus JSON)", in: "AQI=", want: []byte{1, 2}},
		{name: "unpadded base64", in: "AQI", want: []byte{1, 2}},
		{name: "list of numbers", in: []any{uint64(1), int64(2)}, want: []byte{1, 2}},
		{name: "byte array", in: map[string]any{"a": []byte{7, 8}, "b": "\x00AQI="}, want: Bin{A: [3]byte{7, 8}, B: []byte{1, 2}}},
		{name: "byte array too long", in: []byte{1, 2, 3, 4}, want: [3]byte{}, err: "too many elements"},
		{name: "not base64", in: "!!", want: []byte{}, err: "invalid base64"},
		{name: "byte out of range", in: []any{uint64(256)}, want: []byte{}, err: `"[0]": want uint8, got 256 (uint64): out of range`},
	})
}
