package codec_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/wampkit/wampkit/internal/codec"
	"github.com/wampkit/wampkit/internal/outgoing"
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

// Flat10 is internal/bench's 10-field struct: scalars, a string list.
type Flat10 struct {
	ID      int64    `json:"id"`
	Name    string   `json:"name"`
	Email   string   `json:"email"`
	Age     int      `json:"age"`
	Score   float64  `json:"score"`
	Active  bool     `json:"active"`
	Tags    []string `json:"tags"`
	Country string   `json:"country"`
	Created string   `json:"created"`
	Level   uint32   `json:"level"`
}

var flat10 = Flat10{ID: 123456789, Name: "Ada Lovelace", Email: "ada@example.com", Age: 36, Score: 98.5,
	Active: true, Tags: []string{"math", "engines"}, Country: "UK", Created: "1843-07-10T00:00:00Z", Level: 7}

// BenchmarkFlat10RoundTrip is what one typed in-process call costs the
// codec for each direction: encode the struct, decode what arrives.
func BenchmarkFlat10RoundTrip(b *testing.B) {
	b.Run("encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := codec.Encode(flat10); err != nil {
				b.Fatal(err)
			}
		}
	})
	args, kwargs, err := codec.Encode(flat10)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var out Flat10
			if err := codec.DecodeArgs(args, kwargs, &out); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkEncodeMeasured: a typed call's payload (Flat10) encoded and
// checked before it is sent, walked after it was built (what the client
// does with a payload the encoder did not measure) against measured while
// the encoder built it (EncodeFresh's Built, which the client then does not
// walk).
func BenchmarkEncodeMeasured(b *testing.B) {
	b.Run("walked", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			args, kwargs, _, err := codec.EncodeFresh(flat10)
			var w outgoing.Walker
			if err != nil || w.List(args, 1) != nil || w.Dict(kwargs, 1) != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("measured", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, built, err := codec.EncodeFresh(flat10); err != nil || !built.Measured {
				b.Fatal(err, built.Measured)
			}
		}
	})
}
