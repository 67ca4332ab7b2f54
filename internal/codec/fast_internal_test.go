package codec

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
)

type namedString string

// fastListInputs are decoded by the fast list decoders and by the general
// one, whose results must not differ: the common elements, each element
// the fast path hands to the element decoder (null, other types, numbers
// that do not fit), and inputs that are not a received list at all.
var fastListInputs = []any{
	nil,
	[]any{},
	[]any{"math", "engines"},
	[]any{"a", nil, "c"},
	[]any{"a", uint64(1)},
	[]any{[]byte("bytes"), namedString("named")},
	[]any{uint64(1), int64(-2), 3.0, int8(-4), uint32(5), json.Number("6")},
	[]any{uint64(math.MaxUint64)},
	[]any{3.5},
	[]any{uint64(1<<53 + 1)},
	[]any{int64(math.MinInt64), 1e300, math.Inf(1)},
	[]any{true},
	[]any{map[any]any{"k": []any{map[any]any{1: "x"}}}, map[string]any{"k": nil}, []any{}},
	[]string{"go", "slice"},
	[]int{1, 2},
	"not a list",
	map[string]any{"k": "v"},
}

// checkFastList decodes every input into a T (which starts from
// start()) through decoderFor, which takes the fast path, and through the
// general listDecoder.
func checkFastList[T any](t *testing.T, start func() T) {
	t.Helper()
	typ := reflect.TypeFor[T]()
	fast, general := decoderFor(typ), listDecoder(typ)
	for _, d := range []*decodeState{looseState, strictState} {
		for _, in := range fastListInputs {
			a, b := start(), start()
			ea := fast(d, in, reflect.ValueOf(&a).Elem()).finish("x")
			eb := general(d, in, reflect.ValueOf(&b).Elem()).finish("x")
			if !reflect.DeepEqual(a, b) { // tells a nil slice from an empty one
				t.Errorf("%s from %#v: fast path gives %#v, general %#v", typ, in, a, b)
			}
			if (ea == nil) != (eb == nil) || (ea != nil && ea.Error() != eb.Error()) {
				t.Errorf("%s from %#v: fast path error %v, general %v", typ, in, ea, eb)
			}
		}
	}
}

func TestFastListsDecodeAsGeneral(t *testing.T) {
	checkFastList(t, func() []string { return []string{"old"} })
	checkFastList(t, func() []int { return []int{-1} })
	checkFastList(t, func() []int64 { return nil })
	checkFastList(t, func() []float64 { return []float64{1.5} })
	checkFastList(t, func() []any { return []any{"old"} })
}

// TestFastListEmptyNotNil pins what the comparison above relies on: an
// empty list gives an empty slice, null a nil one.
func TestFastListEmptyNotNil(t *testing.T) {
	var s []string
	if err := DecodeValue([]any{}, &s); err != nil || s == nil || len(s) != 0 {
		t.Fatalf("empty list: got %#v, %v; want an empty non-nil slice", s, err)
	}
	s = []string{"old"}
	if err := DecodeValue(nil, &s); err != nil || s != nil {
		t.Fatalf("null: got %#v, %v; want nil", s, err)
	}
}

type namedFloat float32

// textString has text methods, so it is no scalar: its fields must keep
// going through UnmarshalText and MarshalText.
type textString string

func (s *textString) UnmarshalText(b []byte) error { *s = textString("text:" + string(b)); return nil }
func (s textString) MarshalText() ([]byte, error)  { return []byte("marshalled:" + s), nil }

// scalars has a field of every kind fastDecode and fastEncode take, named
// and predeclared, required and omitempty, and one that they must not take.
type scalars struct {
	B   bool
	S   string
	NS  namedString
	I   int
	I8  int8
	I16 int16 `wamp:"i16,required"`
	I32 int32
	I64 int64
	U   uint
	U8  uint8
	U16 uint16 `json:",omitempty"`
	U32 uint32
	U64 uint64
	UP  uintptr
	F32 float32
	F64 float64
	NF  namedFloat `json:",omitzero"`
	Txt textString
}

// scalarInputs are every field's received values: each kind, numbers that
// fit some widths and not others, null, and values that are no scalar.
var scalarInputs = []any{
	nil, true, false, "", "s", []byte("b"), namedString("n"), json.Number("7"), json.Number("x"),
	uint64(1), int64(-1), 0.0, 3.0, 3.5, float32(1.5), int8(-3), uint16(9), int32(1 << 20),
	uint64(300), int64(-129), uint64(1 << 31), int64(-1 << 31), uint64(1<<32 + 1),
	uint64(math.MaxUint64), int64(math.MinInt64), uint64(1<<53 + 1), 1e300, -1e300, math.Inf(-1),
	math.MaxFloat32, math.SmallestNonzeroFloat64, []any{"x"}, map[string]any{"k": "v"},
	namedFloat(2.5), ID(5),
}

// ID is a named uint64 received as such from a local peer.
type ID uint64

// slowPlan is buildPlan(t) with no scalars: every field goes through its
// type's decoder and encoder, as before there was a fast path.
func slowPlan(t reflect.Type) *structPlan {
	p := buildPlan(t)
	for _, f := range p.fields {
		f.scalar = notScalar
	}
	return p
}

