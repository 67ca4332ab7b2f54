package codec

import (
	"encoding/json"
	"math"
	"reflect"
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
