package wire

import (
	"encoding/binary"
	"math"

	"github.com/gammazero/nexus/v3/wamp"
)

// The MsgPack fast path encodes the messages a client sends on every call
// (CALL, YIELD, PUBLISH, ERROR) and decodes the ones it receives (RESULT,
// INVOCATION, EVENT, ERROR) without reflection and without nexus's detour
// through []any and copied maps. It gives exactly what nexus's
// MessagePackSerializer gives: the same Go types on decoding (int64 for
// fixints and the signed forms, uint64 for the unsigned forms; float64; string for str, []byte for bin;
// map[string]any; []any) and, on encoding, the same bytes except for the
// order of map entries.
//
// It only takes what it knows. A message of another type, a value of another
// Go type, a map with a key that is not a string, an extension type, a
// field of an unexpected type, a repeated map key, trailing bytes, truncation, nesting deeper
// than maxMsgPackDepth: each makes it decline (ok=false), and the caller
// hands the frame or message to nexus's serializer, which decides as before.

const (
	maxMsgPackDepth = 100
	// sharedStringsMax is the largest frame whose strings are slices of one
	// copy of the frame: one allocation for every key and string value.
	// Beyond it each string is its own copy, so that a string kept from a
	// large message does not keep the whole message alive.
	sharedStringsMax = 4 << 10
)

// appendMsgPackMessage appends msg encoded as nexus would encode it.
func appendMsgPackMessage(b []byte, msg wamp.Message) ([]byte, bool) {
	start := len(b)
	var ok bool
	switch m := msg.(type) {
	case *wamp.Call:
		b, ok = appendMsgPackCall(b, m)
	case *wamp.Yield:
		b = appendHeader(b, wamp.YIELD, 3, m.Arguments, m.ArgumentsKw)
		b = appendUint(b, uint64(m.Request))
		b, ok = appendDict(b, m.Options, 0)
		if ok {
			b, ok = appendPayload(b, m.Arguments, m.ArgumentsKw)
		}
	case *wamp.Publish:
		b = appendHeader(b, wamp.PUBLISH, 4, m.Arguments, m.ArgumentsKw)
		b = appendUint(b, uint64(m.Request))
		b, ok = appendDict(b, m.Options, 0)
		if ok {
			b = appendString(b, string(m.Topic))
			b, ok = appendPayload(b, m.Arguments, m.ArgumentsKw)
		}
	case *wamp.Error:
		b = appendHeader(b, wamp.ERROR, 5, m.Arguments, m.ArgumentsKw)
		b = appendInt(b, int64(m.Type))
		b = appendUint(b, uint64(m.Request))
		b, ok = appendDict(b, m.Details, 0)
		if ok {
			b = appendString(b, string(m.Error))
			b, ok = appendPayload(b, m.Arguments, m.ArgumentsKw)
		}
	}
	if !ok {
		return b[:start], false
	}
	return b, true
}

func appendMsgPackCall(b []byte, m *wamp.Call) ([]byte, bool) {
	b = appendHeader(b, wamp.CALL, 4, m.Arguments, m.ArgumentsKw)
	b = appendUint(b, uint64(m.Request))
	b, ok := appendDict(b, m.Options, 0)
	if !ok {
		return b, false
	}
	b = appendString(b, string(m.Procedure))
	return appendPayload(b, m.Arguments, m.ArgumentsKw)
}

// appendHeader starts the list of a message with fixed fields before its
// payload. Like nexus, it leaves out empty trailing Arguments and
// ArgumentsKw.
func appendHeader(b []byte, t wamp.MessageType, fixed int, args wamp.List, kwargs wamp.Dict) []byte {
	n := fixed
	switch {
	case len(kwargs) > 0:
		n += 2
	case len(args) > 0:
		n++
	}
	b = appendArrayLen(b, n)
	return appendInt(b, int64(t))
}

func appendPayload(b []byte, args wamp.List, kwargs wamp.Dict) ([]byte, bool) {
	ok := true
	if len(args) > 0 || len(kwargs) > 0 {
		b, ok = appendList(b, args, 0)
	}
	if ok && len(kwargs) > 0 {
		b, ok = appendDict(b, kwargs, 0)
	}
	return b, ok
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
	}
	return b, false
}

