package bench

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"reflect"
	"testing"

	"github.com/gammazero/nexus/v3/transport/serialize"
	"github.com/gammazero/nexus/v3/wamp"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/codec"
	"github.com/wampkit/wampkit/internal/payload"
	"github.com/wampkit/wampkit/internal/wire"
)

// This file measures the cheapest typed path a client could have: Struct10
// written straight into a MessagePack YIELD frame and read straight out of a
// RESULT frame, by code written for this one struct (what a code generator
// would emit), with no map and no reflection in between. It is not a
// serializer anyone should use: it takes only the forms it writes and the
// ones wampkit's serializer writes, and checks nothing a real decoder must.
// It bounds from below what a direct typed path in wampkit (see
// BENCHMARKS.md, Not done) could cost, against what wampkit's typed calls
// cost today: the codec's map in between and the wire's fast path.

// appendDirectYield appends [YIELD, req, {}, [s]] in MessagePack.
func appendDirectYield(b []byte, req uint64, s *Struct10) []byte {
	b = append(b, 0x94, byte(wamp.YIELD))
	b = appendMsgUint(b, req)
	b = append(b, 0x80, 0x91, 0x8a) // {}, [ and a map of 10
	b = appendMsgInt(appendMsgStr(b, "id"), s.ID)
	b = appendMsgStr(appendMsgStr(b, "name"), s.Name)
	b = appendMsgStr(appendMsgStr(b, "email"), s.Email)
	b = appendMsgInt(appendMsgStr(b, "age"), int64(s.Age))
	b = binary.BigEndian.AppendUint64(append(appendMsgStr(b, "score"), 0xcb), math.Float64bits(s.Score))
	b = appendMsgStr(b, "active")
	if s.Active {
		b = append(b, 0xc3)
	} else {
		b = append(b, 0xc2)
	}
	b = appendMsgStr(b, "tags")
	b = append(b, 0x90|byte(len(s.Tags))) // fewer than 16 here
	for _, t := range s.Tags {
		b = appendMsgStr(b, t)
	}
	b = appendMsgStr(appendMsgStr(b, "country"), s.Country)
	b = appendMsgStr(appendMsgStr(b, "created"), s.Created)
	return appendMsgUint(appendMsgStr(b, "level"), uint64(s.Level))
}

func appendMsgStr(b []byte, s string) []byte {
	if len(s) < 32 {
		b = append(b, 0xa0|byte(len(s)))
	} else {
		b = append(b, 0xd9, byte(len(s))) // under 256 here
	}
	return append(b, s...)
}

func appendMsgUint(b []byte, u uint64) []byte {
	switch {
	case u < 128:
		return append(b, byte(u))
	case u <= math.MaxUint32:
		return binary.BigEndian.AppendUint32(append(b, 0xce), uint32(u))
	}
	return binary.BigEndian.AppendUint64(append(b, 0xcf), u)
}

func appendMsgInt(b []byte, i int64) []byte {
	if i >= 0 {
		return appendMsgUint(b, uint64(i))
	}
	return binary.BigEndian.AppendUint64(append(b, 0xd3), uint64(i))
}

var errDirect = errors.New("direct: a form this reader does not take")

// directReader reads the MessagePack forms wampkit's serializer writes.
type directReader struct {
	b   []byte
	err error
}

