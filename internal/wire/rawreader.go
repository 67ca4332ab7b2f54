package wire

import (
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/wampkit/wampkit/internal/codec"
)

// A RawReader reads a Raw value one value at a time, for a typed decoder
// (codec.DecodeDirect) that builds its result straight from the bytes. It
// tells apart only the plainest forms of each serialization; the rest is
// codec.KindOther, which Value reads with the fast path's own value
// decoder, so that whatever it reads is what the fast path gives for that
// value inside a message. (wire imports internal/codec for the Kind alone;
// codec must never import wire.)

var _ codec.Source = (*RawReader)(nil)

// RawReader reads a Raw value (Raw.Reader). The zero value reads nothing
// and fails. Its strings are slices of one copy of a Raw no larger than
// sharedStringsMax, else copies; the keys Key returns are slices of the
// Raw's bytes. It is not safe for concurrent use.
type RawReader struct {
	b []byte
	// s is b as one string, made when the first string is read of a Raw
	// no larger than sharedStringsMax: the strings read are slices of it,
	// as the fast path's in a message are of the frame's.
	s      string
	i      int
	format serialization
	failed bool
	// depth counts the lists and dictionaries being read; a value read at
	// depth k is one the fast path reads at 1+k (the Raw is an element of
	// a message's list), which bounds it by maxFastDepth.
	depth int
	// closers holds, JSON only, a bit for each open bracket: 1 for '{'.
	closers [(maxFastDepth + 64) / 64]uint64
	// peek caches what Next found at position at (peeked), and a number's
	// value and end.
	peeked bool
	at     int
	kind   codec.Kind
	u      uint64
	f      float64
	end    int
}

// Reader makes rd read r from its start (rd is the caller's, so that
// reading allocates nothing of its own).
func (r Raw) Reader(rd *RawReader) {
	*rd = RawReader{b: r.data, failed: r.ser == nil}
	if r.ser != nil {
		rd.format = r.ser.format
	}
}

func (rd *RawReader) fail() { rd.failed = true }

// Next returns the kind of the next value without reading it; KindOther
// also when the input is malformed there (Value then fails), or ends.
func (rd *RawReader) Next() codec.Kind {
	if rd.failed {
		return codec.KindOther
	}
	if rd.format == serJSON {
		rd.space()
	}
	if rd.peeked && rd.at == rd.i {
		return rd.kind
	}
	if rd.i >= len(rd.b) {
		rd.fail()
		return codec.KindOther
	}
	var k codec.Kind
	if 1+rd.depth <= maxFastDepth {
		switch rd.format {
		case serMsgPack:
			k = rd.mpNext()
		case serJSON:
			k = rd.jsonNext()
		case serCBOR:
			k = rd.cborNext()
		}
	}
	rd.peeked, rd.at, rd.kind = true, rd.i, k
	return k
}

// want reports whether the next value is of kind k, failing when not.
func (rd *RawReader) want(k codec.Kind) bool {
	if rd.Next() != k || rd.failed {
		rd.fail()
		return false
	}
	rd.peeked = false
	return true
}

func (rd *RawReader) Nil() {
	if !rd.want(codec.KindNil) {
		return
	}
	if rd.format == serJSON {
		rd.i += len("null") // jsonNext checked the word
	} else {
		rd.i++
	}
}

func (rd *RawReader) Bool() bool {
	if !rd.want(codec.KindBool) {
		return false
	}
	if rd.format == serJSON {
		v := rd.b[rd.i] == 't'
		if v {
			rd.i += len("true")
		} else {
			rd.i += len("false")
		}
		return v
	}
	v := rd.format == serMsgPack && rd.b[rd.i] == 0xc3 || rd.format == serCBOR && rd.b[rd.i] == cborTrue
	rd.i++
	return v
}

// Int, Uint and Float return what Next found (a number's value is read
// there, as its kind depends on it).
func (rd *RawReader) Int() int64 {
	if !rd.want(codec.KindInt) {
		return 0
	}
	rd.i = rd.end
	return int64(rd.u)
}

func (rd *RawReader) Uint() uint64 {
	if !rd.want(codec.KindUint) {
		return 0
	}
	rd.i = rd.end
	return rd.u
}

func (rd *RawReader) Float() float64 {
	if !rd.want(codec.KindFloat) {
		return 0
	}
	rd.i = rd.end
	return rd.f
}

