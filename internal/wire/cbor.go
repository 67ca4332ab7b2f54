package wire

import (
	"encoding/binary"
	"math"

	"github.com/gammazero/nexus/v3/wamp"
)

// The CBOR fast path (see fastpath.go, RFC 8949). On decoding, nexus's CBOR
// codec gives uint64 for an unsigned integer, int64 for a negative one,
// float64 for a single or double float, string for a text string, []byte
// for a byte string, map[string]any and []any; so does this, except that an
// unsigned integer that fits an int64 gives int64 (the canonical types,
// canonical.go). Indefinite lengths, tags, half floats, undefined and the
// other simple values are left to the fallback, as are map keys that are not
// text.
//
// On encoding it writes what nexus's codec writes: each head in its
// shortest form, every float64 in 8 bytes and every float32 in 4, definite
// lengths only.

// CBOR major types, as the top three bits of an item's first byte.
const (
	cborUint  = 0 << 5
	cborNeg   = 1 << 5
	cborBytes = 2 << 5
	cborText  = 3 << 5
	cborArray = 4 << 5
	cborMap   = 5 << 5
	cborTag   = 6 << 5
	cborOther = 7 << 5 // floats and simple values
)

// Simple values and float heads of major type 7.
const (
	cborFalse   = cborOther | 20
	cborTrue    = cborOther | 21
	cborNull    = cborOther | 22
	cborFloat32 = cborOther | 26
	cborFloat64 = cborOther | 27
)

// appendCBORMessage appends msg encoded as the fallback would encode it.
func appendCBORMessage(b []byte, msg wamp.Message) ([]byte, bool) {
	var fs [maxElements]field
	t, fields, ok := outgoing(msg, &fs)
	if !ok {
		return b, false
	}
	start := len(b)
	b = cborAppendHead(b, cborArray, uint64(1+len(fields)))
	b = cborAppendHead(b, cborUint, uint64(t))
	for _, f := range fields {
		switch f.kind {
		case fieldUint:
			b = cborAppendHead(b, cborUint, f.u)
		case fieldString:
			b = cborString(b, f.s)
		case fieldDict:
			b, ok = cborAppendDict(b, f.d, 0)
		case fieldList:
			b, ok = cborAppendList(b, f.l, 0)
		}
		if !ok {
			return b[:start], false
		}
	}
	return b, true
}

func cborAppendValue(b []byte, v any, depth int) ([]byte, bool) {
	switch x := v.(type) {
	case nil:
		return append(b, cborNull), true
	case bool:
		if x {
			return append(b, cborTrue), true
		}
		return append(b, cborFalse), true
	case string:
		return cborString(b, x), true
	case int:
		return cborInt(b, int64(x)), true
	case int64:
		return cborInt(b, x), true
	case int32:
		return cborInt(b, int64(x)), true
	case int16:
		return cborInt(b, int64(x)), true
	case int8:
		return cborInt(b, int64(x)), true
	case uint:
		return cborAppendHead(b, cborUint, uint64(x)), true
	case uint64:
		return cborAppendHead(b, cborUint, x), true
	case uint32:
		return cborAppendHead(b, cborUint, uint64(x)), true
	case uint16:
		return cborAppendHead(b, cborUint, uint64(x)), true
	case uint8:
		return cborAppendHead(b, cborUint, uint64(x)), true
	case wamp.ID:
		return cborAppendHead(b, cborUint, uint64(x)), true
	case wamp.URI:
		return cborString(b, string(x)), true
	case float64:
		return binary.BigEndian.AppendUint64(append(b, cborFloat64), math.Float64bits(x)), true
	case float32:
		return binary.BigEndian.AppendUint32(append(b, cborFloat32), math.Float32bits(x)), true
	case []byte:
		if x == nil {
			return append(b, cborNull), true
		}
		return append(cborAppendHead(b, cborBytes, uint64(len(x))), x...), true
	case []any:
		return cborAppendList(b, x, depth+1)
	case wamp.List:
		return cborAppendList(b, x, depth+1)
	case map[string]any:
		return cborAppendDict(b, x, depth+1)
	case wamp.Dict:
		return cborAppendDict(b, x, depth+1)
	case Raw:
		return append(b, x.data...), x.of(serCBOR)
	}
	return b, false
}

