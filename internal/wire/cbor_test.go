package wire

import (
	"encoding/hex"
	"runtime"
	"strings"
	"testing"

	"github.com/gammazero/nexus/v3/wamp"
)

// Forms nexus's codec never writes but other CBOR encoders may: heads
// longer than needed, a float32, a map key and strings in long heads, nulls
// in the message's own fields, negative integers at their limits, and a
// text string that is not UTF-8 (which nexus does not check).
func TestCBORDecodesOtherEncodersForms(t *testing.T) {
	for _, frame := range []string{
		"84" + "1832" + "1807" + "a0" + "81" + "1805",                             // RESULT with 1-byte heads for small numbers
		"84" + "1832" + "190007" + "b90000" + "990001" + "1b0000000000000009",     // 2-byte heads, uint64 9
		"83" + "1832" + "1bffffffffffffffff" + "a0",                               // request ID above MaxInt64
		"83" + "1832" + "01" + "f6",                                               // null Details
		"85" + "1832" + "01" + "a0" + "f6" + "a1" + "6161" + "01",                 // null Arguments, kwargs
		"84" + "1832" + "01" + "a0" + "81" + "790002" + "6869",                    // text with a 2-byte length
		"84" + "1832" + "01" + "a0" + "81" + "7a00000002" + "6869",                // text with a 4-byte length
		"84" + "1832" + "01" + "a0" + "81" + "fa3fc00000",                         // float32 1.5
		"84" + "1832" + "01" + "a0" + "81" + "590002" + "0102",                    // bytes with a 2-byte length
		"84" + "1832" + "01" + "a0" + "83" + "20" + "3b7fffffffffffffff" + "38ff", // -1, MinInt64, -256
		"84" + "1832" + "01" + "a1" + "780161" + "f5" + "80",                      // a map key with a 1-byte length
		"84" + "1832" + "01" + "a0" + "81" + "6361ff62",                           // text that is not UTF-8
		"82" + "08" + "1830",                             // ERROR with only a type
		"86" + "1844" + "01" + "02" + "a0" + "80" + "a0", // INVOCATION, empty args and kwargs
		"85" + "1824" + "05" + "06" + "a1" + "6178" + "f6" + "83" + "f5" + "f4" + "f6", // EVENT
		"87" + "08" + "1830" + "01" + "a0" + "6165" + "80" + "a0",                      // ERROR with everything
	} {
		b, err := hex.DecodeString(frame)
		if err != nil {
			t.Fatal(frame, err)
		}
		checkDecode(t, cborFmt, b, true)
	}
}

