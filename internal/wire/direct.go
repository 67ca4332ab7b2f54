package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/gammazero/nexus/v3/wamp"
)

// A typed payload can skip the lists and maps a message's values are
// otherwise built from: the typed encoder (codec.EncodeDirect) writes it
// into a Sink of the session's serializer, and the message carries the
// bytes as one Raw value, which that serializer's fast path writes as they
// are. Anything else that meets a Raw (another serializer, the fallback,
// a size count) reads it back into values first (Raw.Value).

// Raw is a value already encoded by a Serializer (see Sink). It is
// immutable: nothing writes to data, which may be the bytes of s.
type Raw struct {
	ser  *Serializer
	data []byte
	// s, when set, is data as a string: the value was kept from a frame
	// whose strings are slices of one string (rawArgs), and so are the
	// strings read from it.
	s string
}

// Len is the size of the encoded value, in bytes.
func (r Raw) Len() int { return len(r.data) }

// errRaw is what Raw.Value reports for bytes its serializer does not read
// back: a value kept raw on decoding (Serializer.KeepRaw) is checked only
// then; a Sink never writes such bytes.
var errRaw = errors.New("wire: the value's bytes do not decode")

// Value reads r back into the values its serializer decodes it to, as for
// a message: the fast path's value decoder's, or for what it declines the
// fallback's (forms the fallback reads its own way, and bytes after the
// value, which it ignores as it always did in a message).
func (r Raw) Value() (any, error) {
	if r.ser == nil {
		return nil, errRaw
	}
	if v, end, ok := r.fastValue(); ok && end == len(r.data) {
		return v, nil
	}
	frame, ok := r.ser.fastAppend(nil, &wamp.Result{Request: 1, Details: wamp.Dict{}, Arguments: wamp.List{r}})
	if !ok {
		return nil, errRaw
	}
	m, _ := r.ser.deserialize(frame) // the fast path declined it already
	res, ok := m.(*wamp.Result)
	if !ok || len(res.Arguments) != 1 {
		return nil, errRaw
	}
	return res.Arguments[0], nil
}

// fastValue reads r with its serializer's fast value decoder, as an
// element of a message's list, and returns where the value ends (JSON:
// after the whitespace that follows it); false when the decoder declines.
func (r Raw) fastValue() (v any, end int, ok bool) {
	s := r.s
	if s == "" && len(r.data) <= sharedStringsMax {
		s = string(r.data) // one copy for every string
	}
	v, end, ok = valueAt(r.ser.format, r.data, s, 0, 1)
	if ok && r.ser.format == serJSON {
		end = skipJSONSpace(r.data, end)
	}
	return v, end, ok
}

// valueAt reads the value at b[i:] with the fast value decoder of format f,
// as one at depth in a message (s, when set, is b as a string, which the
// strings read are slices of), and returns where it ends.
func valueAt(f serialization, b []byte, s string, i, depth int) (v any, end int, ok bool) {
	switch f {
	case serMsgPack:
		d := mpDecoder{b: b, s: s, i: i}
		v, ok = d.value(depth)
		return v, d.i, ok
	case serCBOR:
		d := cborDecoder{b: b, s: s, i: i}
		v, ok = d.value(depth)
		return v, d.i, ok
	case serJSON:
		sc := jsonScratches.Get().(*jsonScratch)
		d := jsonDecoder{b: b, s: s, i: i, scratch: sc.vals[:0], keys: sc.keys[:0]}
		v, ok = d.value(depth)
		sc.put(&d)
		return v, d.i, ok
	}
	return nil, i, false
}

// of reports whether r was written by a serializer of s's format.
func (r Raw) of(s serialization) bool { return r.ser != nil && r.ser.format == s }

// serialization tells the serializations apart.
type serialization uint8

const (
	serJSON serialization = iota + 1
	serMsgPack
	serCBOR
)

// RawArg returns the one argument of args when args is a list of one Raw
// (a payload written or kept in a serialization, args=[raw]).
func RawArg(args []any) (Raw, bool) {
	if len(args) != 1 {
		return Raw{}, false
	}
	r, ok := args[0].(Raw)
	return r, ok
}

