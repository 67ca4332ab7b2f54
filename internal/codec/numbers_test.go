package codec_test

import (
	"encoding/json"
	"math"
	"testing"
)

type myID uint64

func TestNumbers(t *testing.T) {
	runValueCases(t, []valueCase{
		{name: "float with no fraction into int", in: 3.0, want: 3},
		{name: "float with fraction into int", in: 3.5, want: 0, err: "want int, got 3.5 (float64): has a fractional part"},
		{name: "300 into int8", in: uint64(300), want: int8(0), err: "want int8, got 300 (uint64): out of range"},
		{name: "-129 into int8", in: int64(-129), want: int8(0), err: "out of range"},
		{name: "-128 into int8", in: int16(-128), want: int8(-128)},
		{name: "-1 into uint", in: int64(-1), want: uint(0), err: "want uint, got -1 (int64): out of range"},
		{name: "-1.0 into uint", in: -1.0, want: uint(0), err: "out of range"},
		{name: "uint64 max into int64", in: uint64(math.MaxUint64), want: int64(0), err: "out of range"},
		{name: "uint64 max exact", in: uint64(math.MaxUint64), want: uint64(math.MaxUint64)},
		{name: "int64 min exact", in: int64(math.MinInt64), want: int64(math.MinInt64)},
		{name: "2^63 float into int64", in: float64(1 << 63), want: int64(0), err: "out of range"},
		{name: "NaN into int", in: math.NaN(), want: 0, err: "has a fractional part"},
		{name: "Inf into int", in: math.Inf(1), want: 0, err: "out of range"},
		{name: "2^53 into float64", in: uint64(1 << 53), want: float64(1 << 53)},
		{name: "2^53+1 into float64", in: uint64(1<<53 + 1), want: float64(0), err: "not exactly representable"},
		{name: "max uint64 into float64", in: uint64(math.MaxUint64), want: float64(0), err: "not exactly representable"},
		{name: "int into float32 exact", in: int64(1 << 24), want: float32(1 << 24)},
		{name: "int into float32 inexact", in: int64(1<<24 + 1), want: float32(0), err: "not exactly representable"},
		{name: "float64 into float32 rounds", in: 0.1, want: float32(0.1)},
		{name: "float64 into float32 out of range", in: 1e39, want: float32(0), err: "out of range"},
		{name: "float64 inf into float32", in: math.Inf(-1), want: float32(math.Inf(-1))},
		{name: "float32 into float64", in: float32(1.25), want: 1.25},
		{name: "msgpack int8", in: int8(-5), want: -5},
		{name: "msgpack uint8 into int64", in: uint8(200), want: int64(200)},
		{name: "msgpack int32 into uint16", in: int32(65535), want: uint16(65535)},
		{name: "msgpack uint16 into int8", in: uint16(128), want: int8(0), err: "out of range"},
		{name: "named type in", in: myID(9), want: uint64(9)},
		{name: "named type out", in: uint64(9), want: myID(9)},
		{name: "json.Number", in: json.Number("12"), want: 12},
		{name: "json.Number big", in: json.Number("18446744073709551615"), want: uint64(math.MaxUint64)},
		{name: "string into int", in: "1", want: 0, err: `want int, got "1" (string)`},
		{name: "int into string", in: int64(1), want: "", err: "want string, got 1 (int64)"},
		{name: "all widths", in: map[string]any{"i": int8(1), "i8": uint8(2), "i64": uint32(3), "u": int16(4), "u8": int64(5), "u64": 6.0, "f32": uint16(7), "f64": int32(8)},
			want: Numbers{I: 1, I8: 2, I64: 3, U: 4, U8: 5, U64: 6, F32: 7, F64: 8}},
	})
}
