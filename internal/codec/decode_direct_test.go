package codec_test

import (
	"math"
	"math/rand"
	"net/netip"
	"reflect"
	"testing"
	"testing/quick"
	"time"

	"github.com/gammazero/nexus/v3/transport/serialize"
	"github.com/gammazero/nexus/v3/wamp"

	"github.com/wampkit/wampkit/internal/codec"
	"github.com/wampkit/wampkit/internal/wire"
)

// valueSource is a codec.Source over values as a serializer's decoder gives
// them, so that DecodeDirect is checked against DecodeResult on the very
// same input.
type valueSource struct {
	stack  [][]any // the values still to read, innermost last
	keys   [][]string
	failed bool
}

func newValueSource(v any) *valueSource {
	return &valueSource{stack: [][]any{{v}}, keys: [][]string{nil}}
}

func (s *valueSource) peek() (any, bool) {
	top := s.stack[len(s.stack)-1]
	if len(top) == 0 {
		s.failed = true
		return nil, false
	}
	return top[0], true
}

func (s *valueSource) take() any {
	v, ok := s.peek()
	if ok {
		s.stack[len(s.stack)-1] = s.stack[len(s.stack)-1][1:]
	}
	return v
}

func (s *valueSource) Next() codec.Kind {
	v, ok := s.peek()
	if !ok {
		return codec.KindOther
	}
	switch x := v.(type) {
	case nil:
		return codec.KindNil
	case bool:
		return codec.KindBool
	case int64:
		return codec.KindInt
	case uint64:
		if x > math.MaxInt64 {
			return codec.KindUint
		}
	case float64:
		return codec.KindFloat
	case string:
		return codec.KindString
	case []any:
		return codec.KindList
	case map[string]any:
		return codec.KindDict
	}
	return codec.KindOther
}

func (s *valueSource) Nil()           { s.take() }
func (s *valueSource) Bool() bool     { b, _ := s.take().(bool); return b }
func (s *valueSource) Int() int64     { i, _ := s.take().(int64); return i }
func (s *valueSource) Uint() uint64   { u, _ := s.take().(uint64); return u }
func (s *valueSource) Float() float64 { f, _ := s.take().(float64); return f }
func (s *valueSource) String() string { x, _ := s.take().(string); return x }
func (s *valueSource) Value() (any, bool) {
	_, ok := s.peek()
	return s.take(), ok
}

func (s *valueSource) List() int {
	l, _ := s.take().([]any)
	s.stack = append(s.stack, l)
	s.keys = append(s.keys, nil)
	return len(l)
}

func (s *valueSource) Dict() int {
	m, _ := s.take().(map[string]any)
	var vals []any
	var keys []string
	for k, v := range m {
		keys = append(keys, k)
		vals = append(vals, v)
	}
	s.stack = append(s.stack, vals)
	s.keys = append(s.keys, keys)
	return len(m)
}

func (s *valueSource) More(i, n int) bool {
	if i < n {
		return true
	}
	s.stack, s.keys = s.stack[:len(s.stack)-1], s.keys[:len(s.keys)-1]
	return false
}

func (s *valueSource) Key() ([]byte, bool) {
	k := s.keys[len(s.keys)-1]
	if len(k) == 0 {
		s.failed = true
		return nil, false
	}
	s.keys[len(s.keys)-1] = k[1:]
	return []byte(k[0]), true
}

func (s *valueSource) Done() bool { return !s.failed && len(s.stack) == 1 && len(s.stack[0]) == 0 }

