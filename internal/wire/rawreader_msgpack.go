package wire

import (
	"math"

	"github.com/wampkit/wampkit/internal/codec"
)

// What RawReader reads of MessagePack: the kinds it tells apart, and the
// lengths of strings and maps.

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
