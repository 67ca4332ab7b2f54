package codec_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/wampkit/wampkit/internal/codec"
)

// The inputs look like what nexus's JSON serializer hands over: uint64 for
// non-negative integers, float64, string, bool, []any and map[string]any.
// Each benchmark compares codec with the usual alternative: encoding/json
// Marshal of the received value and Unmarshal into the Go type.

func ten() map[string]any {
	return map[string]any{
		"a": uint64(42), "b": "hello", "c": 3.25, "d": true,
		"e": []any{"x", "y", "z"}, "f": map[string]any{"p": uint64(1), "q": uint64(2)},
		"g": uint64(1 << 53), "h": uint64(7), "i": "2026-03-03T09:16:37Z",
		"j": map[string]any{"X": uint64(1), "Y": uint64(2)},
	}
}

func ints(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = uint64(i * 7)
	}
	return out
}

func objects(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = map[string]any{"name": "item", "count": uint64(i)}
	}
	return out
}

func viaJSON[T any](b *testing.B, in any) {
	b.Helper()
	for b.Loop() {
		data, err := json.Marshal(in)
		if err != nil {
			b.Fatal(err)
		}
		var out T
		if err := json.Unmarshal(data, &out); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeStruct10(b *testing.B) {
	kw := ten()
	b.Run("codec", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var out Ten
			if err := codec.DecodeArgs(nil, kw, &out); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		viaJSON[Ten](b, kw)
	})
}

func BenchmarkDecodeInts1000(b *testing.B) {
	args := ints(1000)
	b.Run("codec", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var out []int
			if err := codec.DecodeArgs(args, nil, &out); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		viaJSON[[]int](b, args)
	})
}

func BenchmarkDecodeStructs1000(b *testing.B) {
	args := objects(1000)
	b.Run("codec", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var out []Opt
			if err := codec.DecodeArgs(args, nil, &out); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		viaJSON[[]Opt](b, args)
	})
}

func BenchmarkEncodeStruct10(b *testing.B) {
	var in Ten
	if err := codec.DecodeValue(ten(), &in); err != nil {
		b.Fatal(err)
	}
	in.I = time.Date(2026, 3, 3, 9, 16, 37, 0, time.UTC)
	b.Run("codec", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := codec.Encode(in); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		viaJSON[map[string]any](b, in)
	})
}