// Unraw returns l with every Raw element read back into its values (a new
// list when there is one, else l).
func Unraw(l []any) ([]any, error) {
	var out []any
	for i, x := range l {
		r, ok := x.(Raw)
		if !ok {
			continue
		}
		if out == nil {
			out = append([]any(nil), l...)
		}
		v, err := r.Value()
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	if out == nil {
		return l, nil
	}
	return out, nil
}

// unrawMessage returns msg with the Raw values of its arguments read back
// (a copy when it has any), for the fallback serializer, which knows no
// Raw.
func unrawMessage(msg wamp.Message) (wamp.Message, error) {
	var err error
	switch m := msg.(type) {
	case *wamp.Call:
		c := *m
		c.Arguments, err = Unraw(m.Arguments)
		return &c, err
	case *wamp.Yield:
		y := *m
		y.Arguments, err = Unraw(m.Arguments)
		return &y, err
	case *wamp.Result:
		r := *m
		r.Arguments, err = Unraw(m.Arguments)
		return &r, err
	}
	return msg, nil
}

// Sink writes values for s into a buffer, for codec.EncodeDirect (it
// implements codec.Sink). Its methods write nothing more once Value has
// failed.
func (s *Serializer) Sink(b []byte) *Sink { return &Sink{ser: s, b: b[:0]} }

// sinkRoom is the room a Sink from NewSink has before its buffer grows: a
// typed payload of a dozen short fields. With the Sink it makes 288 bytes,
// one of the runtime's size classes.
const sinkRoom = 240

// roomySink is a Sink and the buffer it starts with, made together.
type roomySink struct {
	Sink
	room [sinkRoom]byte
}

// NewSink is Sink with a buffer of sinkRoom bytes made with the Sink, in
// one allocation rather than two.
func (s *Serializer) NewSink() *Sink {
	k := &roomySink{Sink: Sink{ser: s}}
	k.b = k.room[:0]
	return &k.Sink
}

// Sink is a buffer being written values of one serialization.
type Sink struct {
	ser    *Serializer
	b      []byte
	depth  int
	failed bool
}

// Serializer returns the serializer that writes the peer's messages, for
// payloads written for it in advance (Sink).
func (p *RawSocketPeer) Serializer() *Serializer { return p.ser }

// Serializer returns the serializer that writes the peer's messages, for
// payloads written for it in advance (Sink).
func (p *WebsocketPeer) Serializer() *Serializer { return p.ser }

// For reports whether s writes r as it is: r was written by a serializer
// of s's serialization.
func (r Raw) For(s *Serializer) bool { return s != nil && r.of(s.format) }

// Raw returns what was written, as one value, and false if Value failed.
func (k *Sink) Raw() (Raw, bool) { return Raw{ser: k.ser, data: k.b}, !k.failed }

func (k *Sink) Nil() {
	switch k.ser.format {
	case serJSON:
		k.b = append(k.b, "null"...)
	case serMsgPack:
		k.b = append(k.b, 0xc0)
	default:
		k.b = append(k.b, cborNull)
	}
}

func (k *Sink) Bool(v bool) {
	switch k.ser.format {
	case serJSON:
		k.b = strconv.AppendBool(k.b, v)
	case serMsgPack:
		if v {
			k.b = append(k.b, 0xc3)
		} else {
			k.b = append(k.b, 0xc2)
		}
	default:
		if v {
			k.b = append(k.b, cborTrue)
		} else {
			k.b = append(k.b, cborFalse)
		}
	}
}

func (k *Sink) Int(i int64) {
	switch k.ser.format {
	case serJSON:
		k.b = strconv.AppendInt(k.b, i, 10)
	case serMsgPack:
		k.b = appendInt(k.b, i)
	default:
		k.b = cborInt(k.b, i)
	}
}

func (k *Sink) Uint(u uint64) {
	switch k.ser.format {
	case serJSON:
		k.b = strconv.AppendUint(k.b, u, 10)
	case serMsgPack:
		k.b = appendUint(k.b, u)
	default:
		k.b = cborAppendHead(k.b, cborUint, u)
	}
}

// Float writes f as the fast path writes a float64 (bits 64) or a float32.
func (k *Sink) Float(f float64, bits int) {
	switch k.ser.format {
	case serJSON:
		k.b = appendJSONFloat(k.b, f, bits)
	case serMsgPack:
		if bits == 32 {
			k.b = binary.BigEndian.AppendUint32(append(k.b, 0xca), math.Float32bits(float32(f)))
		} else {
			k.b = binary.BigEndian.AppendUint64(append(k.b, 0xcb), math.Float64bits(f))
		}
	default:
		if bits == 32 {
			k.b = binary.BigEndian.AppendUint32(append(k.b, cborFloat32), math.Float32bits(float32(f)))
		} else {
			k.b = binary.BigEndian.AppendUint64(append(k.b, cborFloat64), math.Float64bits(f))
		}
	}
}

func (k *Sink) String(v string) {
	switch k.ser.format {
	case serJSON:
		k.b = appendJSONString(k.b, v)
	case serMsgPack:
		k.b = appendString(k.b, v)
	default:
		k.b = cborString(k.b, v)
	}
}

// List starts a list of n elements.
func (k *Sink) List(n int) {
	k.depth++
	switch k.ser.format {
	case serJSON:
		k.b = append(k.b, '[')
	case serMsgPack:
		k.b = appendArrayLen(k.b, n)
	default:
		k.b = cborAppendHead(k.b, cborArray, uint64(n))
	}
}

// Dict starts a dictionary of n entries.
func (k *Sink) Dict(n int) {
	k.depth++
	switch k.ser.format {
	case serJSON:
		k.b = append(k.b, '{')
	case serMsgPack:
		k.b = appendMapLen(k.b, n)
	default:
		k.b = cborAppendHead(k.b, cborMap, uint64(n))
	}
}

// Elem comes before the list's element i.
func (k *Sink) Elem(i int) {
	if i > 0 && k.ser.format == serJSON {
		k.b = append(k.b, ',')
	}
}

// Key writes the key of the dictionary's entry i.
func (k *Sink) Key(i int, key string) {
	switch k.ser.format {
	case serJSON:
		if i > 0 {
			k.b = append(k.b, ',')
		}
		k.b = append(appendJSONString(k.b, key), ':')
	case serMsgPack:
		k.b = appendString(k.b, key)
	default:
		k.b = cborString(k.b, key)
	}
}

// End ends the innermost list, or dictionary.
func (k *Sink) End(dict bool) {
	k.depth--
	if k.ser.format != serJSON {
		return
	}
	if dict {
		k.b = append(k.b, '}')
	} else {
		k.b = append(k.b, ']')
	}
}

// Value writes x, a plain value, as the fast path writes it.
func (k *Sink) Value(x any) bool {
	if k.failed {
		return false
	}
	var ok bool
	switch k.ser.format {
	case serJSON:
		k.b, ok = appendJSONValue(k.b, x, k.depth)
	case serMsgPack:
		k.b, ok = appendValue(k.b, x, k.depth)
	default:
		k.b, ok = cborAppendValue(k.b, x, k.depth)
	}
	k.failed = !ok
	return ok
}

// String for a Raw in a failure message.
func (r Raw) String() string { return fmt.Sprintf("wire.Raw(%d bytes)", len(r.data)) }