// checkDirectDecode decodes obj, args[0] as a serializer gave it, into a new
// T both ways: the direct path must decode what DecodeResult decodes, or
// decline.
func checkDirectDecode[T any](t *testing.T, obj any, wantDirect bool) {
	t.Helper()
	var want, got T
	werr := codec.DecodeResult([]any{obj}, nil, &want)
	if !codec.DecodeDirect(newValueSource(obj), &got) {
		if wantDirect {
			t.Fatalf("%T: the direct path declined %#v (map path: %v)", got, obj, werr)
		}
		return
	}
	if werr != nil {
		t.Fatalf("%T: the direct path took %#v, which the map path refuses: %v", got, obj, werr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%T from %#v:\ndirect %#v\nmaps   %#v", got, obj, got, want)
	}
	var args T
	if err := codec.DecodeArgs([]any{obj}, nil, &args); err != nil || !reflect.DeepEqual(args, got) {
		t.Fatalf("%T: DecodeArgs gives %#v (%v), the direct path %#v", got, args, err, got)
	}
}

// wireValue is v encoded by the map path and decoded by a serializer: what
// a typed receiver gets as args[0].
func wireValue(t *testing.T, s serialize.Serialization, v any) any {
	t.Helper()
	ser, err := wire.NewSerializer(s)
	if err != nil {
		t.Fatal(err)
	}
	return viaMaps(t, ser, v)[0]
}

func TestDecodeDirectMatchesTheMapPath(t *testing.T) {
	full := directWide{directEmbedded: &directEmbedded{Deep: "down"}, ID: -1 << 40, Name: "n\u2028", Score: 1e21, Ratio: 0.1,
		Named: 2.5, Label: "l", Small: -3, U8: 255, U: math.MaxUint64, On: true, Blob: []byte{0, 1, 2}, Grid: [2]int{1, 2},
		Ptr: &directInner{N: 1, F: 1.5, Tags: []string{}}, Inner: directInner{Tags: []string{"x", "y"}},
		List: []directInner{{N: 2}, {N: 3}}, Counts: map[string]int{"a": 1, "b": 2}, ByNum: map[int]string{4: "four"},
		Any: map[string]any{"k": []any{int64(1), "two", nil, 3.5}}, When: time.Date(2026, 12, 1, 12, 0, 0, 5, time.UTC),
		Addr: netip.MustParseAddr("::1"), Nested: map[string][]bool{"t": {true, false}}}
	for _, s := range directSerializers {
		checkDirectDecode[directWide](t, wireValue(t, s, full), true)
		checkDirectDecode[directWide](t, wireValue(t, s, directWide{}), true)
		checkDirectDecode[*directWide](t, wireValue(t, s, full), true)
	}
	// Received values no encoder here writes.
	for _, obj := range []map[string]any{
		{"id": 3.0, "u": int64(7), "score": int64(2), "ratio": nil, "list": []any{}, "counts": nil},
		{"name": []byte("bin"), "small": int64(-32768), "u8": int64(0), "u": uint64(math.MaxUint64)},
	} {
		checkDirectDecode[directWide](t, obj, true)
	}
	// What the direct path declines, and the map path then reports or
	// takes: out of range, a fraction, a mismatch, a key by another case,
	// an unknown key.
	for _, obj := range []map[string]any{
		{"u8": int64(256)}, {"id": 1.5}, {"name": int64(1)}, {"NAME": "x"}, {"nope": 1},
		{"small": uint64(math.MaxUint64)}, {"ratio": 1e300}, {"inner": "x"}, {"list": map[string]any{}},
	} {
		checkDirectDecode[directWide](t, obj, false)
	}
}

func TestDecodeDirectMatchesOnRandomValues(t *testing.T) {
	rnd := rand.New(rand.NewSource(2))
	for _, s := range directSerializers {
		for range 300 {
			rv, ok := quick.Value(reflect.TypeFor[generated](), rnd)
			if !ok {
				t.Fatal("quick.Value")
			}
			checkDirectDecode[generated](t, wireValue(t, s, rv.Interface()), true)
		}
	}
}

func TestDecodeDirectDeclinesTargets(t *testing.T) {
	obj := map[string]any{"A": int64(1)}
	type required struct {
		A int `wamp:",required"`
	}
	type positional struct {
		A int `wamp:"#0"`
	}
	for name, dst := range map[string]any{
		"required": new(required), "positional": new(positional), "map": new(map[string]any),
		"time": new(time.Time), "not a pointer": required{}, "nil": (*required)(nil),
	} {
		if codec.DecodeDirect(newValueSource(obj), dst) {
			t.Errorf("%s: the direct path took it", name)
		}
	}
}

// keptRaw is v sent by the map path as a RESULT and read back by a
// serializer that keeps the object undecoded (wire.Serializer.KeepRaw).
func keptRaw(t *testing.T, s serialize.Serialization, v any) wire.Raw {
	t.Helper()
	ser, _ := wire.NewSerializer(s)
	args, _, err := codec.Encode(v)
	if err != nil {
		t.Fatal(err)
	}
	frame, err := ser.Serialize(&wamp.Result{Request: 1, Details: wamp.Dict{}, Arguments: args})
	if err != nil {
		t.Fatal(err)
	}
	keep, _ := wire.NewSerializer(s)
	keep.KeepRaw()
	msg, _ := keep.Deserialize(frame)
	res, ok := msg.(*wamp.Result)
	if !ok || len(res.Arguments) != 1 {
		t.Fatalf("decoded %#v", msg)
	}
	raw, ok := res.Arguments[0].(wire.Raw)
	if !ok {
		t.Fatalf("serialization %d kept %T", s, res.Arguments[0])
	}
	return raw
}

// TestDecodeDirectThroughTheWireReader: the direct decoder reading a kept
// object through wire.RawReader decodes what DecodeResult decodes of the
// same frame decoded into values, for every serializer.
func TestDecodeDirectThroughTheWireReader(t *testing.T) {
	rnd := rand.New(rand.NewSource(3))
	for _, s := range directSerializers {
		for i := range 200 {
			type sample struct {
				ID     int64
				Name   string
				Score  float64
				Ratio  float32
				U      uint64
				Counts map[string]int
				List   []directInner
				Ptr    *directInner
			}
			var v directWide
			if i > 0 {
				rv, _ := quick.Value(reflect.TypeFor[sample](), rnd)
				g := rv.Interface().(sample)
				v = directWide{ID: g.ID, Name: g.Name, Score: g.Score, Ratio: g.Ratio, U: g.U, Counts: g.Counts, List: g.List, Ptr: g.Ptr,
					Blob: []byte(g.Name), When: time.Unix(g.ID%1e9, 0).UTC(), Any: g.Counts}
			}
			raw := keptRaw(t, s, v)
			value, err := raw.Value()
			if err != nil {
				t.Fatal(err)
			}
			var want, got directWide
			mustNot(t, codec.DecodeResult([]any{value}, nil, &want))
			var rd wire.RawReader
			raw.Reader(&rd)
			if !codec.DecodeDirect(&rd, &got) {
				t.Fatalf("serialization %d: the direct path declined %#v", s, value)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("serialization %d:\ndirect %#v\nmaps   %#v", s, got, want)
			}
		}
	}
}

func mustNot(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestDecodeDirectReviewCases: what a review found the direct decoder got
// wrong at first: a repeated key (which the serializer's decoder leaves to
// nexus, merging or refusing) is declined, and a null for a struct whose
// tags are bad is the map path's error.
func TestDecodeDirectReviewCases(t *testing.T) {
	keep, _ := wire.NewSerializer(serialize.MSGPACK)
	keep.KeepRaw()
	kept := func(dict []byte) wire.Raw {
		frame := append([]byte{0x94, 50, 1, 0x80, 0x91}, dict...) // [RESULT, 1, {}, [dict]]
		msg, _ := keep.Deserialize(frame)
		res, ok := msg.(*wamp.Result)
		if !ok {
			t.Fatalf("decoded %#v", msg)
		}
		raw, ok := res.Arguments[0].(wire.Raw)
		if !ok {
			t.Fatalf("kept %T", res.Arguments[0])
		}
		return raw
	}
	type ab struct {
		A int            `json:"a"`
		M map[string]int `json:"m"`
	}
	for name, dict := range map[string][]byte{
		"field twice":   {0x82, 0xa1, 'a', 0x01, 0xa1, 'a', 0x02},
		"map key twice": {0x81, 0xa1, 'm', 0x82, 0xa1, 'x', 0x01, 0xa1, 'x', 0x02},
	} {
		var rd wire.RawReader
		kept(dict).Reader(&rd)
		var got ab
		if codec.DecodeDirect(&rd, &got) {
			t.Errorf("%s: the direct path took it: %+v", name, got)
		}
	}
	type bad struct {
		X int `wamp:"#x"`
	}
	var in struct {
		In bad `json:"in"`
	}
	if codec.DecodeDirect(newValueSource(map[string]any{"in": nil}), &in) {
		t.Error("a null for a struct with bad tags: the direct path took it")
	}
}
