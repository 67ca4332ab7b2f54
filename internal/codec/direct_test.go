package codec_test

import (
	"fmt"
	"math"
	"math/rand"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"testing/quick"
	"time"

	"github.com/gammazero/nexus/v3/transport/serialize"
	"github.com/gammazero/nexus/v3/wamp"

	"github.com/wampkit/wampkit/internal/codec"
	"github.com/wampkit/wampkit/internal/wire"
)

// The direct path (codec.EncodeDirect into a wire.Sink) must put on the
// wire what the map path (codec.Encode, then the serializer) puts there:
// both frames are decoded and compared, for every serializer.

type directInner struct {
	N    int     `json:"n"`
	F    float32 `json:"f,omitempty"`
	Tags []string
}

type namedFloat float32
type namedString string
type namedInt int16

type directEmbedded struct {
	Deep string `wamp:"deep"`
}

type directWide struct {
	*directEmbedded
	ID      int64             `json:"id"`
	Name    string            `json:"name"`
	Score   float64           `json:"score"`
	Ratio   float32           `json:"ratio"`
	Named   namedFloat        `json:"named"`
	Label   namedString       `json:"label"`
	Small   namedInt          `json:"small"`
	U8      uint8             `json:"u8"`
	U       uint64            `json:"u"`
	On      bool              `json:"on,omitempty"`
	Blob    []byte            `json:"blob"`
	Grid    [2]int            `json:"grid"`
	Ptr     *directInner      `json:"ptr"`
	Inner   directInner       `json:"inner"`
	List    []directInner     `json:"list"`
	Counts  map[string]int    `json:"counts"`
	ByNum   map[int]string    `json:"by_num"`
	Any     any               `json:"any"`
	When    time.Time         `json:"when"`
	Addr    netip.Addr        `json:"addr,omitzero"`
	Skip    string            `json:"-"`
	Nested  map[string][]bool `json:"nested,omitempty"`
	private int
}

var directSerializers = []serialize.Serialization{serialize.JSON, serialize.MSGPACK, serialize.CBOR}

// viaMaps is the frame the map path gives for v, decoded.
func viaMaps(t *testing.T, ser *wire.Serializer, v any) wamp.List {
	t.Helper()
	args, kwargs, err := codec.Encode(v)
	if err != nil || kwargs != nil || len(args) != 1 {
		t.Fatalf("map path: %v args, %v kwargs, %v", len(args), kwargs, err)
	}
	return roundTrip(t, ser, args)
}

func roundTrip(t *testing.T, ser *wire.Serializer, args wamp.List) wamp.List {
	t.Helper()
	frame, err := ser.Serialize(&wamp.Yield{Request: 7, Options: wamp.Dict{}, Arguments: args})
	if err != nil {
		t.Fatalf("serialize: %v", err)
	}
	msg, err := ser.Deserialize(frame)
	if err != nil {
		t.Fatal(err)
	}
	y, ok := msg.(*wamp.Yield)
	if !ok {
		t.Fatalf("decoded %T", msg)
	}
	return y.Arguments
}

// viaDirect is the frame the direct path gives for v, decoded, and whether
// it took v.
func viaDirect(t *testing.T, ser *wire.Serializer, v any) (wamp.List, bool) {
	t.Helper()
	sink := ser.Sink(nil)
	if !codec.EncodeDirect(sink, v) {
		return nil, false
	}
	raw, ok := sink.Raw()
	if !ok {
		t.Fatal("EncodeDirect took a value its sink failed on")
	}
	return roundTrip(t, ser, wamp.List{raw}), true
}

// checkDirectEncode sends v both ways with ser: the direct path must take
// it and put on the wire what the map path puts there.
func checkDirectEncode(t *testing.T, ser *wire.Serializer, v any, what string) {
	t.Helper()
	want := viaMaps(t, ser, v)
	got, ok := viaDirect(t, ser, v)
	if !ok {
		t.Fatalf("%s: the direct path declined it", what)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\ndirect %#v\nmaps   %#v", what, got, want)
	}
}

