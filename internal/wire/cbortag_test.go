package wire

import (
	"bytes"
	"testing"

	"github.com/gammazero/nexus/v3/transport/serialize"
	"github.com/gammazero/nexus/v3/wamp"
	"github.com/ugorji/go/codec"
)

// A CBOR byte string wrapped in tag 64 (RFC 8746 uint8 typed array), as
// wampy's cbor-x sends a Uint8Array, decodes to []byte wherever it sits in a
// payload; other tags are left alone.
func TestCBORTag64IsBinary(t *testing.T) {
	s, err := NewSerializer(serialize.CBOR)
	if err != nil {
		t.Fatal(err)
	}
	tag64 := func(b ...byte) []byte { // 64(h'...'), short byte strings only
		return append([]byte{0xd8, 0x40, 0x40 | byte(len(b))}, b...)
	}
	var frame []byte
	// RESULT [50, 7, {}, [64(h'0001ff'), [64(h'')], 65(h'0100')], {"b": 64(h'2a')}]
	frame = append(frame, 0x85, 0x18, 50, 0x07, 0xa0, 0x83)
	frame = append(frame, tag64(0x00, 0x01, 0xff)...)
	frame = append(frame, 0x81)
	frame = append(frame, tag64()...)
	frame = append(frame, 0xd8, 0x41, 0x42, 0x01, 0x00) // 65: uint16 big endian, not bytes
	frame = append(frame, 0xa1, 0x61, 'b')
	frame = append(frame, tag64(0x2a)...)

	m, err := s.Deserialize(frame)
	if err != nil {
		t.Fatal(err)
	}
	r, ok := m.(*wamp.Result)
	if !ok {
		t.Fatalf("decoded %T %+v, want a RESULT", m, m)
	}
	if b, ok := r.Arguments[0].([]byte); !ok || !bytes.Equal(b, []byte{0, 1, 0xff}) {
		t.Errorf("args[0] = %T %#v, want []byte 0001ff", r.Arguments[0], r.Arguments[0])
	}
	if l, ok := r.Arguments[1].([]any); !ok || len(l) != 1 {
		t.Errorf("args[1] = %T %#v, want a list of one", r.Arguments[1], r.Arguments[1])
	} else if b, ok := l[0].([]byte); !ok || b == nil || len(b) != 0 {
		t.Errorf("args[1][0] = %T %#v, want empty non-nil []byte", l[0], l[0])
	}
	if x, ok := r.Arguments[2].(codec.RawExt); !ok || x.Tag != 65 {
		t.Errorf("args[2] = %T %#v, want tag 65 left as a tagged value", r.Arguments[2], r.Arguments[2])
	}
	if b, ok := r.ArgumentsKw["b"].([]byte); !ok || !bytes.Equal(b, []byte{0x2a}) {
		t.Errorf("kwargs b = %T %#v, want []byte 2a", r.ArgumentsKw["b"], r.ArgumentsKw["b"])
	}

	// The same bytes go back out as a plain byte string, as the spec names.
	out, err := s.Serialize(r)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(out, []byte{0x43, 0x00, 0x01, 0xff}) || bytes.Contains(out, []byte{0xd8, 0x40}) {
		t.Errorf("re-encoded % x: want the bytes as a bare byte string, no tag 64", out)
	}
}
