package codec_test

import (
	"math"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/transport/serialize"
	"github.com/gammazero/nexus/v3/wamp"

	"github.com/wampkit/wampkit/internal/codec"
)

var serializers = []struct {
	name string
	s    serialize.Serializer
}{
	{"json", &serialize.JSONSerializer{}},
	{"msgpack", &serialize.MessagePackSerializer{}},
	{"cbor", &serialize.CBORSerializer{}},
}

// wireTrip sends args and kwargs through s as a CALL and returns what the
// other side reads.
func wireTrip(t testing.TB, s serialize.Serializer, args []any, kwargs map[string]any) ([]any, map[string]any) {
	t.Helper()
	b, err := s.Serialize(&wamp.Call{Request: 1, Options: wamp.Dict{}, Procedure: "p", Arguments: args, ArgumentsKw: kwargs})
	if err != nil {
		t.Fatalf("serialize: %v", err)
	}
	m, err := s.Deserialize(b)
	if err != nil {
		t.Fatalf("deserialize: %v", err)
	}
	c := m.(*wamp.Call)
	return c.Arguments, c.ArgumentsKw
}

type Everything struct {
	Signed   []int64           `json:"signed"`
	Unsigned []uint64          `json:"unsigned"`
	Small    []int8            `json:"small"`
	Floats   []float64         `json:"floats"`
	F32      float32           `json:"f32"`
	IDs      []ID              `json:"ids"`
	When     time.Time         `json:"when"`
	Blob     []byte            `json:"blob"`
	Key      [4]byte           `json:"key"`
	Addr     netip.Addr        `json:"addr"`
	ByNum    map[int]string    `json:"by_num"`
	Nested   map[string][]Opt  `json:"nested"`
	Ptr      *Opt              `json:"ptr"`
	Any      any               `json:"any"`
	Flags    map[string]bool   `json:"flags"`
	Text     string            `json:"text"`
	Friends  []User            `json:"friends"`
	Empty    []string          `json:"empty"`
	Optional *int              `json:"optional"`
	Attrs    map[string]string `json:"attrs"`
}

func everything() Everything {
	return Everything{
		Signed:   []int64{math.MinInt64, -1, 0, math.MaxInt64},
		Unsigned: []uint64{0, 255, 1<<53 + 1, math.MaxUint64},
		Small:    []int8{-128, 127},
		Floats:   []float64{0.1, -2.5e300, 3},
		F32:      1.25,
		IDs:      []ID{1, 1 << 53},
		When:     time.Date(2026, 3, 3, 9, 16, 37, 123456789, time.FixedZone("", -10*3600)),
		Blob:     []byte{0, 1, 2, 255},
		Key:      [4]byte{9, 8, 7, 6},
		Addr:     netip.MustParseAddr("192.0.2.1"),
		ByNum:    map[int]string{-3: "minus", 1 << 40: "big"},
		Nested:   map[string][]Opt{"x": {{Name: "a", Count: 1}}},
		Ptr:      &Opt{Name: "p"},
		Any:      map[string]any{"s": "t"},
		Flags:    map[string]bool{"on": true},
		Text:     "héllo \u0000 \"quoted\"",
		Friends:  []User{{Name: "f", Tags: []int{1, 2}, Friend: &User{Name: "g"}}},
		Empty:    []string{},
		Attrs:    map[string]string{"k": "v"},
	}
}

func TestRoundTripSerializers(t *testing.T) {
	want := everything()
	for _, ser := range serializers {
		t.Run(ser.name, func(t *testing.T) {
			// As kwargs (a struct In) and as args[0] (a result).
			args, kwargs, err := codec.Encode(want)
			if err != nil {
				t.Fatal(err)
			}
			wargs, _ := wireTrip(t, ser.s, args, kwargs)
			var got Everything
			if err := codec.DecodeResult(wargs, nil, &got, codec.Strict()); err != nil {
				t.Fatal(err)
			}
			compareEverything(t, got, want)

			obj, _ := codec.EncodeValue(want)
			_, wkw := wireTrip(t, ser.s, nil, obj.(map[string]any))
			got = Everything{}
			if err := codec.DecodeArgs(nil, wkw, &got, codec.Strict()); err != nil {
				t.Fatal(err)
			}
			compareEverything(t, got, want)
		})
	}
}

func compareEverything(t *testing.T, got, want Everything) {
	t.Helper()
	if !got.When.Equal(want.When) {
		t.Errorf("When = %v, want %v", got.When, want.When)
	}
	got.When, want.When = time.Time{}, time.Time{}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestRoundTripPositional(t *testing.T) {
	in := Add{A: -7, B: math.MaxInt32, Note: "n"}
	for _, ser := range serializers {
		t.Run(ser.name, func(t *testing.T) {
			args, kwargs, err := codec.Encode(in)
			if err != nil {
				t.Fatal(err)
			}
			wargs, wkw := wireTrip(t, ser.s, args, kwargs)
			var got Add
			if err := codec.DecodeArgs(wargs, wkw, &got, codec.Strict()); err != nil {
				t.Fatal(err)
			}
			if got != in {
				t.Fatalf("got %+v, want %+v", got, in)
			}
		})
	}
}

// TestUint64Exact checks IDs above 2^53 through the binary serializers, as a
// bare argument and inside an `any`.
func TestUint64Exact(t *testing.T) {
	ids := []uint64{1<<53 + 1, 1<<63 + 12345, math.MaxUint64}
	for _, ser := range serializers[1:] {
		t.Run(ser.name, func(t *testing.T) {
			for _, id := range ids {
				args, _, _ := codec.Encode(id)
				wargs, _ := wireTrip(t, ser.s, args, nil)
				var got uint64
				if err := codec.DecodeResult(wargs, nil, &got); err != nil || got != id {
					t.Fatalf("got %d, %v; want %d", got, err, id)
				}
				var gotAny any
				if err := codec.DecodeResult(wargs, nil, &gotAny); err != nil || gotAny != any(id) {
					t.Fatalf("any: got %#v, %v; want %d", gotAny, err, id)
				}
			}
		})
	}
}