func TestEncodeDirectMatchesTheMapPath(t *testing.T) {
	emb := &directEmbedded{Deep: "down"}
	values := map[string]any{
		"zero": directWide{},
		"full": &directWide{directEmbedded: emb, ID: -1 << 40, Name: "a\"b<c>\u2028\xff", Score: 1e21, Ratio: 0.1,
			Named: 2.5, Label: "l", Small: -3, U8: 255, U: math.MaxUint64, On: true, Blob: []byte{0, 1, 2}, Grid: [2]int{1, 2},
			Ptr: &directInner{N: 1, F: 1.5, Tags: []string{}}, Inner: directInner{Tags: []string{"x", "y"}},
			List: []directInner{{N: 2}, {N: 3, Tags: nil}}, Counts: map[string]int{"a": 1, "b": 2},
			ByNum: map[int]string{4: "four"}, Any: map[string]any{"k": []any{1, "two", nil, 3.5}},
			When: time.Date(2026, 12, 1, 12, 0, 0, 5, time.UTC), Addr: netip.MustParseAddr("::1"), Skip: "no",
			Nested: map[string][]bool{"t": {true, false}}, private: 9},
		"flat": struct {
			A string
			B int
		}{"x", 1},
		"empty": struct{}{},
		// a promoted field of a struct embedded by value: the two-pass path
		"embedded": struct {
			directEmbedded
			X int `json:"x,omitempty"`
			Y int `json:"y"`
		}{directEmbedded{Deep: "by value"}, 0, 2},
	}
	for _, s := range directSerializers {
		ser, err := wire.NewSerializer(s)
		if err != nil {
			t.Fatal(err)
		}
		for name, v := range values {
			checkDirectEncode(t, ser, v, fmt.Sprintf("serialization %d, %s", s, name))
		}
	}
}

// generated is a wide struct testing/quick fills, for comparing the
// direct paths with the map path on random values.
type generated struct {
	A int8
	B uint32
	C float64
	D float32
	E string
	F []int16
	G map[string]uint16
	H *string
	I [3]bool
	J []map[string]float64
	K directInner
	L []byte
	M *directInner
}

// TestEncodeDirectMatchesOnRandomValues compares the paths on generated
// values of a wide struct.
func TestEncodeDirectMatchesOnRandomValues(t *testing.T) {
	rnd := rand.New(rand.NewSource(1))
	for _, s := range directSerializers {
		ser, _ := wire.NewSerializer(s)
		for range 300 {
			rv, ok := quick.Value(reflect.TypeFor[generated](), rnd)
			if !ok {
				t.Fatal("quick.Value")
			}
			v := rv.Interface()
			checkDirectEncode(t, ser, v, fmt.Sprintf("serialization %d, %#v", s, v))
		}
	}
}

type directCycle struct {
	Next *directCycle
}

// TestEncodeDirectDeclines checks that what the direct path must not judge
// goes back to the map path: the caller of EncodeDirect then encodes it
// there, which sends it or says what is wrong.
func TestEncodeDirectDeclines(t *testing.T) {
	deep := &directCycle{}
	for c, i := deep, 0; i < 200; i++ {
		c.Next = &directCycle{}
		c = c.Next
	}
	loop := &directCycle{}
	loop.Next = loop
	cases := map[string]any{
		"NaN":      struct{ X float64 }{math.NaN()},
		"infinity": struct{ X []float32 }{[]float32{float32(math.Inf(-1))}},
		"positional": struct {
			A int `wamp:"#0"`
		}{1},
		"channel":    struct{ C chan int }{make(chan int)},
		"deep":       deep,
		"cycle":      loop,
		"not struct": []int{1},
		"string":     "hello",
		"nil ptr":    (*directWide)(nil),
		"time":       time.Now(),
		"complex":    struct{ C complex64 }{1},
	}
	ser, _ := wire.NewSerializer(serialize.MSGPACK)
	for name, v := range cases {
		if codec.DirectCandidate(v) && name != "NaN" && name != "infinity" && name != "channel" && name != "deep" && name != "cycle" && name != "complex" && name != "nil ptr" {
			t.Errorf("%s: DirectCandidate says yes", name)
		}
		if codec.EncodeDirect(ser.Sink(nil), v) {
			t.Errorf("%s: the direct path took it", name)
		}
	}
}

