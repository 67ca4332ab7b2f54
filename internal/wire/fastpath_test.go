package wire

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gammazero/nexus/v3/transport/serialize"
	"github.com/gammazero/nexus/v3/wamp"
)

// The fast paths must be indistinguishable from the fallback (nexus's
// serializers, given spec-shaped messages and, under JSON, with the spec's
// binary convention; spec.go): these tests hold them against it in both
// directions. (They once held them against nexus's own bytes, quirks
// included; since the spec-shape fix the spec wins, and the strict parser of
// conformance_test.go checks the shapes.)

// format is a fast path and the fallback it stands in for.
type format struct {
	name   string
	slow   fallback
	append func([]byte, wamp.Message) ([]byte, bool)
	decode func([]byte) (wamp.Message, bool)
	dump   func([]byte) string
}

// fallback is a Serializer's path through its inner serializer.
type fallback struct{ s *Serializer }

func (f fallback) Serialize(msg wamp.Message) ([]byte, error) { return f.s.serialize(msg) }

func (f fallback) Deserialize(data []byte) (wamp.Message, error) {
	msg, _ := f.s.deserialize(data)
	if m, ok := msg.(*Malformed); ok {
		return nil, m.Err
	}
	return msg, nil
}

func mustSerializer(s serialize.Serialization) *Serializer {
	ser, err := NewSerializer(s)
	if err != nil {
		panic(err)
	}
	return ser
}

var (
	slowMsgPack = fallback{mustSerializer(serialize.MSGPACK)}
	msgpackFmt  = format{"msgpack", slowMsgPack, appendMsgPackMessage, decodeMsgPackMessage, hex.Dump}
	jsonFmt     = format{"json", fallback{mustSerializer(serialize.JSON)}, appendJSONMessage, decodeJSONMessage,
		func(b []byte) string { return string(b) }}
	cborFmt = format{"cbor", fallback{mustSerializer(serialize.CBOR)}, appendCBORMessage, decodeCBORMessage, hex.Dump}
	formats = []format{msgpackFmt, jsonFmt, cborFmt}
)

// gen makes random messages whose values cover every MsgPack form and every
// CBOR form nexus's codec writes.
type gen struct {
	r *rand.Rand
	// singleEntry keeps maps to at most one entry, so that encodings do not
	// depend on map order and can be compared byte for byte.
	singleEntry bool
	// wellFormed leaves out the string that is not UTF-8 and the one that
	// reads as an empty binary in JSON ("\x00").
	wellFormed bool
}

var edgeInts = []int64{0, 1, 31, 127, 128, 255, 256, 32767, 32768, 65535, 65536, math.MaxInt32, math.MaxInt32 + 1,
	math.MaxUint32, math.MaxUint32 + 1, math.MaxInt64, -1, -32, -33, -128, -129, -32768, -32769,
	math.MinInt32, math.MinInt32 - 1, math.MinInt64}

var edgeLens = []int{0, 1, 15, 16, 31, 32, 255, 256, 65535, 65536}

// edgeFloats are where nexus's JSON float format changes. (Whole floats from
// 2^64 to 1e21 are left out: nexus writes them as integers too long for
// its own reader.)
var edgeFloats = []float64{0, 1, -1, 0.5, 100, -100, 1e-6, 9.99e-7, 1e-7, 1e21, -1e21, 1.5e300, 1 << 52, 1<<52 + 1,
	1<<52 - 1, 1 << 53, 0.1, 98.5, 5e-324}

// edgeStrings are strings every JSON encoder escapes its own way.
var edgeStrings = []string{"<a&b>", "\u2028 \u2029", "\x01\n\t\r\b\f\"\\/", "\x7f", "\u00e9\U0001F600", "\x00", "a\xffb"}

func (g gen) value(depth int) any {
	n := 16
	if depth > 2 {
		n = 12 // no more containers
	}
	switch g.r.IntN(n) {
	case 0:
		return nil
	case 1:
		return g.r.IntN(2) == 0
	case 2:
		return edgeInts[g.r.IntN(len(edgeInts))]
	case 3:
		return int(edgeInts[g.r.IntN(len(edgeInts))])
	case 4:
		return uint64(math.MaxInt64) + uint64(g.r.IntN(1000))
	case 5:
		return []any{uint8(200), uint16(60000), uint32(4e9), int8(-5), int16(-300), int32(-7e4), uint(9)}[g.r.IntN(7)]
	case 6:
		if g.r.IntN(3) == 0 {
			return edgeFloats[g.r.IntN(len(edgeFloats))]
		}
		return g.r.NormFloat64() * 1e6
	case 7:
		return float32(g.r.NormFloat64())
	case 8:
		return g.str()
	case 9:
		if g.r.IntN(8) == 0 {
			return []byte(nil)
		}
		return bytes.Repeat([]byte{0xc1}, g.len())
	case 10:
		return wamp.ID(g.r.Uint64() >> g.r.IntN(64))
	case 11:
		return wamp.URI(g.str())
	case 12, 13:
		return g.list(depth + 1)
	}
	return g.dict(depth + 1)
}

