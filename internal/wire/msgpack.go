package wire

import (
	"encoding/binary"
	"math"

	"github.com/gammazero/nexus/v3/wamp"
)

// The MsgPack fast path (see fastpath.go). On decoding nexus gives int64 for
// fixints and the signed forms, uint64 for the unsigned forms, float64 for
// both float forms, string for str, []byte for bin, map[string]any and
// []any; so does this, except that an unsigned form whose value fits an
// int64 gives int64 (the canonical types, canonical.go).

// appendMsgPackMessage appends msg encoded as the fallback would encode it.
func appendMsgPackMessage(b []byte, msg wamp.Message) ([]byte, bool) {
	var fs [maxElements]field
	t, fields, ok := outgoing(msg, &fs)
	if !ok {
		return b, false
	}
	start := len(b)
	b = appendArrayLen(b, 1+len(fields))
	b = appendInt(b, int64(t))
	for _, f := range fields {
		switch f.kind {
		case fieldUint:
			b = appendUint(b, f.u)
		case fieldString:
			b = appendString(b, f.s)
		case fieldDict:
			b, ok = appendDict(b, f.d, 0)
		case fieldList:
			b, ok = appendList(b, f.l, 0)
		}
		if !ok {
			return b[:start], false
		}
	}
	return b, true
}

func appendValue(b []byte, v any, depth int) ([]byte, bool) {
	switch x := v.(type) {
	case nil:
		return append(b, 0xc0), true
	case bool:
		if x {
			return append(b, 0xc3), true
		}
		return append(b, 0xc2), true
	case string:
		return appendString(b, x), true
	case int:
		return appendInt(b, int64(x)), true
	case int64:
		return appendInt(b, x), true
	case int32:
		return appendInt(b, int64(x)), true
	case int16:
		return appendInt(b, int64(x)), true
	case int8:
		return appendInt(b, int64(x)), true
	case uint:
		return appendUint(b, uint64(x)), true
	case uint64:
		return appendUint(b, x), true
	case uint32:
		return appendUint(b, uint64(x)), true
	case uint16:
		return appendUint(b, uint64(x)), true
	case uint8:
		return appendUint(b, uint64(x)), true
	case wamp.ID:
		return appendUint(b, uint64(x)), true
	case wamp.URI:
		return appendString(b, string(x)), true
	case float64:
		b = append(b, 0xcb)
		return binary.BigEndian.AppendUint64(b, math.Float64bits(x)), true
	case float32:
		b = append(b, 0xca)
		return binary.BigEndian.AppendUint32(b, math.Float32bits(x)), true
	case []byte:
		if x == nil {
			return append(b, 0xc0), true
		}
		return appendBinary(b, x), true
	case []any:
		return appendList(b, x, depth+1)
	case wamp.List:
		return appendList(b, x, depth+1)
	case map[string]any:
		return appendDict(b, x, depth+1)
	case wamp.Dict:
		return appendDict(b, x, depth+1)
	case Raw:
		return append(b, x.data...), x.of(serMsgPack)
	}
	return b, false
}

func appendList(b []byte, l []any, depth int) ([]byte, bool) {
	if l == nil {
		return append(b, 0xc0), true
	}
	if depth > maxFastDepth {
		return b, false
	}
	b = appendArrayLen(b, len(l))
	ok := true
	for _, x := range l {
		if b, ok = appendValue(b, x, depth); !ok {
			break
		}
	}
	return b, ok
}

func appendDict(b []byte, d map[string]any, depth int) ([]byte, bool) {
	if d == nil {
		return append(b, 0xc0), true
	}
	if depth > maxFastDepth {
		return b, false
	}
	b = appendMapLen(b, len(d))
	ok := true
	for k, x := range d {
		b = appendString(b, k)
		if b, ok = appendValue(b, x, depth); !ok {
			break
		}
	}
	return b, ok
}

func appendMapLen(b []byte, n int) []byte {
	switch {
	case n < 16:
		return append(b, 0x80|byte(n))
	case n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(b, 0xde), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(b, 0xdf), uint32(n))
}

func appendArrayLen(b []byte, n int) []byte {
	switch {
	case n < 16:
		return append(b, 0x90|byte(n))
	case n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(b, 0xdc), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(b, 0xdd), uint32(n))
}

func appendString(b []byte, s string) []byte {
	switch n := len(s); {
	case n < 32:
		b = append(b, 0xa0|byte(n))
	case n <= math.MaxUint8:
		b = append(b, 0xd9, byte(n))
	case n <= math.MaxUint16:
		b = binary.BigEndian.AppendUint16(append(b, 0xda), uint16(n))
	default:
		b = binary.BigEndian.AppendUint32(append(b, 0xdb), uint32(n))
	}
	return append(b, s...)
}