// TestRawGoesThroughTheFallback checks that a message carrying a Raw value
// that the fast path declines for another reason (an option of a type it
// does not take) still goes out whole, through the fallback serializer.
func TestRawGoesThroughTheFallback(t *testing.T) {
	type odd struct{ X int }
	v := &directWide{Name: "n", Counts: map[string]int{"c": 3}}
	for _, s := range directSerializers {
		ser, _ := wire.NewSerializer(s)
		sink := ser.Sink(nil)
		if !codec.EncodeDirect(sink, v) {
			t.Fatal("declined")
		}
		raw, _ := sink.Raw()
		frame, err := ser.Serialize(&wamp.Call{Request: 1, Options: wamp.Dict{"x": odd{1}}, Procedure: "p", Arguments: wamp.List{raw}})
		if err != nil {
			t.Fatalf("serialization %d: %v", s, err)
		}
		msg, _ := ser.Deserialize(frame)
		c, ok := msg.(*wamp.Call)
		if !ok {
			t.Fatalf("serialization %d: decoded %T", s, msg)
		}
		if want := viaMaps(t, ser, v); !reflect.DeepEqual(c.Arguments, want) {
			t.Errorf("serialization %d: fallback sent %#v, want %#v", s, c.Arguments, want)
		}
		back, err := wire.Unraw(wamp.List{raw})
		if err != nil || !reflect.DeepEqual(wamp.List(back), viaMaps(t, ser, v)) {
			t.Errorf("serialization %d: Unraw gave %#v, %v", s, back, err)
		}
		// Another serializer reads it back rather than splice it.
		other, _ := wire.NewSerializer(directSerializers[(int(s))%3])
		frame, err = other.Serialize(&wamp.Call{Request: 1, Options: wamp.Dict{}, Procedure: "p", Arguments: wamp.List{raw}})
		if err != nil {
			t.Fatalf("serialization %d into another: %v", s, err)
		}
		if strings.Contains(string(frame), "wire.Raw") {
			t.Errorf("serialization %d: the Raw value itself was written", s)
		}
	}
}

type pointerText struct{ A int }

func (t *pointerText) MarshalText() ([]byte, error) { return []byte("tok"), nil }

type embedsPointerText struct {
	pointerText
	B int
}

type flipping struct{ n *int }

// IsZero answers differently each time it is asked.
func (f flipping) IsZero() bool { *f.n++; return *f.n%2 == 0 }

// TestEncodeDirectReviewCases: what a review found the direct path got
// wrong at first.
func TestEncodeDirectReviewCases(t *testing.T) {
	ser, _ := wire.NewSerializer(serialize.JSON)
	// A struct whose pointer has MarshalText goes as its text: declined.
	for _, v := range []any{pointerText{A: 1}, &pointerText{A: 1}, embedsPointerText{B: 2}} {
		if codec.DirectCandidate(v) || codec.EncodeDirect(ser.Sink(nil), v) {
			t.Errorf("%T: the direct path took a value the map path sends as text", v)
		}
	}
	// A non-finite float inside a value written as the map path builds it
	// (a map with integer keys): declined, for the client to refuse.
	for _, v := range []any{
		struct{ M map[int]float64 }{map[int]float64{1: math.NaN()}},
		struct{ M map[int]any }{map[int]any{1: []any{math.Inf(1)}}},
	} {
		if codec.EncodeDirect(ser.Sink(nil), v) {
			t.Errorf("%#v: the direct path took a non-finite float", v)
		}
	}
	// An IsZero that answers differently twice: the object's head and its
	// entries agree.
	n := 0
	v := struct {
		F flipping `json:"f,omitzero"`
		G int      `json:"g"`
	}{F: flipping{&n}, G: 1}
	for _, s := range directSerializers {
		ser, _ := wire.NewSerializer(s)
		got, ok := viaDirect(t, ser, v)
		if !ok {
			t.Fatal("declined")
		}
		m, _ := got[0].(map[string]any)
		if m == nil || m["g"] == nil {
			t.Errorf("serialization %d: decoded %#v", s, got)
		}
	}
}
