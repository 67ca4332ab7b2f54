package wire

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/gammazero/nexus/v3/transport/serialize"
	"github.com/gammazero/nexus/v3/wamp"

	"github.com/wampkit/wampkit/internal/codec"
)

// A RESULT or INVOCATION decoded with KeepRaw holds its one dictionary as a
// Raw; Raw.Value, and a walk through its RawReader, must give what the
// message decoded without KeepRaw holds.

// walk builds the value at rd as a generic direct decoder would, through
// Next and the typed methods, Value for KindOther.
func walk(rd *RawReader) (any, bool) {
	switch rd.Next() {
	case codec.KindNil:
		rd.Nil()
		return nil, true
	case codec.KindBool:
		return rd.Bool(), true
	case codec.KindInt:
		return rd.Int(), true
	case codec.KindUint:
		return rd.Uint(), true
	case codec.KindFloat:
		return rd.Float(), true
	case codec.KindString:
		return rd.String(), true
	case codec.KindList:
		n := rd.List()
		l := []any{}
		for i := 0; rd.More(i, n); i++ {
			v, ok := walk(rd)
			if !ok {
				return nil, false
			}
			l = append(l, v)
		}
		return l, true
	case codec.KindDict:
		n := rd.Dict()
		m := map[string]any{}
		for i := 0; rd.More(i, n); i++ {
			k, ok := rd.Key()
			if !ok {
				return nil, false
			}
			if m[string(k)], ok = walk(rd); !ok {
				return nil, false
			}
		}
		return m, true
	}
	return rd.Value()
}

// walkRaw reads all of r through a RawReader; false when it failed.
func walkRaw(r Raw) (any, bool) {
	var rd RawReader
	r.Reader(&rd)
	v, ok := walk(&rd)
	return v, ok && rd.Done()
}

// jsonEscapedKey reports whether v has a map key JSON writes with an
// escape, which RawReader.Key refuses.
func jsonEscapedKey(v any) bool {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			if jsonEscapedKey(e) {
				return true
			}
		}
	case map[string]any:
		for k, e := range x {
			if bytes.IndexByte(appendJSONString(nil, k), '\\') >= 0 || jsonEscapedKey(e) {
				return true
			}
		}
	}
	return false
}

// sameValue is reflect.DeepEqual, and %#v as well, for NaN.
func sameValue(a, b any) bool {
	return reflect.DeepEqual(a, b) || fmt.Sprintf("%#v", a) == fmt.Sprintf("%#v", b)
}

func serializerOf(f format) *Serializer {
	return mustSerializer(map[string]serialize.Serialization{"msgpack": serialize.MSGPACK, "json": serialize.JSON, "cbor": serialize.CBOR}[f.name])
}

func keepRawSerializer(f format) *Serializer {
	s := serializerOf(f)
	s.KeepRaw()
	return s
}

func arguments(m wamp.Message) wamp.List {
	switch x := m.(type) {
	case *wamp.Result:
		return x.Arguments
	case *wamp.Invocation:
		return x.Arguments
	}
	return nil
}

func setArguments(m wamp.Message, l wamp.List) {
	switch x := m.(type) {
	case *wamp.Result:
		x.Arguments = l
	case *wamp.Invocation:
		x.Arguments = l
	}
}

// kept wraps d, arguments to keep, in a RESULT or an INVOCATION.
func kept(r *rand.Rand, d map[string]any) wamp.Message {
	details := wamp.Dict{}
	if r.IntN(3) == 0 {
		details["progress"] = true
	}
	if r.IntN(2) == 0 {
		return &wamp.Result{Request: wamp.ID(r.Uint64() >> 11), Details: details, Arguments: wamp.List{d}}
	}
	return &wamp.Invocation{Request: wamp.ID(r.Uint64() >> 11), Registration: 7, Details: details, Arguments: wamp.List{d}}
}

