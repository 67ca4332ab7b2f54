package codec_test

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/wampkit/wampkit/internal/codec"
	"github.com/wampkit/wampkit/internal/outgoing"
)

type measureScalars struct {
	ID      int64   `json:"id"`
	Name    string  `json:"name"`
	Age     int     `json:"age"`
	Score   float64 `json:"score"`
	Ratio   float32 `json:"ratio"`
	Active  bool    `json:"active"`
	Level   uint32  `json:"level"`
	Small   int8    `json:"small"`
	Skipped string  `json:"skipped,omitempty"`
	Zero    int     `json:"zero,omitzero"`
}

type measureNested struct {
	measureScalars
	Tags    []string          `json:"tags"`
	Nums    []float64         `json:"nums"`
	Inner   *measureScalars   `json:"inner"`
	Map     map[string]int    `json:"map"`
	Any     any               `json:"any"`
	When    time.Time         `json:"when"`
	Bytes   []byte            `json:"bytes"`
	Raw     json.Number       `json:"raw"`
	Dur     time.Duration     `json:"dur"`
	Named   measureTags       `json:"named"`
	List    []measureScalars  `json:"list"`
	ByKey   map[string][]bool `json:"by_key"`
	Unicode string            `json:"ünï\"code"`
}

type measureTags []string

type measurePositional struct {
	A int    `wamp:"#0"`
	B string `json:"b"`
}

// walked is what the client's own walk finds of a payload.
func walked(t *testing.T, args []any, kwargs map[string]any) outgoing.Measure {
	t.Helper()
	var w outgoing.Walker
	if err := w.List(args, 1); err != nil {
		t.Fatalf("walk args: %v", err.Problem)
	}
	if err := w.Dict(kwargs, 1); err != nil {
		t.Fatalf("walk kwargs: %v", err.Problem)
	}
	return w.Measure
}

func randomScalars(r *rand.Rand) measureScalars {
	floats := []float64{0, -0.5, 1e300, math.NaN(), math.Inf(-1), r.NormFloat64()}
	return measureScalars{
		ID: r.Int64() - r.Int64(), Name: strings.Repeat("é", r.IntN(40)), Age: r.IntN(200),
		Score: floats[r.IntN(len(floats))], Ratio: float32(r.Float64()), Active: r.IntN(2) == 0,
		Level: r.Uint32(), Small: int8(r.IntN(256) - 128),
		Skipped: strings.Repeat("s", r.IntN(2)), Zero: r.IntN(2),
	}
}

func randomNested(r *rand.Rand) measureNested {
	n := measureNested{measureScalars: randomScalars(r), Unicode: "\x00\u2028"}
	for range r.IntN(5) {
		n.Tags = append(n.Tags, strings.Repeat("t", r.IntN(10)))
		n.Nums = append(n.Nums, r.Float64())
		n.List = append(n.List, randomScalars(r))
	}
	if r.IntN(2) == 0 {
		in := randomScalars(r)
		n.Inner = &in
		n.Map = map[string]int{"a": 1, "bb": r.Int()}
		n.Any = []any{1, "x", map[string]any{"k": 2.5, "n": nil}}
		n.When = time.Unix(r.Int64N(1<<40), r.Int64N(1e9)).UTC()
		n.Bytes = make([]byte, r.IntN(64))
		n.Raw = "12.5"
		n.Dur = time.Duration(r.Int64())
		n.Named = measureTags{"x", "y"}
		n.ByKey = map[string][]bool{"k": {true, false}}
	}
	return n
}

// TestEncodeFreshMeasuresAsTheWalker: what EncodeFresh measures of a
// payload while building it is exactly what the client's walk of the built
// payload finds (the client sends a measured payload without walking it),
// for structs of every kind of field, with NaN and infinities, omitted
// fields, nested and embedded structs; and shapes it does not measure say
// so.
func TestEncodeFreshMeasuresAsTheWalker(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	measured := 0
	check := func(v any) {
		t.Helper()
		args, kwargs, b, err := codec.EncodeFresh(v)
		if err != nil {
			t.Fatalf("EncodeFresh(%T): %v", v, err)
		}
		if !b.Measured {
			return
		}
		measured++
		if want := walked(t, args, kwargs); b.Measure != want {
			t.Fatalf("EncodeFresh(%+v) measured %+v; the walk finds %+v", v, b.Measure, want)
		}
	}
	for range 2000 {
		s := randomScalars(r)
		check(s)
		check(&s)
		n := randomNested(r)
		check(n)
		check(&n)
	}
	if measured != 8000 {
		t.Fatalf("%d of 8000 structs were measured", measured)
	}

	// A struct sent as an object is measured; other shapes are walked by
	// the client.
	for _, tc := range []struct {
		v    any
		want bool
	}{
		{measureScalars{}, true},
		{&measureNested{}, true},
		{measurePositional{A: 1, B: "b"}, false},
		{map[string]int{"a": 1}, false},
		{[]int{1, 2}, false},
		{"text", false},
		{nil, false},
	} {
		if _, _, b, err := codec.EncodeFresh(tc.v); err != nil || b.Measured != tc.want {
			t.Errorf("EncodeFresh(%#v): measured %v, %v; want measured %v", tc.v, b.Measured, err, tc.want)
		}
	}
	// NaN is measured and flagged: the client walks such a payload itself
	// when it sends JSON, to say where the NaN is.
	_, _, b, err := codec.EncodeFresh(measureScalars{Score: math.NaN()})
	if err != nil || !b.Measured || !b.NonFinite {
		t.Errorf("EncodeFresh with a NaN field: %+v, %v; want measured, NonFinite", b, err)
	}
}