func cborAppendList(b []byte, l []any, depth int) ([]byte, bool) {
	if l == nil {
		return append(b, cborNull), true
	}
	if depth > maxFastDepth {
		return b, false
	}
	b = cborAppendHead(b, cborArray, uint64(len(l)))
	ok := true
	for _, x := range l {
		if b, ok = cborAppendValue(b, x, depth); !ok {
			break
		}
	}
	return b, ok
}

func cborAppendDict(b []byte, d map[string]any, depth int) ([]byte, bool) {
	if d == nil {
		return append(b, cborNull), true
	}
	if depth > maxFastDepth {
		return b, false
	}
	b = cborAppendHead(b, cborMap, uint64(len(d)))
	ok := true
	for k, x := range d {
		b = cborString(b, k)
		if b, ok = cborAppendValue(b, x, depth); !ok {
			break
		}
	}
	return b, ok
}

// cborAppendHead appends the head of an item of the major type with argument n
// (a value, or a length), in its shortest form.
func cborAppendHead(b []byte, major byte, n uint64) []byte {
	switch {
	case n < 24:
		return append(b, major|byte(n))
	case n <= math.MaxUint8:
		return append(b, major|24, byte(n))
	case n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(b, major|25), uint16(n))
	case n <= math.MaxUint32:
		return binary.BigEndian.AppendUint32(append(b, major|26), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(b, major|27), n)
}

// cborInt appends a signed integer: unsigned when not negative, else the
// negative type's -1-i (which is ^i).
func cborInt(b []byte, i int64) []byte {
	if i >= 0 {
		return cborAppendHead(b, cborUint, uint64(i))
	}
	return cborAppendHead(b, cborNeg, uint64(^i))
}

func cborString(b []byte, s string) []byte {
	return append(cborAppendHead(b, cborText, uint64(len(s))), s...)
}

// decodeCBORMessage decodes the frame of a CALL, YIELD, PUBLISH, RESULT,
// INVOCATION, EVENT or ERROR.
func decodeCBORMessage(data []byte) (wamp.Message, bool) { return decodeCBORFrame(data, nil) }

// decodeCBORFrame is decodeCBORMessage, keeping arguments raw for keep
// when not nil (Serializer.KeepRaw).
func decodeCBORFrame(data []byte, keep *Serializer) (wamp.Message, bool) {
	d := cborDecoder{b: data}
	if len(data) <= sharedStringsMax {
		d.s = string(data)
	}
	major, n, ok := d.head()
	if !ok || major != cborArray || n > maxElements {
		return nil, false
	}
	var es [maxElements]element
	for i := range n {
		if i == n-1 {
			if q, can := keepable(keep, es[:i], int(i)); can {
				if start, ok := d.oneDict(); ok && q.wanted() {
					es[i], d.i = rawArgs(keep, d.b, d.s, start, len(d.b)), len(d.b)
					break
				}
			}
		}
		if es[i], ok = d.element(); !ok {
			return nil, false
		}
	}
	if d.i != len(d.b) {
		return nil, false
	}
	return incoming(es[:n])
}

// oneDict returns the offset of the map's head when the rest of the frame
// is a list of one element that starts with the head of a map of definite
// length (which KeepRaw keeps raw), without moving.
func (d *cborDecoder) oneDict() (start int, ok bool) {
	l := *d
	if major, n, ok := l.head(); !ok || major != cborArray || n != 1 || l.i >= len(l.b) {
		return 0, false
	}
	if c := l.b[l.i]; c&0xe0 != cborMap || c&0x1f > 27 {
		return 0, false
	}
	return l.i, true
}

