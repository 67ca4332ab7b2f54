package wire

import (
	"math"

	"github.com/wampkit/wampkit/internal/codec"
)

// What RawReader reads of CBOR: the kinds it tells apart.

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
