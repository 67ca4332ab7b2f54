package wire

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/transport/serialize"
	"github.com/gammazero/nexus/v3/wamp"
)

// msgPackSize counts, without encoding, exactly what the MsgPack serializer
// writes: for the generator's messages, and for strings, binaries, lists,
// maps and integers at each boundary of their forms. A value the fast path
// does not write is not counted.
func TestMsgPackSizeCountsWhatIsWritten(t *testing.T) {
	ser, err := NewSerializer(serialize.MSGPACK)
	if err != nil {
		t.Fatal(err)
	}
	check := func(what string, msg wamp.Message) {
		t.Helper()
		n, ok := msgPackSize(msg)
		if !ok {
			t.Fatalf("%s: not counted: %#v", what, msg)
		}
		b, err := ser.Serialize(msg)
		if err != nil {
			t.Fatal(err)
		}
		if n != len(b) {
			t.Fatalf("%s: counted %d bytes, the serializer writes %d", what, n, len(b))
		}
	}
	for seed := range uint64(3000) {
		g := gen{r: rand.New(rand.NewPCG(seed, 7))}
		msg := g.sent()
		if seed%2 == 1 {
			msg = g.received()
		}
		check("generated", msg)
	}
	var args wamp.List
	kwargs := wamp.Dict{}
	for _, n := range []int{0, 15, 16, 31, 32, 255, 256, 65535, 65536, 70000} {
		args = append(args, strings.Repeat("s", n), make([]byte, n), make([]any, min(n, 70000)))
		m := make(map[string]any, n)
		for i := range min(n, 17) {
			m[strings.Repeat("k", i+1)] = i
		}
		kwargs[strings.Repeat("k", n)] = m
	}
	for _, i := range []int64{0, 127, 128, 255, 256, 32767, 32768, 65535, 65536, math.MaxInt32, math.MaxInt32 + 1,
		math.MaxInt64, -1, -32, -33, -128, -129, -32768, -32769, math.MinInt32, math.MinInt32 - 1, math.MinInt64} {
		args = append(args, i, uint64(max(i, 0)), wamp.ID(max(i, 0)), float32(i), float64(i))
	}
	check("boundaries", &wamp.Call{Request: math.MaxUint32 + 1, Options: wamp.Dict{}, Procedure: "com.p", Arguments: args, ArgumentsKw: kwargs})

	if _, ok := msgPackSize(&wamp.Publish{Request: 1, Options: wamp.Dict{}, Topic: "t", Arguments: wamp.List{time.Now()}}); ok {
		t.Error("a time.Time, which takes the fallback, was counted")
	}
}