func (rd *RawReader) String() string {
	if !rd.want(codec.KindString) {
		return ""
	}
	var (
		s  string
		ok bool
	)
	if rd.s == "" && len(rd.b) <= sharedStringsMax {
		rd.s = string(rd.b)
	}
	switch rd.format {
	case serMsgPack:
		d := mpDecoder{b: rd.b, s: rd.s, i: rd.i}
		var n int
		if n, ok = d.strLen(); ok {
			s, ok = d.str(n)
		}
		rd.i = d.i
	case serJSON:
		d := jsonDecoder{b: rd.b, s: rd.s, i: rd.i}
		s, ok = d.str()
		rd.i = d.i
	case serCBOR:
		d := cborDecoder{b: rd.b, s: rd.s, i: rd.i}
		var n uint64
		if _, n, ok = d.head(); ok {
			s, ok = d.str(n)
		}
		rd.i = d.i
	}
	if !ok {
		rd.fail()
		return ""
	}
	return s
}

// List reads a list's head: its length, or -1 under JSON.
func (rd *RawReader) List() int { return rd.open(codec.KindList) }

// Dict reads a dictionary's head: its length, or -1 under JSON.
func (rd *RawReader) Dict() int { return rd.open(codec.KindDict) }

func (rd *RawReader) open(k codec.Kind) int {
	if !rd.want(k) {
		return 0
	}
	n := -1
	switch rd.format {
	case serJSON:
		rd.i++
		if k == codec.KindDict {
			rd.closers[rd.depth/64] |= 1 << (rd.depth % 64)
		} else {
			rd.closers[rd.depth/64] &^= 1 << (rd.depth % 64)
		}
	case serMsgPack:
		d := mpDecoder{b: rd.b, i: rd.i}
		var ok bool
		if k == codec.KindList {
			n, ok = d.arrayLen()
		} else {
			n, ok = d.mapLen()
		}
		rd.i = d.i
		if !ok || !rd.fits(uint64(n), k) {
			return 0
		}
	case serCBOR:
		d := cborDecoder{b: rd.b, i: rd.i}
		_, u, ok := d.head()
		rd.i = d.i
		if !ok || !rd.fits(u, k) {
			return 0
		}
		n = int(u)
	}
	rd.depth++
	return n
}

// fits reports whether the rest of the input can hold n elements (a byte
// each) or n entries (two bytes each), as the fast path requires; it fails
// when not.
func (rd *RawReader) fits(n uint64, k codec.Kind) bool {
	room := uint64(len(rd.b) - rd.i)
	if k == codec.KindDict {
		room /= 2
	}
	if n > room {
		rd.fail()
		return false
	}
	return true
}

// More reports whether the list or dictionary being read has an element
// (or entry) i; n is what its head gave. Under JSON it reads the comma
// before element i > 0, or the closing bracket.
func (rd *RawReader) More(i, n int) bool {
	if rd.failed || rd.depth == 0 {
		rd.fail()
		return false
	}
	if rd.format != serJSON {
		if i < n {
			return true
		}
		rd.depth--
		return false
	}
	rd.space()
	if rd.i >= len(rd.b) {
		rd.fail()
		return false
	}
	switch c := rd.b[rd.i]; c {
	case ']', '}':
		top := rd.depth - 1
		dict := rd.closers[top/64]&(1<<(top%64)) != 0
		if dict != (c == '}') {
			rd.fail()
			return false
		}
		rd.i++
		rd.depth--
		return false
	case ',':
		if i == 0 {
			rd.fail()
			return false
		}
		rd.i++
		return true
	}
	if i > 0 {
		rd.fail()
		return false
	}
	return true
}

// Key reads a dictionary entry's key, a string, as a slice of the Raw's
// bytes; false (failing) for anything else, and under JSON for a key with
// an escape. Under JSON it reads the colon after it too.
func (rd *RawReader) Key() ([]byte, bool) {
	if rd.failed || rd.depth == 0 {
		rd.fail()
		return nil, false
	}
	var (
		k  []byte
		ok bool
	)
	switch rd.format {
	case serMsgPack:
		d := mpDecoder{b: rd.b, i: rd.i}
		n, headOK := d.strLen()
		if ok = headOK && n <= len(d.b)-d.i; ok {
			k, d.i = d.b[d.i:d.i+n], d.i+n
		}
		rd.i = d.i
	case serJSON:
		k, ok = rd.jsonKey()
	case serCBOR:
		d := cborDecoder{b: rd.b, i: rd.i}
		major, n, headOK := d.head()
		if ok = headOK && major == cborText && n <= uint64(len(d.b)-d.i); ok {
			k, d.i = d.b[d.i:d.i+int(n)], d.i+int(n)
		}
		rd.i = d.i
	}
	if !ok {
		rd.fail()
		return nil, false
	}
	rd.peeked = false
	return k, true
}