func (r *directReader) byte() byte {
	if len(r.b) == 0 {
		r.err = errDirect
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

// take returns the next n bytes; when fewer are left it records the error
// and returns n zero bytes, so that a short frame fails instead of panicking.
func (r *directReader) take(n int) []byte {
	if n > len(r.b) {
		r.err = errDirect
		r.b = nil
		return make([]byte, n)
	}
	p := r.b[:n]
	r.b = r.b[n:]
	return p
}

func (r *directReader) int() int64 {
	c := r.byte()
	switch {
	case c < 0x80:
		return int64(c)
	case c >= 0xe0:
		return int64(int8(c))
	case c == 0xcc:
		return int64(r.byte())
	case c == 0xcd:
		return int64(binary.BigEndian.Uint16(r.take(2)))
	case c == 0xce:
		return int64(binary.BigEndian.Uint32(r.take(4)))
	case c == 0xcf, c == 0xd3:
		return int64(binary.BigEndian.Uint64(r.take(8)))
	case c == 0xd0:
		return int64(int8(r.byte()))
	case c == 0xd1:
		return int64(int16(binary.BigEndian.Uint16(r.take(2))))
	case c == 0xd2:
		return int64(int32(binary.BigEndian.Uint32(r.take(4))))
	}
	r.err = errDirect
	return 0
}

// strBytes reads a string's bytes, not copied.
func (r *directReader) strBytes() []byte {
	c := r.byte()
	switch {
	case c&0xe0 == 0xa0:
		return r.take(int(c & 0x1f))
	case c == 0xd9:
		return r.take(int(r.byte()))
	case c == 0xda:
		return r.take(int(binary.BigEndian.Uint16(r.take(2))))
	}
	r.err = errDirect
	return nil
}

func (r *directReader) len(fix, mask, b16 byte) int {
	c := r.byte()
	switch {
	case c&^mask == fix:
		return int(c & mask)
	case c == b16:
		return int(binary.BigEndian.Uint16(r.take(2)))
	}
	r.err = errDirect
	return 0
}

func (r *directReader) float() float64 {
	if len(r.b) == 0 {
		r.err = errDirect
		return 0
	}
	switch r.b[0] {
	case 0xcb:
		r.byte()
		return math.Float64frombits(binary.BigEndian.Uint64(r.take(8)))
	case 0xca:
		r.byte()
		return float64(math.Float32frombits(binary.BigEndian.Uint32(r.take(4))))
	}
	return float64(r.int())
}

// readDirectResult reads [RESULT, req, {}, [s]] into s.
func readDirectResult(frame []byte, s *Struct10) error {
	r := directReader{b: frame}
	n := r.len(0x90, 0x0f, 0xdc)
	if r.int() != int64(wamp.RESULT) || n != 4 {
		return errDirect
	}
	r.int() // request
	if r.len(0x80, 0x0f, 0xde) != 0 || r.len(0x90, 0x0f, 0xdc) != 1 {
		return errDirect
	}
	fields := r.len(0x80, 0x0f, 0xde)
	for range fields {
		if r.err != nil {
			break
		}
		switch string(r.strBytes()) { // no allocation: the compiler compares in place
		case "id":
			s.ID = r.int()
		case "name":
			s.Name = string(r.strBytes())
		case "email":
			s.Email = string(r.strBytes())
		case "age":
			s.Age = int(r.int())
		case "score":
			s.Score = r.float()
		case "active":
			s.Active = r.byte() == 0xc3
		case "tags":
			s.Tags = make([]string, r.len(0x90, 0x0f, 0xdc))
			for i := range s.Tags {
				s.Tags[i] = string(r.strBytes())
			}
		case "country":
			s.Country = string(r.strBytes())
		case "created":
			s.Created = string(r.strBytes())
		case "level":
			s.Level = uint32(r.int())
		default:
			return errDirect
		}
	}
	if r.err != nil || len(r.b) != 0 {
		return errDirect
	}
	return nil
}

// directFrames gives a RESULT frame of struct10 as wampkit's serializer
// writes it, and the serializer.
func directFrames(tb testing.TB) (*wire.Serializer, []byte) {
	ser, err := wire.NewSerializer(serialize.MSGPACK)
	if err != nil {
		tb.Fatal(err)
	}
	args, kwargs, err := codec.Encode(struct10)
	if err != nil {
		tb.Fatal(err)
	}
	frame, err := ser.Serialize(&wamp.Result{Request: 4242, Details: wamp.Dict{}, Arguments: args, ArgumentsKw: kwargs})
	if err != nil {
		tb.Fatal(err)
	}
	return ser, frame
}

// TestDirectStruct10MatchesCodec checks that the direct path of
// BenchmarkTypedWire does the same work as wampkit's: it reads what
// wampkit's serializer writes, and what it writes decodes through wampkit
// to the same struct.
func TestDirectStruct10MatchesCodec(t *testing.T) {
	ser, frame := directFrames(t)
	var got Struct10
	if err := readDirectResult(frame, &got); err != nil {
		t.Fatalf("direct read of wampkit's RESULT frame: %v", err)
	}
	if !reflect.DeepEqual(got, struct10) {
		t.Fatalf("direct read gave %+v, want %+v", got, struct10)
	}
	msg, err := ser.Deserialize(appendDirectYield(nil, 4242, &struct10))
	if err != nil {
		t.Fatal(err)
	}
	y, ok := msg.(*wamp.Yield)
	if !ok || y.Request != 4242 || len(y.Options) != 0 {
		t.Fatalf("direct YIELD frame decoded to %T %+v, want request 4242 and no options", msg, msg)
	}
	var back Struct10
	if err := codec.DecodeResult(y.Arguments, y.ArgumentsKw, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, struct10) {
		t.Fatalf("direct YIELD decoded by wampkit to %+v, want %+v", back, struct10)
	}
}

// BenchmarkTypedWire measures one side's typed work on one call with the
// struct10 payload over MessagePack: writing the struct into an outgoing
// frame and reading an incoming frame into the struct ("both"), as
// wampkit's map path did it ("maps": codec.Encode, then decoding the
// frame and codec.DecodeResult), as wampkit does it ("wampkit": the
// reflective direct path into a Sink spliced into the frame, and from the
// payload kept raw), as generated code inside wampkit's design would
// ("generated": the same frame work, the struct without reflection), with
// a reflective MessagePack library ("reflect"), and as a direct path
// written for Struct10, frame included, would ("direct"). A call runs
// "both" twice, once at the caller and once at the callee.
func BenchmarkTypedWire(b *testing.B) {
	ser, frame := directFrames(b)
	wampkitEncode := func(buf []byte) []byte {
		args, kwargs, _, err := codec.EncodeFresh(struct10) // as caller.Call and callee.Register encode
		if err != nil {
			b.Fatal(err)
		}
		buf, err = ser.Append(buf, &wamp.Yield{Request: 4242, Options: wamp.Dict{}, Arguments: args, ArgumentsKw: kwargs})
		if err != nil {
			b.Fatal(err)
		}
		return buf
	}
	wampkitDecode := func(out *Struct10) {
		r, ok := ser.DeserializeBorrowed(frame).(*wamp.Result)
		if !ok {
			b.Fatal("not a RESULT")
		}
		if err := codec.DecodeResult(r.Arguments, r.ArgumentsKw, out); err != nil {
			b.Fatal(err)
		}
	}
	// sinkYield frames as a YIELD what write puts into a Sink made as the
	// session makes it: the typed path over a wire peer (caller.Call,
	// callee.Register), the struct written into a Sink spliced into the
	// frame.
	sinkYield := func(buf []byte, write func(*wire.Sink) bool) []byte {
		sink := ser.NewSink()
		if !write(sink) {
			b.Fatal("the direct path declined struct10")
		}
		raw, ok := sink.Raw()
		if !ok {
			b.Fatal("writing struct10 failed")
		}
		buf, err := ser.Append(buf, &wamp.Yield{Request: 4242, Options: wamp.Dict{}, Arguments: wamp.List{raw}})
		if err != nil {
			b.Fatal(err)
		}
		return buf
	}
	sinkEncode := func(buf []byte) []byte {
		return sinkYield(buf, func(k *wire.Sink) bool { return codec.EncodeDirect(k, struct10) })
	}
	keep, err := wire.NewSerializer(serialize.MSGPACK)
	if err != nil {
		b.Fatal(err)
	}
	keep.KeepRaw()
	// keptArgs decodes the RESULT frame as a wire peer that keeps a typed
	// reader's object undecoded does: its arguments, one wire.Raw.
	keptArgs := func() []any {
		r, ok := keep.DeserializeBorrowed(frame).(*wamp.Result)
		if !ok || len(r.Arguments) != 1 {
			b.Fatal("not a RESULT of one argument")
		}
		if _, ok := r.Arguments[0].(wire.Raw); !ok {
			b.Fatalf("kept %T", r.Arguments[0])
		}
		return r.Arguments
	}
	// The typed path wampkit takes from a wire peer: the object kept
	// undecoded, read straight into the struct (payload.DecodeResult, as
	// caller.Call decodes; callee.Register's DecodeArgs takes the same
	// direct decoder). DecodeResult falls back to the map path when the
	// direct decoder declines; the frame is checked once to be one it takes.
	var rd wire.RawReader
	keptArgs()[0].(wire.Raw).Reader(&rd)
	if !codec.DecodeDirect(&rd, new(Struct10)) {
		b.Fatal("the direct decoder declined struct10")
	}
	rawDecode := func(out *Struct10) {
		if err := payload.DecodeResult(client.Payload{Args: keptArgs()}, out); err != nil {
			b.Fatal(err)
		}
	}
	// What generated code would do (generated_test.go, whose test checks it
	// against the codec): the frame as sinkEncode and rawDecode handle it,
	// the struct without reflection. The struct is boxed, as caller.Call
	// and sinkEncode box it; the reader is called directly, not through
	// payload.DecodeResult's dispatch, and its RawReader is allocated where
	// wampkit pools one.
	generatedEncode := func(buf []byte) []byte {
		return sinkYield(buf, func(k *wire.Sink) bool {
			sinkAny = struct10
			v := sinkAny.(Struct10)
			writeStruct10(k, &v)
			return true
		})
	}
	generatedDecode := func(out *Struct10) {
		var rd wire.RawReader
		keptArgs()[0].(wire.Raw).Reader(&rd)
		if !readStruct10(&rd, out) {
			b.Fatal("the generated reader declined struct10")
		}
	}
	directEncode := func(buf []byte) []byte { return appendDirectYield(buf, 4242, &struct10) }
	directDecode := func(out *Struct10) {
		if err := readDirectResult(frame, out); err != nil {
			b.Fatal(err)
		}
	}
	var (
		rbuf   bytes.Buffer
		enc    = msgpack.NewEncoder(&rbuf)
		rframe = bytes.NewReader(nil)
		dec    = msgpack.NewDecoder(rframe)
	)
	enc.SetCustomStructTag("json")
	dec.SetCustomStructTag("json")
	reflectEncode := func(buf []byte) []byte {
		rbuf.Reset()
		err := errors.Join(enc.EncodeArrayLen(4), enc.EncodeInt(int64(wamp.YIELD)), enc.EncodeUint(4242),
			enc.EncodeMapLen(0), enc.EncodeArrayLen(1), enc.Encode(&struct10))
		if err != nil {
			b.Fatal(err)
		}
		return append(buf, rbuf.Bytes()...)
	}
	reflectDecode := func(out *Struct10) {
		rframe.Reset(frame)
		dec.Reset(rframe)
		dec.SetCustomStructTag("json")
		n, err := dec.DecodeArrayLen()
		if err != nil || n != 4 {
			b.Fatal(n, err)
		}
		t, err1 := dec.DecodeInt()
		_, err2 := dec.DecodeUint64()
		d, err3 := dec.DecodeMapLen()
		a, err4 := dec.DecodeArrayLen()
		if err := errors.Join(err1, err2, err3, err4, dec.Decode(out)); err != nil || t != int(wamp.RESULT) || d != 0 || a != 1 {
			b.Fatal(t, d, a, err)
		}
	}
	var check Struct10
	reflectDecode(&check)
	if !reflect.DeepEqual(check, struct10) {
		b.Fatalf("reflect path read %+v, want %+v", check, struct10)
	}
	if msg, err := ser.Deserialize(reflectEncode(nil)); err != nil || msg.(*wamp.Yield).Request != 4242 {
		b.Fatalf("reflect path wrote %v (%v)", msg, err)
	}
	for _, c := range []struct {
		name   string
		encode func([]byte) []byte
		decode func(*Struct10)
	}{
		{"maps", wampkitEncode, wampkitDecode},
		{"wampkit", sinkEncode, rawDecode},
		{"generated", generatedEncode, generatedDecode},
		{"reflect", reflectEncode, reflectDecode},
		{"direct", directEncode, directDecode},
	} {
		var buf []byte // reused, as the peers reuse theirs
		b.Run(c.name+"/encode", func(b *testing.B) {
			b.ReportAllocs()
			defer reportCPU(b)()
			for b.Loop() {
				buf = c.encode(buf[:0])
			}
		})
		b.Run(c.name+"/decode", func(b *testing.B) {
			b.ReportAllocs()
			defer reportCPU(b)()
			for b.Loop() {
				var out Struct10
				c.decode(&out)
				sinkAny = out.Tags
			}
		})
		b.Run(c.name+"/both", func(b *testing.B) {
			b.ReportAllocs()
			defer reportCPU(b)()
			for b.Loop() {
				buf = c.encode(buf[:0])
				var out Struct10
				c.decode(&out)
				sinkAny = out.Tags
			}
		})
	}
}