func appendBinary(b []byte, p []byte) []byte {
	switch n := len(p); {
	case n <= math.MaxUint8:
		b = append(b, 0xc4, byte(n))
	case n <= math.MaxUint16:
		b = binary.BigEndian.AppendUint16(append(b, 0xc5), uint16(n))
	default:
		b = binary.BigEndian.AppendUint32(append(b, 0xc6), uint32(n))
	}
	return append(b, p...)
}

// appendInt writes a signed integer in the shortest signed form, as nexus's
// encoder does.
func appendInt(b []byte, i int64) []byte {
	switch {
	case i > math.MaxInt32:
		return binary.BigEndian.AppendUint64(append(b, 0xd3), uint64(i))
	case i > math.MaxInt16:
		return binary.BigEndian.AppendUint32(append(b, 0xd2), uint32(i))
	case i > math.MaxInt8:
		return binary.BigEndian.AppendUint16(append(b, 0xd1), uint16(i))
	case i >= -32:
		return append(b, byte(i))
	case i >= math.MinInt8:
		return append(b, 0xd0, byte(i))
	case i >= math.MinInt16:
		return binary.BigEndian.AppendUint16(append(b, 0xd1), uint16(i))
	case i >= math.MinInt32:
		return binary.BigEndian.AppendUint32(append(b, 0xd2), uint32(i))
	}
	return binary.BigEndian.AppendUint64(append(b, 0xd3), uint64(i))
}

// appendUint writes an unsigned integer in the shortest unsigned form.
func appendUint(b []byte, u uint64) []byte {
	switch {
	case u <= math.MaxInt8:
		return append(b, byte(u))
	case u <= math.MaxUint8:
		return append(b, 0xcc, byte(u))
	case u <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(b, 0xcd), uint16(u))
	case u <= math.MaxUint32:
		return binary.BigEndian.AppendUint32(append(b, 0xce), uint32(u))
	}
	return binary.BigEndian.AppendUint64(append(b, 0xcf), u)
}

// decodeMsgPackMessage decodes the frame of a CALL, YIELD, PUBLISH, RESULT,
// INVOCATION, EVENT or
// ERROR.
func decodeMsgPackMessage(data []byte) (wamp.Message, bool) { return decodeMsgPackFrame(data, nil) }

