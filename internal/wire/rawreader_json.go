package wire

import (
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/wampkit/wampkit/internal/codec"
)

// What RawReader reads of JSON: the kinds it tells apart, numbers, keys
// and whitespace.

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

func (rd *RawReader) space() { rd.i = skipJSONSpace(rd.b, rd.i) }