// edgeDicts are dictionaries with every plain form and the unusual ones.
var edgeDicts = []map[string]any{
	{},
	{"": nil},
	{"id": 123456789, "name": "Ada Lovelace", "email": "ada@example.com", "age": 36, "score": 98.5,
		"active": true, "tags": []any{"math", "engines"}, "country": "UK", "created": "1843-07-10T00:00:00Z", "level": 7},
	{"big": uint64(math.MaxUint64), "max": int64(math.MaxInt64), "min": int64(math.MinInt64), "neg": -1, "u8": uint8(200)},
	{"f32": float32(1.5), "f64": 5e-324, "whole": 100.0, "tiny": 1e-7, "huge": 1e300, "nan": math.NaN()},
	{"bin": []byte{0, 1, 2, 0xff}, "empty": []byte{}, "nilbin": []byte(nil)},
	{"nested": map[string]any{"deep": []any{true, false, nil, map[string]any{"x": []any{}}}}, "list": []any{[]any{[]any{1}}}},
	{"é\U0001F600": "\u2028\u2029<>&\"\\/\x01\n\t", "\x00": "\x00", "nul": "\x00abc"},
	{"a<b": 1},
	{"nilmap": map[string]any(nil), "nillist": []any(nil)},
}

// wide is a struct-like payload for testing/quick.
type wide struct {
	I   int64
	U   uint64
	F   float64
	F32 float32
	S   string
	B   []byte
	T   bool
	L   []string
	M   map[string]int32
	N   []float64
}

func (w wide) dict() map[string]any {
	l := make([]any, len(w.L))
	for i, s := range w.L {
		l[i] = s
	}
	m := make(map[string]any, len(w.M))
	for k, v := range w.M {
		m[k] = v
	}
	n := make([]any, len(w.N))
	for i, f := range w.N {
		n[i] = f
	}
	return map[string]any{"i": w.I, "u": w.U, "f": w.F, "f32": w.F32, "s": w.S, "b": w.B, "t": w.T,
		"l": l, "m": m, "n": n, "nil": nil, "neg": -w.I - 1, "big": w.U | 1<<63}
}

// encodeValue writes v as f's fast path writes it inside a message.
func encodeValue(t testing.TB, f format, v any) Raw {
	var (
		b  []byte
		ok bool
	)
	switch f.name {
	case "msgpack":
		b, ok = appendValue(nil, v, 0)
	case "json":
		b, ok = appendJSONValue(nil, v, 0)
	default:
		b, ok = cborAppendValue(nil, v, 0)
	}
	if !ok {
		t.Fatalf("%s declined %#v", f.name, v)
	}
	return Raw{ser: serializerOf(f), data: b}
}

// checkBroken requires r to fail both ways.
func checkBroken(t *testing.T, r Raw) {
	t.Helper()
	checkReaderRefuses(t, r)
	if v, err := r.Value(); err == nil {
		t.Fatalf("%q: Value read %#v", r.data, v)
	}
}

// checkReaderRefuses is checkBroken for a value with bytes after it: the
// reader refuses it, and Value reads it as the fallback always read such a
// message, ignoring them (TestKeptObjectWithBytesAfterItReadsAsBefore).
func checkReaderRefuses(t *testing.T, r Raw) {
	t.Helper()
	if v, ok := walkRaw(r); ok {
		t.Fatalf("%q: the reader read %#v", r.data, v)
	}
}