func (g gen) len() int {
	if g.r.IntN(10) == 0 {
		return edgeLens[g.r.IntN(len(edgeLens))]
	}
	return g.r.IntN(20)
}

func (g gen) str() string {
	if g.r.IntN(8) == 0 {
		s := edgeStrings[g.r.IntN(len(edgeStrings))]
		if g.wellFormed && (!utf8.ValidString(s) || s == "\x00") {
			s = "\ufffd"
		}
		return s
	}
	return strings.Repeat("é", g.len()/2) + strings.Repeat("x", g.len()%2)
}

func (g gen) list(depth int) []any {
	if g.r.IntN(10) == 0 {
		return nil
	}
	l := make([]any, g.r.IntN(5))
	for i := range l {
		l[i] = g.value(depth)
	}
	return l
}

func (g gen) dict(depth int) map[string]any {
	if g.r.IntN(10) == 0 {
		return nil
	}
	n := g.r.IntN(5)
	if g.singleEntry {
		n = min(n, 1)
	}
	d := make(map[string]any, n)
	for range n {
		d[g.str()] = g.value(depth)
	}
	return d
}

func (g gen) payload() (wamp.List, wamp.Dict) {
	switch g.r.IntN(4) {
	case 0:
		return nil, nil
	case 1:
		return g.list(1), nil
	case 2:
		return nil, g.dict(1)
	}
	return g.list(1), g.dict(1)
}

func (g gen) id() wamp.ID { return wamp.ID(g.r.Uint64() >> g.r.IntN(64)) }

// sent is a message a client sends.
func (g gen) sent() wamp.Message {
	args, kwargs := g.payload()
	switch g.r.IntN(4) {
	case 0:
		return &wamp.Call{Request: g.id(), Options: g.dict(1), Procedure: wamp.URI(g.str()), Arguments: args, ArgumentsKw: kwargs}
	case 1:
		return &wamp.Yield{Request: g.id(), Options: g.dict(1), Arguments: args, ArgumentsKw: kwargs}
	case 2:
		return &wamp.Publish{Request: g.id(), Options: g.dict(1), Topic: wamp.URI(g.str()), Arguments: args, ArgumentsKw: kwargs}
	}
	return &wamp.Error{Type: wamp.INVOCATION, Request: g.id(), Details: g.dict(1), Error: wamp.URI(g.str()), Arguments: args, ArgumentsKw: kwargs}
}

// received is a message a client receives.
func (g gen) received() wamp.Message {
	args, kwargs := g.payload()
	switch g.r.IntN(4) {
	case 0:
		return &wamp.Result{Request: g.id(), Details: g.dict(1), Arguments: args, ArgumentsKw: kwargs}
	case 1:
		return &wamp.Invocation{Request: g.id(), Registration: g.id(), Details: g.dict(1), Arguments: args, ArgumentsKw: kwargs}
	case 2:
		return &wamp.Event{Subscription: g.id(), Publication: g.id(), Details: g.dict(1), Arguments: args, ArgumentsKw: kwargs}
	}
	return &wamp.Error{Type: wamp.CALL, Request: g.id(), Details: g.dict(1), Error: wamp.URI(g.str()), Arguments: args, ArgumentsKw: kwargs}
}

