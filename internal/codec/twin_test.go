package codec_test

import (
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/wampkit/wampkit/internal/codec"
)

// twinAll has a field of every kind Twin takes.
type twinAll struct {
	B   bool      `json:"b"`
	I   int       `json:"i"`
	I8  int8      `json:"i8"`
	I16 int16     `json:"i16"`
	I32 int32     `json:"i32"`
	I64 int64     `json:"i64"`
	U   uint      `json:"u"`
	U8  uint8     `json:"u8"`
	U16 uint16    `json:"u16"`
	U32 uint32    `json:"u32"`
	U64 uint64    `json:"u64"`
	F64 float64   `json:"f64"`
	S   string    `json:"s"`
	SS  []string  `json:"ss"`
	IS  []int64   `json:"is"`
	FS  []float64 `json:"fs"`
	US  []uint32  `json:"us"`
	BS  []bool    `wamp:"bools"`
	Un  string    // no tag: the Go name
	I8s []int8    `json:"i8s"`
	I6s []int16   `json:"i16s"`
	I3s []int32   `json:"i32s"`
	Is  []int     `json:"ints"`
	Uxs []uint    `json:"uints"`
	U6s []uint16  `json:"u16s"`
	U4s []uint64  `json:"u64s"`
	Hy  string    `wamp:"hybrid,#0"` // a position and a name: sent by name
}

func twinValues() []twinAll {
	return []twinAll{
		{},
		{B: true, I: -1, I8: math.MinInt8, I16: math.MaxInt16, I32: math.MinInt32, I64: math.MaxInt64,
			U: math.MaxUint, U8: math.MaxUint8, U16: 1, U32: math.MaxUint32, U64: math.MaxUint64,
			F64: -math.MaxFloat64, S: "héllo\x00", SS: []string{"a", "", "c"}, IS: []int64{math.MinInt64, 0},
			FS: []float64{math.Inf(1), math.SmallestNonzeroFloat64}, US: []uint32{7}, BS: []bool{false, true}, Un: "u",
			I8s: []int8{-1}, I6s: []int16{2}, I3s: []int32{-3}, Is: []int{4}, Uxs: []uint{5}, U6s: []uint16{6},
			U4s: []uint64{math.MaxUint64}, Hy: "h"},
		{SS: []string{}, IS: []int64{}, FS: []float64{}, US: []uint32{}, BS: []bool{}, I8s: []int8{}, I6s: []int16{},
			I3s: []int32{}, Is: []int{}, Uxs: []uint{}, U6s: []uint16{}, U4s: []uint64{}}, // empty, not nil
		{F64: math.Copysign(0, -1), FS: []float64{math.Inf(-1)}},
	}
}

// TestTwinIsWhatDecodingGives: for every value, the twin equals what
// decoding the payload EncodeFresh builds gives, by both rules, with and
// without Strict, from the value and from a pointer to it.
func TestTwinIsWhatDecodingGives(t *testing.T) {
	for i, v := range twinValues() {
		for _, in := range []any{v, &v} {
			twin, ok := codec.Twin(in)
			if !ok {
				t.Fatalf("value %d (%T): Twin refused", i, in)
			}
			args, kwargs, b, err := codec.EncodeFresh(in)
			if err != nil || !b.Fresh {
				t.Fatalf("value %d: EncodeFresh: %v (fresh %v)", i, err, b.Fresh)
			}
			for _, opts := range [][]codec.Option{nil, {codec.Strict()}} {
				if !codec.TwinDecodes(opts) {
					t.Fatalf("TwinDecodes(%v) is false", opts)
				}
				var res, arg twinAll
				if err := codec.DecodeResult(args, kwargs, &res, opts...); err != nil {
					t.Fatalf("value %d: DecodeResult: %v", i, err)
				}
				if err := codec.DecodeArgs(args, kwargs, &arg, opts...); err != nil {
					t.Fatalf("value %d: DecodeArgs: %v", i, err)
				}
				if !reflect.DeepEqual(twin, &res) || !reflect.DeepEqual(twin, &arg) {
					t.Fatalf("value %d: twin %#v\nDecodeResult %#v\nDecodeArgs %#v", i, twin, res, arg)
				}
			}
		}
	}
}

// TestTwinEmptyStruct: a struct with no fields has a twin, an empty one.
func TestTwinEmptyStruct(t *testing.T) {
	type empty struct{}
	twin, ok := codec.Twin(empty{})
	if !ok {
		t.Fatal("Twin refused struct{}")
	}
	args, kwargs, _, err := codec.EncodeFresh(empty{})
	if err != nil {
		t.Fatal(err)
	}
	var out empty
	if err := codec.DecodeResult(args, kwargs, &out); err != nil || !reflect.DeepEqual(twin, &out) {
		t.Fatalf("twin %#v, decoded %#v (%v)", twin, out, err)
	}
}