// Value reads the next value as the fast path reads it in a message.
func (rd *RawReader) Value() (any, bool) {
	if rd.failed || rd.i >= len(rd.b) {
		rd.fail()
		return nil, false
	}
	rd.peeked = false
	var (
		v  any
		ok bool
	)
	switch rd.format {
	case serMsgPack:
		d := mpDecoder{b: rd.b, i: rd.i}
		v, ok = d.value(1 + rd.depth)
		rd.i = d.i
	case serJSON:
		sc := jsonScratches.Get().(*jsonScratch)
		d := jsonDecoder{b: rd.b, i: rd.i, scratch: sc.vals[:0], keys: sc.keys[:0]}
		v, ok = d.value(1 + rd.depth)
		rd.i = d.i
		sc.put(&d)
	case serCBOR:
		d := cborDecoder{b: rd.b, i: rd.i}
		v, ok = d.value(1 + rd.depth)
		rd.i = d.i
	}
	if !ok {
		rd.fail()
		return nil, false
	}
	return v, true
}

// Done reports whether the whole input was read, with no failure (under
// JSON, whitespace may follow).
func (rd *RawReader) Done() bool {
	if rd.failed || rd.depth != 0 && rd.format == serJSON {
		return false
	}
	if rd.format == serJSON {
		rd.space()
	}
	return rd.i == len(rd.b)
}

// mpNext classifies the MsgPack value at rd.i (not at the end).
func (rd *RawReader) mpNext() codec.Kind {
	c := rd.b[rd.i]
	switch {
	case c <= 0x7f || c >= 0xe0 || c >= 0xcc && c <= 0xd3 || c == 0xca || c == 0xcb:
		return rd.mpNumber(c)
	case c&0xe0 == 0xa0 || c >= 0xd9 && c <= 0xdb:
		return codec.KindString
	case c&0xf0 == 0x90 || c == 0xdc || c == 0xdd:
		return codec.KindList
	case c&0xf0 == 0x80 || c == 0xde || c == 0xdf:
		return codec.KindDict
	case c == 0xc0:
		return codec.KindNil
	case c == 0xc2 || c == 0xc3:
		return codec.KindBool
	}
	return codec.KindOther // bin, ext, reserved
}

// mpNumber reads the MsgPack number at rd.i, whose code is c, for Int,
// Uint or Float, as mpDecoder.value reads it (without boxing it).
func (rd *RawReader) mpNumber(c byte) codec.Kind {
	d := mpDecoder{b: rd.b, i: rd.i}
	switch {
	case c <= 0x7f:
		return rd.integer(uint64(c), rd.i+1)
	case c >= 0xe0:
		return rd.integer(uint64(int64(int8(c))), rd.i+1)
	}
	p, ok := d.fixed(mpNumberWidth(c))
	if !ok {
		return codec.KindOther // truncated: Value fails
	}
	switch c {
	case 0xcc, 0xcd, 0xce, 0xcf:
		if u := beUint(p); u > math.MaxInt64 {
			rd.u, rd.end = u, d.i
			return codec.KindUint
		}
		return rd.integer(beUint(p), d.i)
	case 0xd0:
		return rd.integer(uint64(int64(int8(p[0]))), d.i)
	case 0xd1:
		return rd.integer(uint64(int64(int16(beUint(p)))), d.i)
	case 0xd2:
		return rd.integer(uint64(int64(int32(beUint(p)))), d.i)
	case 0xd3:
		return rd.integer(beUint(p), d.i)
	case 0xca:
		return rd.float(float64(math.Float32frombits(uint32(beUint(p)))), d.i)
	}
	return rd.float(math.Float64frombits(beUint(p)), d.i)
}

// mpNumberWidth is the size of what follows the code c of a MsgPack number
// that is not a fixint.
func mpNumberWidth(c byte) int {
	switch c {
	case 0xca:
		return 4
	case 0xcb:
		return 8
	case 0xcc, 0xcd, 0xce, 0xcf:
		return 1 << (c - 0xcc)
	}
	return 1 << (c - 0xd0)
}

// integer keeps i (an int64's bits) for Int, ending at end.
func (rd *RawReader) integer(i uint64, end int) codec.Kind {
	rd.u, rd.end = i, end
	return codec.KindInt
}

// float keeps f for Float, ending at end.
func (rd *RawReader) float(f float64, end int) codec.Kind {
	rd.f, rd.end = f, end
	return codec.KindFloat
}

// strLen reads a MsgPack string's head.
func (d *mpDecoder) strLen() (int, bool) {
	if d.i >= len(d.b) {
		return 0, false
	}
	switch c := d.b[d.i]; {
	case c&0xe0 == 0xa0:
		d.i++
		return int(c & 0x1f), true
	case c >= 0xd9 && c <= 0xdb:
		return d.size(1 << (c - 0xd9))
	}
	return 0, false
}

// mapLen reads a MsgPack map's head.
func (d *mpDecoder) mapLen() (int, bool) {
	if d.i >= len(d.b) {
		return 0, false
	}
	switch c := d.b[d.i]; {
	case c&0xf0 == 0x80:
		d.i++
		return int(c & 0x0f), true
	case c == 0xde || c == 0xdf:
		return d.size(2 << (c - 0xde))
	}
	return 0, false
}