func TestFastPathEncodesAsFallbackDoes(t *testing.T) {
	for _, f := range formats {
		t.Run(f.name, func(t *testing.T) {
			for seed := range uint64(3000) {
				g := gen{r: rand.New(rand.NewPCG(seed, 1)), singleEntry: seed%2 == 0}
				msg := g.sent()
				if seed%2 == 1 {
					msg = g.received() // what the reference router sends
				}
				ours, ok := f.append([]byte("prefix"), msg)
				if !ok {
					t.Fatalf("seed %d: fast path declined %#v", seed, msg)
				}
				if !bytes.HasPrefix(ours, []byte("prefix")) {
					t.Fatalf("seed %d: the prefix was overwritten", seed)
				}
				ours = ours[len("prefix"):]
				theirs, err := f.slow.Serialize(msg)
				if err != nil {
					t.Fatal(err)
				}
				if g.singleEntry && !bytes.Equal(ours, theirs) {
					t.Fatalf("seed %d: %T encodes as\n%s\nfallback:\n%s", seed, msg, f.dump(ours), f.dump(theirs))
				}
				a, errA := f.slow.Deserialize(ours)
				b, errB := f.slow.Deserialize(theirs)
				if errA != nil || errB != nil || !same(a, b) {
					t.Fatalf("seed %d: the fallback reads ours as %#v (%v), its own as %#v (%v)", seed, a, errA, b, errB)
				}
			}
		})
	}
}

func TestFastPathDecodesAsFallbackDoes(t *testing.T) {
	for _, f := range formats {
		t.Run(f.name, func(t *testing.T) {
			for seed := range uint64(3000) {
				g := gen{r: rand.New(rand.NewPCG(seed, 2))}
				msg := g.received()
				if seed%2 == 1 {
					msg = g.sent() // what the reference router receives
				}
				frame, err := f.slow.Serialize(msg)
				if err != nil {
					t.Fatal(err)
				}
				checkDecode(t, f, frame, true)
			}
		})
	}
}

// Forms nexus never writes but other MsgPack encoders do: unsigned forms of
// small numbers, 16- and 32-bit headers for short strings, lists and maps, a
// float32, and nils in the message's own fields.
func TestMsgPackDecodesOtherEncodersForms(t *testing.T) {
	for _, frame := range []string{
		"9432" + "cc07" + "80" + "91cc05",                              // RESULT with uint8 forms
		"9432" + "cd0007" + "de0000" + "dc0001" + "cf0000000000000009", // 16-bit headers, uint64 9
		"9332" + "cfffffffffffffffff" + "80",                           // request ID above MaxInt64
		"9332" + "01" + "c0",                                           // nil Details
		"9532" + "01" + "80" + "c0" + "81a16101",                       // nil Arguments, kwargs
		"9432" + "01" + "80" + "91" + "da0002" + "6869",                // str16
		"9432" + "01" + "80" + "91" + "db00000002" + "6869",            // str32
		"9432" + "01" + "80" + "91" + "ca3fc00000",                     // float32 1.5
		"9432" + "01" + "80" + "91" + "c50002" + "0102",                // bin16
		"9208" + "30", // ERROR with only a type
		"9644" + "01" + "02" + "80" + "90" + "80",          // INVOCATION, empty args and kwargs
		"9524" + "05" + "06" + "81a178c0" + "9193c3c2c0",   // EVENT
		"9708" + "30" + "01" + "80" + "a165" + "90" + "80", // ERROR with everything
	} {
		b, err := hex.DecodeString(frame)
		if err != nil {
			t.Fatal(err)
		}
		checkDecode(t, msgpackFmt, b, true)
	}
}

// JSON as other encoders write it: spacing, escapes nexus does not write,
// exponents, "-0", nulls in the message's own fields.
func TestJSONDecodesOtherEncodersForms(t *testing.T) {
	for _, frame := range []string{
		` [ 50 , 7 , { } , [ "a" , 1 ] , { "k" : null } ] `,
		"[50,7,{},[\"\\u00e9\\ud83d\\ude00\\/\\b\\f\\n\\r\\t\\\"\\\\\\u0000\"]]",
		`[50,7,{},[1E2,1.5e3,-1.5e-3,2.5E+3,-0,-0.0,0.0,18446744073709551615,-9223372036854775808]]`,
		`[50,18446744073709551615,{}]`,
		`[50,7,null,null,{"a":[]}]`,
		`[8,48,7,{},"wamp.error.x",[],{}]`,
		`[8]`,
		`[68,1,2,{"procedure":"p"},[{"nested":{"deep":[true,false,null]}}]]`,
		`[36,5,6,{},["\u003c\u2028"]]`,
	} {
		checkDecode(t, jsonFmt, []byte(frame), true)
	}
}