// TestTwinNaN: NaN, which DeepEqual cannot compare, decodes to the same bits.
func TestTwinNaN(t *testing.T) {
	v := twinAll{F64: math.NaN(), FS: []float64{math.NaN()}}
	twin, ok := codec.Twin(v)
	if !ok {
		t.Fatal("Twin refused")
	}
	args, kwargs, _, err := codec.EncodeFresh(v)
	if err != nil {
		t.Fatal(err)
	}
	var out twinAll
	if err := codec.DecodeResult(args, kwargs, &out); err != nil {
		t.Fatal(err)
	}
	tw := *twin.(*twinAll)
	if math.Float64bits(tw.F64) != math.Float64bits(out.F64) || math.Float64bits(tw.FS[0]) != math.Float64bits(out.FS[0]) {
		t.Fatalf("twin %v %v, decoded %v %v", tw.F64, tw.FS, out.F64, out.FS)
	}
}

// TestTwinSharesNoMemory: writing into the value's slices after Twin
// leaves the twin as it was, and the twin keeps nil and empty apart.
func TestTwinSharesNoMemory(t *testing.T) {
	v := twinAll{SS: []string{"a", "b"}, IS: []int64{1}, FS: []float64{}, BS: nil}
	twin, ok := codec.Twin(&v)
	if !ok {
		t.Fatal("Twin refused")
	}
	v.SS[0], v.IS[0] = "changed", 99
	v.S = "changed"
	tw := *twin.(*twinAll)
	if tw.SS[0] != "a" || tw.IS[0] != 1 || tw.S != "" {
		t.Fatalf("the twin follows the value: %#v", tw)
	}
	if tw.FS == nil || len(tw.FS) != 0 || tw.BS != nil {
		t.Fatalf("nil and empty slices not kept apart: FS %#v, BS %#v", tw.FS, tw.BS)
	}
}

type (
	twinLevel     int
	twinOmitEmpty struct {
		A []string `json:"a,omitempty"`
	}
	twinOmitZero struct {
		A int `json:"a,omitzero"`
	}
	twinSkipped struct {
		A, B int `json:"-"`
	}
	twinUnexported struct{ A, b int }
	twinEmbedded   struct{ twinOmitZero }
	twinRequired   struct {
		A []string `wamp:",required"`
	}
	twinNamed      struct{ L twinLevel }
	twinNamedSlice struct{ L []twinLevel }
	twinTime       struct{ T time.Time }
	twinPointer    struct{ P *int }
	twinMap        struct{ M map[string]int }
	twinNested     struct{ N struct{ A int } }
	twinBytes      struct{ B []byte }
	twinPositional struct {
		A int `wamp:"#0"`
	}
	twinInterface    struct{ V any }
	twinArray        struct{ A [2]int }
	twinNamedSliceTy []string
	twinSliceType    struct{ S twinNamedSliceTy }
	twinFloat32      struct{ F float32 }
	twinFloat32s     struct{ F []float32 }
	twinPtrText      struct{ S string }
	twinValueText    struct{ S string }
	twinUnmarshal    struct{ S string }
)

func (p *twinPtrText) MarshalText() ([]byte, error)   { return []byte(p.S), nil }
func (v twinValueText) MarshalText() ([]byte, error)  { return []byte(v.S), nil }
func (p *twinUnmarshal) UnmarshalText(b []byte) error { p.S = string(b); return nil }

// TestTwinRefuses: every type whose decode could differ from a plain copy,
// or that is not sent as one object, gets no twin.
func TestTwinRefuses(t *testing.T) {
	var nilPtr *twinAll
	for _, v := range []any{
		twinOmitEmpty{}, twinOmitZero{}, twinSkipped{}, twinUnexported{}, twinEmbedded{}, twinRequired{},
		twinNamed{}, twinNamedSlice{}, twinTime{}, twinPointer{}, twinMap{}, twinNested{}, twinBytes{},
		twinPositional{}, twinInterface{}, twinArray{}, twinSliceType{}, twinFloat32{}, twinFloat32s{},
		twinPtrText{}, &twinPtrText{}, twinValueText{}, twinUnmarshal{},
		nilPtr, 1, "s", []int{1}, map[string]any{"a": 1}, nil,
	} {
		if twin, ok := codec.Twin(v); ok {
			t.Errorf("Twin(%T) = %#v, want none", v, twin)
		}
	}
}

// BenchmarkTwinCopy is what Twin costs for internal/bench's 10-field
// struct: what a typed call that ends up not handed over pays for nothing.
func BenchmarkTwinCopy(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := codec.Twin(flat10); !ok {
			b.Fatal("refused")
		}
	}
}