// cborNext classifies the CBOR value at rd.i (not at the end).
func (rd *RawReader) cborNext() codec.Kind {
	c := rd.b[rd.i]
	major, info := c&0xe0, c&0x1f
	if info > 27 {
		return codec.KindOther // indefinite lengths, reserved forms
	}
	switch major {
	case cborUint, cborNeg:
		d := cborDecoder{b: rd.b, i: rd.i}
		_, n, ok := d.head()
		switch {
		case !ok, major == cborNeg && n > math.MaxInt64:
			return codec.KindOther // truncated, or beyond an int64: Value fails
		case major == cborNeg:
			return rd.integer(uint64(^int64(n)), d.i)
		case n > math.MaxInt64:
			rd.u, rd.end = n, d.i
			return codec.KindUint
		}
		return rd.integer(n, d.i)
	case cborText:
		return codec.KindString
	case cborArray:
		return codec.KindList
	case cborMap:
		return codec.KindDict
	case cborOther:
		switch c {
		case cborNull:
			return codec.KindNil
		case cborFalse, cborTrue:
			return codec.KindBool
		case cborFloat32, cborFloat64:
			d := cborDecoder{b: rd.b, i: rd.i}
			_, n, ok := d.head()
			switch {
			case !ok:
				return codec.KindOther
			case c == cborFloat32:
				return rd.float(float64(math.Float32frombits(uint32(n))), d.i)
			}
			return rd.float(math.Float64frombits(n), d.i)
		}
	}
	return codec.KindOther // byte strings, tags, undefined, half floats...
}

// jsonNext classifies the JSON value at rd.i (not at the end, after
// whitespace). A number the fast path declines is KindOther; a string in
// the binary convention too (the fast path makes it []byte).
func (rd *RawReader) jsonNext() codec.Kind {
	switch c := rd.b[rd.i]; {
	case c == '"':
		if len(rd.b)-rd.i > len(`"\u0000`) && string(rd.b[rd.i+1:rd.i+7]) == `\u0000` {
			return codec.KindOther
		}
		return codec.KindString
	case c == '{':
		return codec.KindDict
	case c == '[':
		return codec.KindList
	case c == 't' || c == 'f' || c == 'n':
		d := jsonDecoder{b: rd.b, i: rd.i}
		switch {
		case c == 'n' && d.literal("null"):
			return codec.KindNil
		case c == 't' && d.literal("true"), c == 'f' && d.literal("false"):
			return codec.KindBool
		}
	case c == '-' || c >= '0' && c <= '9':
		return rd.jsonNumber()
	}
	rd.fail() // nothing a value starts with
	return codec.KindOther
}

// jsonNumber classifies the number at rd.i as the fast path reads it.
func (rd *RawReader) jsonNumber() codec.Kind {
	d := jsonDecoder{b: rd.b, i: rd.i}
	integer, ok := d.number()
	if !ok {
		return codec.KindOther
	}
	text := rd.b[rd.i:d.i]
	if !integer {
		f, err := strconv.ParseFloat(string(text), 64)
		if err != nil {
			return codec.KindOther
		}
		return rd.float(f, d.i)
	}
	if i, err := strconv.ParseInt(string(text), 10, 64); err == nil {
		return rd.integer(uint64(i), d.i)
	}
	if text[0] == '-' {
		return codec.KindOther
	}
	u, err := strconv.ParseUint(string(text), 10, 64)
	if err != nil || u <= math.MaxInt64 {
		return codec.KindOther
	}
	rd.u, rd.end = u, d.i
	return codec.KindUint
}

// jsonKey reads a key without escapes and the colon after it.
func (rd *RawReader) jsonKey() ([]byte, bool) {
	rd.space()
	if rd.i >= len(rd.b) || rd.b[rd.i] != '"' {
		return nil, false
	}
	start := rd.i + 1
	end := start
	for ; end < len(rd.b); end++ {
		c := rd.b[end]
		if c == '"' {
			break
		}
		if c == '\\' || c < 0x20 {
			return nil, false
		}
	}
	if end >= len(rd.b) {
		return nil, false
	}
	k := rd.b[start:end]
	if !utf8.Valid(k) {
		return nil, false
	}
	rd.i = end + 1
	rd.space()
	if rd.i >= len(rd.b) || rd.b[rd.i] != ':' {
		return nil, false
	}
	rd.i++
	return k, true
}

func (rd *RawReader) space() {
	for rd.i < len(rd.b) {
		switch rd.b[rd.i] {
		case ' ', '\t', '\n', '\r':
			rd.i++
		default:
			return
		}
	}
}