// cborDecoder reads CBOR from b; s, when set, is b as a string, and strings
// are slices of it.
type cborDecoder struct {
	b []byte
	s string
	i int
}

// head reads an item's head: its major type and its argument (a value or a
// length). It declines an indefinite length and the reserved forms; for
// major type 7 the argument is the simple value or the float's bits.
func (d *cborDecoder) head() (major byte, n uint64, ok bool) {
	if d.i >= len(d.b) {
		return 0, 0, false
	}
	c := d.b[d.i]
	major, info := c&0xe0, c&0x1f
	if info < 24 {
		d.i++
		return major, uint64(info), true
	}
	if info > 27 { // reserved, or an indefinite length
		return 0, 0, false
	}
	w := 1 << (info - 24)
	if len(d.b)-d.i < 1+w {
		return 0, 0, false
	}
	p := d.b[d.i+1 : d.i+1+w]
	d.i += 1 + w
	return major, beUint(p), true
}

// element reads one element of a message's list; an unsigned integer is not
// boxed.
func (d *cborDecoder) element() (element, bool) {
	if d.i < len(d.b) && d.b[d.i]&0xe0 == cborUint {
		_, n, ok := d.head()
		return element{u: n, isInt: true}, ok
	}
	v, ok := d.value(0)
	return element{v: v}, ok
}

func (d *cborDecoder) value(depth int) (any, bool) {
	if depth > maxFastDepth {
		return nil, false
	}
	start := d.i
	major, n, ok := d.head()
	if !ok {
		return nil, false
	}
	switch major {
	case cborUint:
		return canonUint(n), true
	case cborNeg:
		if n > math.MaxInt64 {
			return nil, false
		}
		return int64(^n), true
	case cborBytes:
		if n > uint64(len(d.b)-d.i) {
			return nil, false
		}
		p := make([]byte, n)
		d.i += copy(p, d.b[d.i:])
		return p, true
	case cborText:
		return d.str(n)
	case cborArray:
		return d.elems(n, depth)
	case cborMap:
		return d.entries(n, depth)
	case cborOther:
		switch c := d.b[start]; c {
		case cborFalse, cborTrue:
			return c == cborTrue, true
		case cborNull:
			return nil, true
		case cborFloat32:
			return float64(math.Float32frombits(uint32(n))), true
		case cborFloat64:
			return math.Float64frombits(n), true
		}
	}
	return nil, false // tags, half floats, undefined, other simple values: nexus decides
}

func (d *cborDecoder) str(n uint64) (string, bool) {
	if n > uint64(len(d.b)-d.i) {
		return "", false
	}
	end := d.i + int(n)
	var s string
	if d.s != "" {
		s = d.s[d.i:end]
	} else {
		s = string(d.b[d.i:end])
	}
	d.i = end
	return s, true
}

func (d *cborDecoder) elems(n uint64, depth int) (any, bool) {
	if n > uint64(len(d.b)-d.i) { // every element takes a byte at least
		return nil, false
	}
	l := make([]any, 0, min(n, preallocMax)) // a claimed length is grown into, not trusted
	for range n {
		v, ok := d.value(depth + 1)
		if !ok {
			return nil, false
		}
		l = append(l, v)
	}
	return l, true
}

func (d *cborDecoder) entries(n uint64, depth int) (any, bool) {
	if n > uint64(len(d.b)-d.i)/2 { // every entry takes two bytes at least
		return nil, false
	}
	m := make(map[string]any, min(n, preallocMax))
	for range n {
		major, kn, ok := d.head()
		if !ok || major != cborText {
			return nil, false
		}
		k, ok := d.str(kn)
		if !ok {
			return nil, false
		}
		v, ok := d.value(depth + 1)
		if !ok {
			return nil, false
		}
		before := len(m)
		if m[k] = v; len(m) == before {
			return nil, false // a repeated key: nexus decides
		}
	}
	return m, true
}