// The JSON fast path declines what nexus reads in its own way.
func TestJSONDeclines(t *testing.T) {
	for _, frame := range []string{
		``, `[]`, `{}`, `[50`, `[50 1]`, `[50,1,{},]`, `[50,1,{}] x`,
		`[1,{},"realm"]`,                           // HELLO
		`[50,-1,{}]`, `[50,1.0,{}]`, `[50,"1",{}]`, // IDs nexus converts or refuses
		`[50,18446744073709551616,{}]`,     // beyond uint64
		`[50,1,{},[18446744073709551616]]`, // nexus makes it a float
		`[50,1,{},[-9223372036854775809]]`, // nexus refuses it
		`[50,1,{},[01]]`, `[50,1,{},[1.]]`, `[50,1,{},[.5]]`, `[50,1,{},[+1]]`, `[50,1,{},[1e]]`, `[50,1,{},[-]]`,
		`[50,1,{},[1e400]]`,
		`[50,1,{},["\ud800"]]`, `[50,1,{},["\udc00"]]`, `[50,1,{},["\ud800\u0041"]]`, // lone surrogates
		"[50,1,{},[\"tab\there\"]]", // raw control character
		"[50,1,{},[\"\xff\"]]",      // invalid UTF-8
		`[50,1,{},["\x"]]`,          // unknown escape
		`[50,1,{"a":1,"a":2}]`,      // repeated key
		`[50,1,{1:2}]`,              // key not a string
		`[50,1,[],[]]`,              // list as Details
		`[50,1,{},{}]`,              // dict as Arguments
		`[50,1,{},[],{},1]`,         // a field beyond the message's
		`[50,1,{},[tru]]`, `[50,1,{},[nul]]`,
	} {
		if msg, ok := decodeJSONMessage([]byte(frame)); ok {
			t.Errorf("%s: fast path took it as %#v", frame, msg)
		}
	}
	deep := strings.Repeat("[", maxFastDepth+5) + strings.Repeat("]", maxFastDepth+5)
	if _, ok := decodeJSONMessage([]byte(`[50,1,{},` + deep + `]`)); ok {
		t.Error("fast path took a list nested beyond its depth limit")
	}
}

// The fast path declines what it does not take, and nexus decides.
func TestMsgPackDeclines(t *testing.T) {
	for _, frame := range []string{
		"",
		"90",                                      // no type
		"9301" + "80" + "a170",                    // HELLO: not a call message
		"9432" + "01" + "80",                      // truncated: 4 elements promised, 3 present
		"9432" + "01" + "80" + "91",               // truncated list
		"9432" + "ff" + "80",                      // negative request ID
		"9432" + "a16e" + "80",                    // string request ID
		"9432" + "01" + "91c0",                    // list as Details
		"9332" + "01" + "05",                      // integer as Details
		"9432" + "01" + "80" + "80",               // map as Arguments
		"9432" + "01" + "8101c0",                  // integer map key
		"9432" + "01" + "80" + "91d6ff00000000",   // timestamp extension
		"9432" + "01" + "80" + "91c1",             // reserved code
		"9632" + "01" + "80" + "90" + "80" + "01", // a field beyond the message's
		"9332" + "01" + "80" + "00",               // trailing byte
		"9432" + "01" + "80" + "dd7fffffff",       // a length far beyond the frame
		"9432" + "01" + "80" + "de7fff",           // a map length far beyond the frame
	} {
		b, err := hex.DecodeString(frame)
		if err != nil {
			t.Fatal(err)
		}
		if msg, ok := decodeMsgPackMessage(b); ok {
			t.Errorf("%s: fast path took it as %#v", frame, msg)
		}
	}
	deep := strings.Repeat("91", maxFastDepth+5) + "c0"
	b, _ := hex.DecodeString("9432" + "01" + "80" + "91" + deep)
	if _, ok := decodeMsgPackMessage(b); ok {
		t.Error("fast path took a list nested beyond its depth limit")
	}
	if _, ok := appendMsgPackMessage(nil, &wamp.Call{Request: 1, Procedure: "p", Arguments: wamp.List{struct{}{}}}); ok {
		t.Error("fast path encoded a struct")
	}
	if _, ok := appendMsgPackMessage(nil, &wamp.Register{Request: 1, Procedure: "p"}); ok {
		t.Error("fast path encoded a REGISTER")
	}
	if _, ok := appendMsgPackMessage(nil, &wamp.Hello{Realm: "r"}); ok {
		t.Error("fast path encoded a HELLO")
	}
}