func TestRawReaderMalformed(t *testing.T) {
	for _, f := range formats {
		t.Run(f.name, func(t *testing.T) {
			for _, d := range edgeDicts[:8] {
				r := encodeValue(t, f, d)
				for n := range len(r.data) {
					checkBroken(t, Raw{ser: r.ser, data: r.data[:n]}) // truncated
				}
				for _, garbage := range []string{"x", "\x00", "\xc1", " 1", "}", "]", "{}"} {
					checkReaderRefuses(t, Raw{ser: r.ser, data: append(bytes.Clone(r.data), garbage...)})
				}
			}
		})
	}
	ser := map[string]*Serializer{}
	for _, f := range formats {
		ser[f.name] = serializerOf(f)
	}
	for _, c := range []struct{ format, data string }{
		{"msgpack", "\x82\xa1a\x01"},         // a count too high
		{"msgpack", "\x81\x01\x01"},          // a key not a string
		{"msgpack", "\x81\xa1a\x92\x01"},     // a list cut short
		{"msgpack", "\xdf\xff\xff\xff\xff"},  // a huge count
		{"msgpack", "\x81\xa1a\xcf\x01"},     // a uint64 cut short
		{"msgpack", "\x81\xa1a\xcb\x01\x02"}, // a float cut short
		{"msgpack", "\x81\xa5a\x01"},         // a key cut short
		{"msgpack", "\x81\xa1a\xc1"},         // reserved
		{"cbor", "\xa2\x61a\x01"},
		{"cbor", "\xa1\x01\x01"},
		{"cbor", "\xa1\x61a\x82\x01"},
		{"cbor", "\xbb\xff\xff\xff\xff\xff\xff\xff\xff"},
		{"cbor", "\xa1\x61a\x1b\x01"},
		{"cbor", "\xa1\x65a\x01"},
		{"cbor", "\xa1\x61a\xfc"},
		{"json", `{"a":[1}}`},
		{"json", `{"a":1]`},
		{"json", `{"a":{"b":1]}`},
		{"json", `{"a":[1,]}`},
		{"json", `{"a":1,}`},
		{"json", `{,}`},
		{"json", `{"a" 1}`},
		{"json", `{"a":1 "b":2}`},
		{"json", `{"a":tru}`},
		{"json", `{"a":nul}`},
		{"json", `{"a":01}`},
		{"json", `{"a":"x}`},
		{"json", `{"a":"\u00"}`},
		{"json", `{"a":[[[}`},
		{"json", `{"a":1e400}`},
		{"json", `{"a":-9223372036854775809}`},
		{"json", ``},
		{"json", `   `},
	} {
		checkBroken(t, Raw{ser: ser[c.format], data: []byte(c.data)})
	}
	for _, c := range []struct{ format, data string }{
		{"msgpack", "\x81\xa1a\x01\xa1b\x02"}, // a count too low: bytes after it
		{"cbor", "\xa1\x61a\x01\x61b\x02"},
		{"json", `{"a":1}}`},
		{"json", `{"a":1}{"b":2}`},
	} {
		checkReaderRefuses(t, Raw{ser: ser[c.format], data: []byte(c.data)})
	}
	checkBroken(t, Raw{}) // no serializer
}

// A call for another kind than Next reported fails for good.
func TestRawReaderWrongKind(t *testing.T) {
	for _, f := range formats {
		r := encodeValue(t, f, map[string]any{"a": int64(1), "b": "x"})
		var rd RawReader
		r.Reader(&rd)
		if k := rd.Next(); k != codec.KindDict {
			t.Fatalf("%s: Next %v", f.name, k)
		}
		if rd.Int() != 0 || rd.Dict() != 0 || rd.More(0, 2) || rd.Next() != codec.KindOther || rd.String() != "" {
			t.Fatalf("%s: read on after a failure", f.name)
		}
		if _, ok := rd.Key(); ok || rd.Done() {
			t.Fatalf("%s: done after a failure", f.name)
		}
		if _, ok := rd.Value(); ok {
			t.Fatalf("%s: a value after a failure", f.name)
		}
	}
}