func appendList(b []byte, l []any, depth int) ([]byte, bool) {
	if l == nil {
		return append(b, 0xc0), true
	}
	if depth > maxMsgPackDepth {
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
	if depth > maxMsgPackDepth {
		return b, false
	}
	switch n := len(d); {
	case n < 16:
		b = append(b, 0x80|byte(n))
	case n <= math.MaxUint16:
		b = binary.BigEndian.AppendUint16(append(b, 0xde), uint16(n))
	default:
		b = binary.BigEndian.AppendUint32(append(b, 0xdf), uint32(n))
	}
	ok := true
	for k, x := range d {
		b = appendString(b, k)
		if b, ok = appendValue(b, x, depth); !ok {
			break
		}
	}
	return b, ok
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

// decodeMsgPackMessage decodes the frame of a RESULT, INVOCATION, EVENT or
// ERROR.
func decodeMsgPackMessage(data []byte) (wamp.Message, bool) {
	d := mpDecoder{b: data}
	if len(data) <= sharedStringsMax {
		d.s = string(data)
	}
	n, ok := d.arrayLen()
	if !ok || n < 1 {
		return nil, false
	}
	t, ok := d.int()
	if !ok {
		return nil, false
	}
	// fields reads the n-1 fields after the type; each reader leaves a field
	// at its zero value when the frame has none or a nil, as nexus does.
	var msg wamp.Message
	switch wamp.MessageType(t) {
	case wamp.RESULT:
		m := &wamp.Result{}
		ok = n-1 <= 4 && d.id(n > 1, &m.Request) && d.dict(n > 2, &m.Details) &&
			d.list(n > 3, &m.Arguments) && d.dict(n > 4, &m.ArgumentsKw)
		msg = m
	case wamp.INVOCATION:
		m := &wamp.Invocation{}
		ok = n-1 <= 5 && d.id(n > 1, &m.Request) && d.id(n > 2, &m.Registration) && d.dict(n > 3, &m.Details) &&
			d.list(n > 4, &m.Arguments) && d.dict(n > 5, &m.ArgumentsKw)
		msg = m
	case wamp.EVENT:
		m := &wamp.Event{}
		ok = n-1 <= 5 && d.id(n > 1, &m.Subscription) && d.id(n > 2, &m.Publication) && d.dict(n > 3, &m.Details) &&
			d.list(n > 4, &m.Arguments) && d.dict(n > 5, &m.ArgumentsKw)
		msg = m
	case wamp.ERROR:
		m := &wamp.Error{Type: wamp.ERROR, Details: wamp.Dict{}} // as wamp.NewMessage makes it
		ok = n-1 <= 6 && d.msgType(n > 1, &m.Type) && d.id(n > 2, &m.Request) && d.dict(n > 3, &m.Details) &&
			d.uri(n > 4, &m.Error) && d.list(n > 5, &m.Arguments) && d.dict(n > 6, &m.ArgumentsKw)
		msg = m
	default:
		return nil, false
	}
	if !ok || d.i != len(d.b) {
		return nil, false
	}
	return msg, true
}

// mpDecoder reads MsgPack from b; s, when set, is b as a string, and strings
// are slices of it.
type mpDecoder struct {
	b []byte
	s string
	i int
}

func (d *mpDecoder) nilNext() bool {
	if d.i < len(d.b) && d.b[d.i] == 0xc0 {
		d.i++
		return true
	}
	return false
}

func (d *mpDecoder) id(present bool, out *wamp.ID) bool {
	if !present || d.nilNext() {
		return true
	}
	v, ok := d.value(0)
	switch x := v.(type) {
	case int64:
		if x < 0 {
			return false
		}
		*out = wamp.ID(x)
	case uint64:
		*out = wamp.ID(x)
	default:
		return false
	}
	return ok
}

func (d *mpDecoder) msgType(present bool, out *wamp.MessageType) bool {
	if !present || d.nilNext() {
		return true
	}
	t, ok := d.int()
	*out = wamp.MessageType(t)
	return ok
}

func (d *mpDecoder) dict(present bool, out *wamp.Dict) bool {
	if !present || d.nilNext() {
		return true
	}
	v, ok := d.value(0)
	m, isMap := v.(map[string]any)
	*out = m
	return ok && isMap
}

func (d *mpDecoder) list(present bool, out *wamp.List) bool {
	if !present || d.nilNext() {
		return true
	}
	v, ok := d.value(0)
	l, isList := v.([]any)
	*out = l
	return ok && isList
}

func (d *mpDecoder) uri(present bool, out *wamp.URI) bool {
	if !present || d.nilNext() {
		return true
	}
	v, ok := d.value(0)
	s, isString := v.(string)
	*out = wamp.URI(s)
	return ok && isString
}

// int reads an integer that fits an int64.
func (d *mpDecoder) int() (int64, bool) {
	v, ok := d.value(0)
	i, isInt := v.(int64)
	return i, ok && isInt
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
	if d.i >= len(d.b) || depth > maxMsgPackDepth {
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
		return beUint(p), true // nexus reads the unsigned forms as uint64, small or not
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
	l := make([]any, n)
	for i := range l {
		v, ok := d.value(depth + 1)
		if !ok {
			return nil, false
		}
		l[i] = v
	}
	return l, true
}

func (d *mpDecoder) entries(n, depth int) (any, bool) {
	if n > (len(d.b)-d.i)/2 { // every entry takes two bytes at least
		return nil, false
	}
	m := make(map[string]any, n)
	before := 0
	for range n {
		k, ok := d.value(depth + 1)
		ks, isString := k.(string)
		if !ok || !isString {
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