func decodeWithPlan(p *structPlan, d *decodeState, m map[string]any, v reflect.Value) error {
	v.SetZero()
	seen := newSeen(len(p.fields))
	e := d.decodeObject(p, m, v, &seen, false)
	if e == nil {
		e = p.missing(p.fields, &seen)
	}
	return e.finish("")
}

// same compares two decoded values; %#v also tells NaNs and types apart.
func same(a, b any) bool {
	return reflect.DeepEqual(a, b) || fmt.Sprintf("%#v", a) == fmt.Sprintf("%#v", b)
}

// TestScalarFieldsDecodeAsGeneral decodes every input into every field of
// scalars, by its exact name and by a case-insensitive one, loose and
// strict, with the fast path and without: the results and errors must be
// the same.
func TestScalarFieldsDecodeAsGeneral(t *testing.T) {
	typ := reflect.TypeFor[scalars]()
	fast, slow := planFor(typ), slowPlan(typ)
	fastFields := 0
	for _, f := range fast.fields {
		if f.scalar != notScalar {
			fastFields++
		}
	}
	if fastFields != len(fast.fields)-1 {
		t.Fatalf("%d of %d fields are scalars, want all but Txt", fastFields, len(fast.fields))
	}
	for _, d := range []*decodeState{looseState, strictState} {
		for _, f := range fast.fields {
			for _, key := range []string{f.name, strings.ToUpper(f.name)} {
				for _, in := range scalarInputs {
					m := map[string]any{key: in, "i16": int16(1)}
					if f.name == "i16" {
						delete(m, "i16")
						m[key] = in
					}
					var a, b scalars
					ea := decodeWithPlan(fast, d, m, reflect.ValueOf(&a).Elem())
					eb := decodeWithPlan(slow, d, m, reflect.ValueOf(&b).Elem())
					if !same(a, b) {
						t.Errorf("%s from %#v: fast path gives %#v, general %#v", key, in, a, b)
					}
					if (ea == nil) != (eb == nil) || (ea != nil && ea.Error() != eb.Error()) {
						t.Errorf("%s from %#v: fast path error %v, general %v", key, in, ea, eb)
					}
				}
			}
		}
	}
}

// TestScalarFieldsEncodeAsGeneral encodes values of scalars, addressable
// and not, with the fast path and without.
func TestScalarFieldsEncodeAsGeneral(t *testing.T) {
	typ := reflect.TypeFor[scalars]()
	fast, slow := planFor(typ), slowPlan(typ)
	values := []scalars{
		{},
		{B: true, S: "s", NS: "n", I: -1, I8: -8, I16: 16, I32: -32, I64: 1 << 40, U: 1, U8: 8, U16: 16,
			U32: 32, U64: math.MaxUint64, UP: 7, F32: 1.5, F64: -2.25, NF: 3, Txt: "t"},
	}
	for _, val := range values {
		for _, v := range []reflect.Value{reflect.ValueOf(val), reflect.ValueOf(&val).Elem()} {
			e := getEncodeState()
			a, ea := e.encodeFields(fast, fast.fields, v)
			b, eb := e.encodeFields(slow, slow.fields, v)
			putEncodeState(e)
			if ea != nil || eb != nil {
				t.Fatalf("encode %#v: errors %v, %v", val, ea, eb)
			}
			if !reflect.DeepEqual(a, b) {
				t.Errorf("encode %#v (addressable %v): fast path gives %#v, general %#v", val, v.CanAddr(), a, b)
			}
		}
	}
}

// checkPlainList encodes each value of T through encoderFor, which takes
// the plain element path, and through the general elemsEncoder, as a value
// and as an addressable one, and at the depth limit.
func checkPlainList[T any](t *testing.T, values ...T) {
	t.Helper()
	typ := reflect.TypeFor[T]()
	fast, general := encoderFor(typ), elemsEncoder(typ)
	for _, val := range values {
		for _, v := range []reflect.Value{reflect.ValueOf(val), reflect.ValueOf(&val).Elem()} {
			for _, depth := range []int{0, maxDepth - 1, maxDepth} {
				ea, eb := getEncodeState(), getEncodeState()
				ea.depth, eb.depth = depth, depth
				a, errA := fast(ea, v)
				b, errB := general(eb, v)
				putEncodeState(ea)
				putEncodeState(eb)
				if !reflect.DeepEqual(a, b) { // also compares the elements' types
					t.Errorf("%s %#v at depth %d: plain path gives %#v, general %#v", typ, val, depth, a, b)
				}
				if (errA == nil) != (errB == nil) || (errA != nil && errA.finish().Error() != errB.finish().Error()) {
					t.Errorf("%s %#v at depth %d: plain path error %v, general %v", typ, val, depth, errA, errB)
				}
			}
		}
	}
}

func TestPlainListsEncodeAsGeneral(t *testing.T) {
	checkPlainList(t, nil, []string{}, []string{"math", "", "engines"})
	checkPlainList(t, [2]string{"a", "b"}, [2]string{})
	checkPlainList(t, nil, []int{}, []int{0, -1, 1 << 40, 255, 256})
	checkPlainList(t, []int64{math.MinInt64, 7})
	checkPlainList(t, []float64{0, -2.5, math.Inf(1)})
	checkPlainList(t, []bool{true, false}, nil)
	checkPlainList(t, [0]bool{})
}
