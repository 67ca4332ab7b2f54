package wire

import (
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
// and fails. The strings it reads from a Raw no larger than
// sharedStringsMax are slices of one string of its bytes (the frame's, for
// a Raw kept from one), else copies; the keys Key returns are slices of the
// Raw's bytes, which must not be written. It is not safe for concurrent use.
type RawReader struct {
	b []byte
	// s is b as one string: the Raw's own (Raw.s), else made when the
	// first string is read of a Raw no larger than sharedStringsMax. The
	// strings read are slices of it, as the fast path's in a message are
	// of the frame's.
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
	*rd = RawReader{b: r.data, s: r.s, failed: r.ser == nil}
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
	v, end, ok := valueAt(rd.format, rd.b, rd.s, rd.i, 1+rd.depth)
	rd.i = end
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