// A string kept from a large message does not keep the message alive: only
// small frames share one copy.
func TestFastPathLargeFramesCopyEachString(t *testing.T) {
	big := strings.Repeat("x", sharedStringsMax)
	frame, err := slowMsgPack.Serialize(&wamp.Result{Request: 1, Details: wamp.Dict{}, Arguments: wamp.List{"small", big}})
	if err != nil {
		t.Fatal(err)
	}
	msg, ok := decodeMsgPackMessage(frame)
	if !ok {
		t.Fatal("declined")
	}
	args := msg.(*wamp.Result).Arguments
	if args[0] != "small" || args[1] != big {
		t.Fatalf("got %v", args)
	}
	// Changing the frame afterwards changes neither string.
	for i := range frame {
		frame[i] = 0
	}
	if args[0] != "small" || args[1] != big {
		t.Fatal("a decoded string aliases the frame")
	}
}

// checkDecode decodes frame with the fast path and the fallback and requires
// the same message in canonical types; mustTake says the fast path must not
// decline.
func checkDecode(t *testing.T, f format, frame []byte, mustTake bool) {
	t.Helper()
	ours, ok := f.decode(frame)
	if !ok {
		if mustTake {
			t.Fatalf("fast path declined %s", f.dump(frame))
		}
		return
	}
	theirs, err := f.slow.Deserialize(frame)
	if err != nil {
		t.Fatalf("fast path took %s, which the fallback refuses: %v", f.dump(frame), err)
	}
	if !same(ours, theirs) {
		t.Fatalf("%s:\nfast:     %#v\nfallback: %#v", f.dump(frame), ours, theirs)
	}
}

// same is reflect.DeepEqual, and %#v as well: DeepEqual finds a NaN unequal
// to itself.
func same(a, b wamp.Message) bool {
	return reflect.DeepEqual(a, b) || fmt.Sprintf("%#v", a) == fmt.Sprintf("%#v", b)
}

// FuzzMsgPackFastPath: whatever the fast path takes, the fallback reads the
// same.
func FuzzMsgPackFastPath(f *testing.F) { fuzzFastPath(f, msgpackFmt) }

// FuzzJSONFastPath: whatever the fast path takes, the fallback reads the
// same.
func FuzzJSONFastPath(f *testing.F) { fuzzFastPath(f, jsonFmt) }

func fuzzFastPath(f *testing.F, ft format) {
	for seed := range uint64(50) {
		g := gen{r: rand.New(rand.NewPCG(seed, 3))}
		msg := g.received()
		if seed%2 == 1 {
			msg = g.sent()
		}
		frame, err := ft.slow.Serialize(msg)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(frame)
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		checkDecode(t, ft, frame, false)
	})
}

// BenchmarkFastPath compares each fast path with the fallback it stands in
// for (nexus's serializer after spec-shaping), on a call's answer with a
// 10-field object and on a small one (["hello", 42]): decoding its RESULT,
// encoding its YIELD.
func BenchmarkFastPath(b *testing.B) {
	for _, shape := range []struct {
		name string
		args wamp.List
	}{
		{"struct10", wamp.List{map[string]any{
			"id": 123456789, "name": "Ada Lovelace", "email": "ada@example.com", "age": 36, "score": 98.5,
			"active": true, "tags": []any{"math", "engines"}, "country": "UK", "created": "1843-07-10T00:00:00Z", "level": 7,
		}}},
		{"small", wamp.List{"hello", 42}},
	} {
		b.Run(shape.name, func(b *testing.B) { benchFastPath(b, shape.args) })
	}
}

func benchFastPath(b *testing.B, args wamp.List) {
	msg := &wamp.Result{Request: 123456, Details: wamp.Dict{}, Arguments: args}
	yield := &wamp.Yield{Request: msg.Request, Options: wamp.Dict{}, Arguments: msg.Arguments}
	for _, f := range formats {
		frame, err := f.slow.Serialize(msg)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(f.name+"/decode/fast", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, ok := f.decode(frame); !ok {
					b.Fatal("declined")
				}
			}
		})
		b.Run(f.name+"/decode/fallback", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := f.slow.Deserialize(frame); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(f.name+"/encode/fast", func(b *testing.B) {
			b.ReportAllocs()
			var buf []byte // reused, as both peers reuse theirs
			for b.Loop() {
				var ok bool
				if buf, ok = f.append(buf[:0], yield); !ok {
					b.Fatal("declined")
				}
			}
		})
		b.Run(f.name+"/encode/fallback", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := f.slow.Serialize(yield); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