// The kinds of plain forms, and the values Next's peek keeps.
func TestRawReaderKinds(t *testing.T) {
	for _, c := range []struct {
		format string
		data   string
		kind   codec.Kind
		want   any
	}{
		{"msgpack", "\xcf\x80\x00\x00\x00\x00\x00\x00\x00", codec.KindUint, uint64(1 << 63)},
		{"msgpack", "\xcf\x7f\xff\xff\xff\xff\xff\xff\xff", codec.KindInt, int64(math.MaxInt64)},
		{"msgpack", "\xd1\xff\x7f", codec.KindInt, int64(-129)},
		{"msgpack", "\xe0", codec.KindInt, int64(-32)},
		{"msgpack", "\xca\x3f\xc0\x00\x00", codec.KindFloat, 1.5},
		{"msgpack", "\xc4\x01\x01", codec.KindOther, []byte{1}},
		{"msgpack", "\xd4\x01\x01", codec.KindOther, nil}, // ext: Value declines
		{"cbor", "\x3b\x7f\xff\xff\xff\xff\xff\xff\xff", codec.KindInt, int64(math.MinInt64)},
		{"cbor", "\x1b\xff\xff\xff\xff\xff\xff\xff\xff", codec.KindUint, uint64(math.MaxUint64)},
		{"cbor", "\xfa\x3f\xc0\x00\x00", codec.KindFloat, 1.5},
		{"cbor", "\xf9\x3c\x00", codec.KindOther, nil}, // half float
		{"cbor", "\x41\x01", codec.KindOther, []byte{1}},
		{"cbor", "\xc1\x01", codec.KindOther, nil},                             // tag
		{"cbor", "\x3b\xff\xff\xff\xff\xff\xff\xff\xff", codec.KindOther, nil}, // below MinInt64
		{"cbor", "\x7f\x61a\xff", codec.KindOther, nil},
		{"json", `9223372036854775808`, codec.KindUint, uint64(1 << 63)},
		{"json", `-9223372036854775808`, codec.KindInt, int64(math.MinInt64)},
		{"json", ` 1e2 `, codec.KindFloat, 100.0},
		{"json", `-0`, codec.KindInt, int64(0)},
		{"json", `"\u0000AQ=="`, codec.KindOther, []byte{1}},
		{"json", `"\u0000!"`, codec.KindOther, "\x00!"},
		{"json", `"a\u00e9\n"`, codec.KindString, "a\u00e9\n"},
		{"json", `1.`, codec.KindOther, nil},
		{"json", `-`, codec.KindOther, nil},           // nexus reads it as 0
		{"json", "\"\x01\"", codec.KindString, nil},   // a raw control character: String fails
		{"json", "{\"\xff\":1}", codec.KindDict, nil}, // not UTF-8: Key fails
	} {
		f := map[string]format{"msgpack": msgpackFmt, "json": jsonFmt, "cbor": cborFmt}[c.format]
		var rd RawReader
		Raw{ser: serializerOf(f), data: []byte(c.data)}.Reader(&rd)
		if k := rd.Next(); k != c.kind {
			t.Errorf("%s %q: kind %v, want %v", c.format, c.data, k, c.kind)
			continue
		}
		v, ok := walk(&rd)
		ok = ok && rd.Done()
		if c.want == nil {
			if ok {
				t.Errorf("%s %q: read %#v", c.format, c.data, v)
			}
			continue
		}
		if !ok || !rd.Done() || !sameValue(v, c.want) {
			t.Errorf("%s %q: %#v (%v), want %#v", c.format, c.data, v, ok, c.want)
		}
	}
}

// Nesting past maxFastDepth fails as the fast path does; up to it reads.
func TestRawReaderDepth(t *testing.T) {
	nest := map[string][4]string{ // an entry's head, an empty map, a closer, an integer
		"msgpack": {"\x81\xa1a", "\x80", "", "\x01"},
		"cbor":    {"\xa1\x61a", "\xa0", "", "\x01"},
		"json":    {`{"a":`, `{}`, `}`, `1`},
	}
	for _, f := range formats {
		open, closer := nest[f.name][0], nest[f.name][2]
		for depth := maxFastDepth - 3; depth <= maxFastDepth+1; depth++ {
			for _, inner := range []string{nest[f.name][1], nest[f.name][3]} {
				r := Raw{ser: serializerOf(f), data: []byte(strings.Repeat(open, depth) + inner + strings.Repeat(closer, depth))}
				_, fastOK := decodeAny(f, r)
				_, ok := walkRaw(r)
				if ok != fastOK {
					t.Fatalf("%s depth %d %q: reader %v, fast path %v", f.name, depth, inner, ok, fastOK)
				}
				if depth == maxFastDepth-3 && !ok {
					t.Fatalf("%s depth %d: declined", f.name, depth)
				}
				if depth == maxFastDepth+1 && ok {
					t.Fatalf("%s depth %d: read", f.name, depth)
				}
			}
		}
	}
}

// decodeAny decodes r as the fast path decodes arguments.
func decodeAny(f format, r Raw) (any, bool) {
	v, end, ok := r.fastValue()
	return v, ok && end == len(r.data)
}

// sink keeps what readStruct reads alive.
var sink struct {
	s string
	i int64
	f float64
	t bool
}

// readStruct reads a dictionary as a struct decoder would: a typed read
// per key, no map.
func readStruct(rd *RawReader) bool {
	n := rd.Dict()
	for i := 0; rd.More(i, n); i++ {
		if _, ok := rd.Key(); !ok {
			return false
		}
		switch rd.Next() {
		case codec.KindString:
			sink.s = rd.String()
		case codec.KindInt:
			sink.i = rd.Int()
		case codec.KindFloat:
			sink.f = rd.Float()
		case codec.KindBool:
			sink.t = rd.Bool()
		case codec.KindList:
			m := rd.List()
			for j := 0; rd.More(j, m); j++ {
				sink.s = rd.String()
			}
		default:
			return false
		}
	}
	return rd.Done()
}