// decodeMsgPackFrame is decodeMsgPackMessage, keeping arguments raw for
// keep when not nil (Serializer.KeepRaw).
func decodeMsgPackFrame(data []byte, keep *Serializer) (wamp.Message, bool) {
	d := mpDecoder{b: data}
	if len(data) <= sharedStringsMax {
		d.s = string(data)
	}
	n, ok := d.arrayLen()
	if !ok || n > maxElements {
		return nil, false
	}
	var es [maxElements]element
	for i := range n {
		if i == n-1 {
			if q, can := keepable(keep, es[:i], i); can {
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
// is a list of one element that starts with one (which KeepRaw keeps raw),
// without moving.
func (d *mpDecoder) oneDict() (start int, ok bool) {
	l := *d
	if n, ok := l.arrayLen(); !ok || n != 1 || l.i >= len(l.b) {
		return 0, false
	}
	if c := l.b[l.i]; c&0xf0 != 0x80 && c != 0xde && c != 0xdf {
		return 0, false
	}
	return l.i, true
}

// element reads one element of a message's list; a non-negative integer is
// not boxed.
func (d *mpDecoder) element() (element, bool) {
	if d.i < len(d.b) {
		switch c := d.b[d.i]; {
		case c <= 0x7f:
			d.i++
			return element{u: uint64(c), isInt: true}, true
		case c >= 0xcc && c <= 0xcf:
			p, ok := d.fixed(1 << (c - 0xcc))
			if !ok {
				return element{}, false
			}
			return element{u: beUint(p), isInt: true}, true
		}
	}
	v, ok := d.value(0)
	if i, isInt := v.(int64); isInt && i >= 0 {
		return element{u: uint64(i), isInt: true}, ok
	}
	return element{v: v}, ok
}

// mpDecoder reads MsgPack from b; s, when set, is b as a string, and strings
// are slices of it.
type mpDecoder struct {
	b []byte
	s string
	i int
}

func (d *mpDecoder) arrayLen() (int, bool) {
	if d.i >= len(d.b) {
		return 0, false
	}
	c := d.b[d.i]
	switch {
	case c&0xf0 == 0x90:
		d.i++
		return int(c & 0x0f), true
	case c == 0xdc:
		n, ok := d.size(2)
		return n, ok
	case c == 0xdd:
		n, ok := d.size(4)
		return n, ok
	}
	return 0, false
}

// size reads the big-endian length of w bytes after the current code byte.
func (d *mpDecoder) size(w int) (int, bool) {
	if len(d.b)-d.i < 1+w {
		return 0, false
	}
	p := d.b[d.i+1 : d.i+1+w]
	d.i += 1 + w
	switch w {
	case 1:
		return int(p[0]), true
	case 2:
		return int(binary.BigEndian.Uint16(p)), true
	}
	return int(binary.BigEndian.Uint32(p)), true
}

// fixed returns the next w bytes after the current code byte.
func (d *mpDecoder) fixed(w int) ([]byte, bool) {
	if len(d.b)-d.i < 1+w {
		return nil, false
	}
	p := d.b[d.i+1 : d.i+1+w]
	d.i += 1 + w
	return p, true
}

func (d *mpDecoder) str(n int) (string, bool) {
	if n > len(d.b)-d.i {
		return "", false
	}
	var s string
	if d.s != "" {
		s = d.s[d.i : d.i+n]
	} else {
		s = string(d.b[d.i : d.i+n])
	}
	d.i += n
	return s, true
}

func (d *mpDecoder) value(depth int) (any, bool) {
	if d.i >= len(d.b) || depth > maxFastDepth {
		return nil, false
	}
	c := d.b[d.i]
	switch {
	case c <= 0x7f:
		d.i++
		return int64(c), true
	case c >= 0xe0:
		d.i++
		return int64(int8(c)), true
	case c&0xe0 == 0xa0:
		d.i++
		return d.str(int(c & 0x1f))
	case c&0xf0 == 0x90:
		d.i++
		return d.elems(int(c&0x0f), depth)
	case c&0xf0 == 0x80:
		d.i++
		return d.entries(int(c&0x0f), depth)
	}
	switch c {
	case 0xc0:
		d.i++
		return nil, true
	case 0xc2, 0xc3:
		d.i++
		return c == 0xc3, true
	case 0xcc, 0xcd, 0xce, 0xcf:
		p, ok := d.fixed(1 << (c - 0xcc))
		if !ok {
			return nil, false
		}
		return canonUint(beUint(p)), true // nexus reads the unsigned forms as uint64, small or not
	case 0xd0:
		p, ok := d.fixed(1)
		if !ok {
			return nil, false
		}
		return int64(int8(p[0])), true
	case 0xd1, 0xd2, 0xd3:
		p, ok := d.fixed(1 << (c - 0xd0))
		if !ok {
			return nil, false
		}
		switch len(p) {
		case 2:
			return int64(int16(binary.BigEndian.Uint16(p))), true
		case 4:
			return int64(int32(binary.BigEndian.Uint32(p))), true
		}
		return int64(binary.BigEndian.Uint64(p)), true
	case 0xca:
		p, ok := d.fixed(4)
		if !ok {
			return nil, false
		}
		return float64(math.Float32frombits(binary.BigEndian.Uint32(p))), true
	case 0xcb:
		p, ok := d.fixed(8)
		if !ok {
			return nil, false
		}
		return math.Float64frombits(binary.BigEndian.Uint64(p)), true
	case 0xd9, 0xda, 0xdb:
		n, ok := d.size(1 << (c - 0xd9))
		if !ok {
			return nil, false
		}
		return d.str(n)
	case 0xc4, 0xc5, 0xc6:
		n, ok := d.size(1 << (c - 0xc4))
		if !ok || n > len(d.b)-d.i {
			return nil, false
		}
		p := make([]byte, n)
		copy(p, d.b[d.i:])
		d.i += n
		return p, true
	case 0xdc, 0xdd:
		n, ok := d.size(2 << (c - 0xdc))
		if !ok {
			return nil, false
		}
		return d.elems(n, depth)
	case 0xde, 0xdf:
		n, ok := d.size(2 << (c - 0xde))
		if !ok {
			return nil, false
		}
		return d.entries(n, depth)
	}
	return nil, false // extension types and reserved codes: nexus decides
}

func (d *mpDecoder) elems(n, depth int) (any, bool) {
	if n > len(d.b)-d.i { // every element takes a byte at least
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

func (d *mpDecoder) entries(n, depth int) (any, bool) {
	if n > (len(d.b)-d.i)/2 { // every entry takes two bytes at least
		return nil, false
	}
	m := make(map[string]any, min(n, preallocMax))
	before := 0
	for range n {
		ks, ok := d.key()
		if !ok {
			return nil, false
		}
		v, ok := d.value(depth + 1)
		if !ok {
			return nil, false
		}
		if m[ks] = v; len(m) == before {
			// A repeated key: nexus decodes the second value into the
			// first one's type, so it decides.
			return nil, false
		}
		before++
	}
	return m, true
}

// key reads a map key, which must be a string (not boxed, unlike value's).
func (d *mpDecoder) key() (string, bool) {
	n, ok := d.strLen()
	if !ok {
		return "", false
	}
	return d.str(n)
}

func beUint(p []byte) uint64 {
	switch len(p) {
	case 1:
		return uint64(p[0])
	case 2:
		return uint64(binary.BigEndian.Uint16(p))
	case 4:
		return uint64(binary.BigEndian.Uint32(p))
	}
	return binary.BigEndian.Uint64(p)
}

// msgPackSize is the size of msg as the MsgPack serializer writes it,
// counted without encoding; false when a value of msg takes the fallback
// (a type the fast path does not write), whose size only encoding tells.
func msgPackSize(msg wamp.Message) (int, bool) {
	var fs [maxElements]field
	t, fields, ok := outgoing(msg, &fs)
	if !ok {
		return 0, false
	}
	n := arrayLenSize(1+len(fields)) + intSize(int64(t))
	for _, f := range fields {
		var k int
		switch f.kind {
		case fieldUint:
			k = uintSize(f.u)
		case fieldString:
			k = strSize(len(f.s))
		case fieldDict:
			k, ok = dictSize(f.d, 0)
		case fieldList:
			k, ok = listSize(f.l, 0)
		}
		if !ok {
			return 0, false
		}
		n += k
	}
	return n, true
}

// valueSize is the size appendValue writes for v.
func valueSize(v any, depth int) (int, bool) {
	switch x := v.(type) {
	case Raw:
		return len(x.data), x.of(serMsgPack)
	case nil, bool:
		return 1, true
	case string:
		return strSize(len(x)), true
	case int:
		return intSize(int64(x)), true
	case int64:
		return intSize(x), true
	case int32:
		return intSize(int64(x)), true
	case int16:
		return intSize(int64(x)), true
	case int8:
		return intSize(int64(x)), true
	case uint:
		return uintSize(uint64(x)), true
	case uint64:
		return uintSize(x), true
	case uint32:
		return uintSize(uint64(x)), true
	case uint16:
		return uintSize(uint64(x)), true
	case uint8:
		return uintSize(uint64(x)), true
	case wamp.ID:
		return uintSize(uint64(x)), true
	case wamp.URI:
		return strSize(len(x)), true
	case float64:
		return 9, true
	case float32:
		return 5, true
	case []byte:
		if x == nil {
			return 1, true
		}
		return binSize(len(x)), true
	case []any:
		return listSize(x, depth+1)
	case wamp.List:
		return listSize(x, depth+1)
	case map[string]any:
		return dictSize(x, depth+1)
	case wamp.Dict:
		return dictSize(x, depth+1)
	}
	return 0, false
}

func listSize(l []any, depth int) (int, bool) {
	if l == nil {
		return 1, true
	}
	if depth > maxFastDepth {
		return 0, false
	}
	n := arrayLenSize(len(l))
	for _, x := range l {
		k, ok := valueSize(x, depth)
		if !ok {
			return 0, false
		}
		n += k
	}
	return n, true
}

func dictSize(d map[string]any, depth int) (int, bool) {
	if d == nil {
		return 1, true
	}
	if depth > maxFastDepth {
		return 0, false
	}
	n := arrayLenSize(len(d)) // a map's header takes the sizes of an array's
	for k, x := range d {
		v, ok := valueSize(x, depth)
		if !ok {
			return 0, false
		}
		n += strSize(len(k)) + v
	}
	return n, true
}

func arrayLenSize(n int) int {
	switch {
	case n < 16:
		return 1
	case n <= math.MaxUint16:
		return 3
	}
	return 5
}

func strSize(n int) int {
	switch {
	case n < 32:
		return 1 + n
	case n <= math.MaxUint8:
		return 2 + n
	case n <= math.MaxUint16:
		return 3 + n
	}
	return 5 + n
}

func binSize(n int) int {
	switch {
	case n <= math.MaxUint8:
		return 2 + n
	case n <= math.MaxUint16:
		return 3 + n
	}
	return 5 + n
}

func intSize(i int64) int {
	switch {
	case i > math.MaxInt32:
		return 9
	case i > math.MaxInt16:
		return 5
	case i > math.MaxInt8:
		return 3
	case i >= -32:
		return 1
	case i >= math.MinInt8:
		return 2
	case i >= math.MinInt16:
		return 3
	case i >= math.MinInt32:
		return 5
	}
	return 9
}

func uintSize(u uint64) int {
	switch {
	case u <= math.MaxInt8:
		return 1
	case u <= math.MaxUint8:
		return 2
	case u <= math.MaxUint16:
		return 3
	case u <= math.MaxUint32:
		return 5
	}
	return 9
}