// The fast path declines what it does not take, and nexus decides.
func TestCBORDeclines(t *testing.T) {
	for _, frame := range []string{
		"",
		"80",                                   // no type
		"83" + "01" + "a0" + "6170",            // HELLO: not a call message
		"84" + "1832" + "01" + "a0",            // truncated: 4 elements promised, 3 present
		"84" + "1832" + "01" + "a0" + "81",     // truncated list
		"83" + "1832" + "20" + "a0",            // negative request ID
		"83" + "1832" + "616e" + "a0",          // text request ID
		"83" + "1832" + "01" + "81f6",          // list as Details
		"83" + "1832" + "01" + "05",            // integer as Details
		"84" + "1832" + "01" + "a0" + "a0",     // map as Arguments
		"84" + "1832" + "01" + "a10101",        // integer map key
		"84" + "1832" + "01" + "a14161" + "01", // byte-string map key
		"84" + "1832" + "01" + "a0" + "81" + "c11a5f5e1000",                       // tag 1 (epoch time)
		"84" + "1832" + "01" + "a0" + "81" + "d84043010203",                       // tag 64 (uint8 typed array)
		"84" + "1832" + "01" + "a0" + "81" + "f93c00",                             // half float 1.0
		"84" + "1832" + "01" + "a0" + "81" + "f7",                                 // undefined
		"84" + "1832" + "01" + "a0" + "81" + "f820",                               // simple value 32
		"84" + "1832" + "01" + "a0" + "9f" + "ff",                                 // indefinite list
		"84" + "1832" + "01" + "a0" + "81" + "7f6161ff",                           // indefinite text
		"84" + "1832" + "01" + "a0" + "81" + "1c",                                 // reserved head
		"84" + "1832" + "01" + "a0" + "81" + "3bffffffffffffffff",                 // below MinInt64
		"86" + "1832" + "01" + "a0" + "80" + "a0" + "01",                          // a field beyond the message's
		"83" + "1832" + "01" + "a0" + "00",                                        // trailing byte
		"84" + "1832" + "01" + "a0" + "9a7fffffff",                                // a length far beyond the frame
		"84" + "1832" + "01" + "a0" + "81" + "ba7fffffff",                         // a map length far beyond the frame
		"84" + "1832" + "01" + "a0" + "81" + "5b7fffffffffffffff",                 // a byte length far beyond the frame
		"84" + "1832" + "01" + "a0" + "81" + "a2" + "6161" + "01" + "6161" + "02", // a repeated key
	} {
		b, err := hex.DecodeString(frame)
		if err != nil {
			t.Fatal(frame, err)
		}
		if msg, ok := decodeCBORMessage(b); ok {
			t.Errorf("%s: fast path took it as %#v", frame, msg)
		}
	}
	deep := strings.Repeat("81", maxFastDepth+5) + "f6"
	b, _ := hex.DecodeString("84" + "1832" + "01" + "a0" + "81" + deep)
	if _, ok := decodeCBORMessage(b); ok {
		t.Error("fast path took a list nested beyond its depth limit")
	}
	if _, ok := appendCBORMessage(nil, &wamp.Call{Request: 1, Procedure: "p", Arguments: wamp.List{struct{}{}}}); ok {
		t.Error("fast path encoded a struct")
	}
	if _, ok := appendCBORMessage(nil, &wamp.Register{Request: 1, Procedure: "p"}); ok {
		t.Error("fast path encoded a REGISTER")
	}
}

// FuzzCBORFastPath: whatever the fast path takes, the fallback reads the
// same.
func FuzzCBORFastPath(f *testing.F) { fuzzFastPath(f, cborFmt) }

// A string decoded from a large CBOR frame does not alias the frame.
func TestCBORLargeFramesCopyEachString(t *testing.T) {
	big := strings.Repeat("x", sharedStringsMax)
	frame, err := cborFmt.slow.Serialize(&wamp.Result{Request: 1, Details: wamp.Dict{}, Arguments: wamp.List{"small", big}})
	if err != nil {
		t.Fatal(err)
	}
	msg, ok := decodeCBORMessage(frame)
	if !ok {
		t.Fatal("declined")
	}
	args := msg.(*wamp.Result).Arguments
	clear(frame)
	if args[0] != "small" || args[1] != big {
		t.Fatal("a decoded string aliases the frame")
	}
}

// A frame of nested lists, each claiming the rest of the frame, costs the
// decoder what its elements take (16 bytes a one-byte element, and the
// slice's growth), not the sum of every claim: lengths are grown into, not
// allocated up front. (Both fast paths; before, a 1 MiB frame made them
// allocate 1.5 GB before declining it: 1,500 times its size.)
func TestClaimedLengthsAreNotAllocatedUpFront(t *testing.T) {
	const size = 256 << 10
	for _, f := range []struct {
		name   string
		decode func([]byte) (wamp.Message, bool)
		head   []byte // RESULT [50, 1, {}, ...
		list   func(n int) []byte
	}{
		{"msgpack", decodeMsgPackMessage, []byte{0x94, 0x32, 0x01, 0x80}, func(n int) []byte {
			return []byte{0xdd, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
		}},
		{"cbor", decodeCBORMessage, []byte{0x84, 0x18, 0x32, 0x01, 0xa0}, func(n int) []byte {
			return []byte{0x9a, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
		}},
	} {
		frame := append([]byte{}, f.head...)
		for range maxFastDepth - 2 {
			frame = append(frame, f.list(size-len(frame)-5)...)
		}
		for len(frame) < size {
			frame = append(frame, 0) // the integer 0 in both formats
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		if _, ok := f.decode(frame); ok {
			t.Fatalf("%s: took a frame whose lists are short of their claims", f.name)
		}
		runtime.ReadMemStats(&after)
		if got := after.TotalAlloc - before.TotalAlloc; got > 128*size {
			t.Errorf("%s: decoding a %d-byte frame allocated %d bytes", f.name, size, got)
		}
	}
}
