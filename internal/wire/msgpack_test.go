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

	"github.com/gammazero/nexus/v3/transport/serialize"
	"github.com/gammazero/nexus/v3/wamp"
)

// The fast path must be indistinguishable from nexus's MsgPack serializer:
// these tests hold it against nexus in both directions.

var nexusMsgPack = &serialize.MessagePackSerializer{}

// gen makes random messages whose values cover every MsgPack form.
type gen struct {
	r *rand.Rand
	// singleEntry keeps maps to at most one entry, so that encodings do not
	// depend on map order and can be compared byte for byte.
	singleEntry bool
}

var edgeInts = []int64{0, 1, 31, 127, 128, 255, 256, 32767, 32768, 65535, 65536, math.MaxInt32, math.MaxInt32 + 1,
	math.MaxUint32, math.MaxUint32 + 1, math.MaxInt64, -1, -32, -33, -128, -129, -32768, -32769,
	math.MinInt32, math.MinInt32 - 1, math.MinInt64}

var edgeLens = []int{0, 1, 15, 16, 31, 32, 255, 256, 65535, 65536}

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

func (g gen) str() string { return strings.Repeat("é", g.len()/2) + strings.Repeat("x", g.len()%2) }

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

func TestMsgPackEncodesAsNexusDoes(t *testing.T) {
	for seed := range uint64(3000) {
		g := gen{r: rand.New(rand.NewPCG(seed, 1)), singleEntry: seed%2 == 0}
		msg := g.sent()
		ours, ok := appendMsgPackMessage([]byte("prefix"), msg)
		if !ok {
			t.Fatalf("seed %d: fast path declined %#v", seed, msg)
		}
		if !bytes.HasPrefix(ours, []byte("prefix")) {
			t.Fatalf("seed %d: the prefix was overwritten", seed)
		}
		ours = ours[len("prefix"):]
		theirs, err := nexusMsgPack.Serialize(msg)
		if err != nil {
			t.Fatal(err)
		}
		if g.singleEntry && !bytes.Equal(ours, theirs) {
			t.Fatalf("seed %d: %T encodes as\n%s\nnexus:\n%s", seed, msg, hex.Dump(ours), hex.Dump(theirs))
		}
		a, errA := nexusMsgPack.Deserialize(ours)
		b, errB := nexusMsgPack.Deserialize(theirs)
		if errA != nil || errB != nil || !reflect.DeepEqual(a, b) {
			t.Fatalf("seed %d: nexus reads ours as %#v (%v), its own as %#v (%v)", seed, a, errA, b, errB)
		}
	}
}

func TestMsgPackDecodesAsNexusDoes(t *testing.T) {
	for seed := range uint64(3000) {
		g := gen{r: rand.New(rand.NewPCG(seed, 2))}
		frame, err := nexusMsgPack.Serialize(g.received())
		if err != nil {
			t.Fatal(err)
		}
		checkDecode(t, frame, true)
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
		checkDecode(t, b, true)
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
	deep := strings.Repeat("91", maxMsgPackDepth+5) + "c0"
	b, _ := hex.DecodeString("9432" + "01" + "80" + "91" + deep)
	if _, ok := decodeMsgPackMessage(b); ok {
		t.Error("fast path took a list nested beyond its depth limit")
	}
	if _, ok := appendMsgPackMessage(nil, &wamp.Call{Request: 1, Procedure: "p", Arguments: wamp.List{struct{}{}}}); ok {
		t.Error("fast path encoded a struct")
	}
	if _, ok := appendMsgPackMessage(nil, &wamp.Hello{Realm: "r"}); ok {
		t.Error("fast path encoded a HELLO")
	}
}

// A string kept from a large message does not keep the message alive: only
// small frames share one copy.
func TestMsgPackLargeFramesCopyEachString(t *testing.T) {
	big := strings.Repeat("x", sharedStringsMax)
	frame, err := nexusMsgPack.Serialize(&wamp.Result{Request: 1, Details: wamp.Dict{}, Arguments: wamp.List{"small", big}})
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

// checkDecode decodes frame with the fast path and with nexus and requires
// the same message; mustTake says the fast path must not decline.
func checkDecode(t *testing.T, frame []byte, mustTake bool) {
	t.Helper()
	ours, ok := decodeMsgPackMessage(frame)
	if !ok {
		if mustTake {
			t.Fatalf("fast path declined %x", frame)
		}
		return
	}
	theirs, err := nexusMsgPack.Deserialize(frame)
	if err != nil {
		t.Fatalf("fast path took %x, which nexus refuses: %v", frame, err)
	}
	// %#v as well: DeepEqual finds a NaN unequal to itself.
	if !reflect.DeepEqual(ours, theirs) && fmt.Sprintf("%#v", ours) != fmt.Sprintf("%#v", theirs) {
		t.Fatalf("%x:\nfast:  %#v\nnexus: %#v", frame, ours, theirs)
	}
}

// FuzzMsgPackFastPath: whatever the fast path takes, nexus reads the same.
func FuzzMsgPackFastPath(f *testing.F) {
	for seed := range uint64(50) {
		frame, err := nexusMsgPack.Serialize(gen{r: rand.New(rand.NewPCG(seed, 3))}.received())
		if err != nil {
			f.Fatal(err)
		}
		f.Add(frame)
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		checkDecode(t, frame, false)
	})
}
