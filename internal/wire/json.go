package wire

import (
	"math"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/gammazero/nexus/v3/wamp"
)

// The JSON fast path (see fastpath.go). On decoding it gives the canonical
// types (canonical.go): int64 for an integer, uint64 for one above MaxInt64
// (nexus gives uint64 for every non-negative one), float64 for a number with
// a fraction or an exponent, []byte for a string in the spec's binary
// convention ("\u0000" then base64), and other strings as they are. On
// encoding it writes []byte in that convention, and otherwise as nexus's
// encoder does: NaN and infinities as null, a float with no fraction as
// "1.0", and <, >, &, U+2028, U+2029 and control characters escaped.
//
// What it declines on decoding, besides what every fast path declines: a
// number nexus reads in its own way (leading zeros, "1.", ".5", "+1", an
// integer beyond 64 bits), a raw control character or invalid UTF-8 in a
// string, and a lone surrogate escape (nexus reads each as U+FFFD).

// appendJSONMessage appends msg encoded as the fallback would encode it.
func appendJSONMessage(b []byte, msg wamp.Message) ([]byte, bool) {
	var fs [maxElements]field
	t, fields, ok := outgoing(msg, &fs)
	if !ok {
		return b, false
	}
	start := len(b)
	b = strconv.AppendInt(append(b, '['), int64(t), 10)
	for _, f := range fields {
		b = append(b, ',')
		switch f.kind {
		case fieldUint:
			b = strconv.AppendUint(b, f.u, 10)
		case fieldString:
			b = appendJSONString(b, f.s)
		case fieldDict:
			b, ok = appendJSONDict(b, f.d, 0)
		case fieldList:
			b, ok = appendJSONList(b, f.l, 0)
		}
		if !ok {
			return b[:start], false
		}
	}
	return append(b, ']'), true
}

func appendJSONValue(b []byte, v any, depth int) ([]byte, bool) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), true
	case bool:
		return strconv.AppendBool(b, x), true
	case string:
		return appendJSONString(b, x), true
	case int:
		return strconv.AppendInt(b, int64(x), 10), true
	case int64:
		return strconv.AppendInt(b, x, 10), true
	case int32:
		return strconv.AppendInt(b, int64(x), 10), true
	case int16:
		return strconv.AppendInt(b, int64(x), 10), true
	case int8:
		return strconv.AppendInt(b, int64(x), 10), true
	case uint:
		return strconv.AppendUint(b, uint64(x), 10), true
	case uint64:
		return strconv.AppendUint(b, x, 10), true
	case uint32:
		return strconv.AppendUint(b, uint64(x), 10), true
	case uint16:
		return strconv.AppendUint(b, uint64(x), 10), true
	case uint8:
		return strconv.AppendUint(b, uint64(x), 10), true
	case wamp.ID:
		return strconv.AppendUint(b, uint64(x), 10), true
	case wamp.URI:
		return appendJSONString(b, string(x)), true
	case float64:
		return appendJSONFloat(b, x, 64), true
	case float32:
		return appendJSONFloat(b, float64(x), 32), true
	case []byte:
		if x == nil {
			return append(b, "null"...), true
		}
		return appendJSONBinary(b, x), true
	case []any:
		return appendJSONList(b, x, depth+1)
	case wamp.List:
		return appendJSONList(b, x, depth+1)
	case map[string]any:
		return appendJSONDict(b, x, depth+1)
	case wamp.Dict:
		return appendJSONDict(b, x, depth+1)
	case Raw:
		return append(b, x.data...), x.of(serJSON)
	}
	return b, false
}

func appendJSONList(b []byte, l []any, depth int) ([]byte, bool) {
	if l == nil {
		return append(b, "null"...), true
	}
	if depth > maxFastDepth {
		return b, false
	}
	b = append(b, '[')
	ok := true
	for i, x := range l {
		if i > 0 {
			b = append(b, ',')
		}
		if b, ok = appendJSONValue(b, x, depth); !ok {
			return b, false
		}
	}
	return append(b, ']'), true
}

func appendJSONDict(b []byte, d map[string]any, depth int) ([]byte, bool) {
	if d == nil {
		return append(b, "null"...), true
	}
	if depth > maxFastDepth {
		return b, false
	}
	b = append(b, '{')
	ok, first := true, true
	for k, x := range d {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(appendJSONString(b, k), ':')
		if b, ok = appendJSONValue(b, x, depth); !ok {
			return b, false
		}
	}
	return append(b, '}'), true
}

// appendJSONFloat writes f the way nexus does: "0.0", "1.0" and "100.0" for
// whole numbers below 2^52 (2^23 for a float32), exponent form below 1e-6
// and from 1e21, the shortest decimal otherwise; null for NaN and
// infinities.
func appendJSONFloat(b []byte, f float64, bits int) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...)
	}
	abs, whole := math.Abs(f), float64(1<<52)
	if bits == 32 {
		abs, whole = float64(float32(abs)), 1<<23
	}
	small, large := 1e-6, 1e21
	if bits == 32 { // compared as float32, as nexus does
		small, large = float64(float32(1e-6)), float64(float32(1e21))
	}
	switch {
	case abs == 0 || abs == 1:
		return strconv.AppendFloat(b, f, 'f', 1, bits)
	case abs < small || abs >= large:
		return strconv.AppendFloat(b, f, 'e', -1, bits)
	case abs < whole && abs == math.Trunc(abs):
		return strconv.AppendFloat(b, f, 'f', 1, bits)
	}
	return strconv.AppendFloat(b, f, 'f', -1, bits)
}

const hexDigits = "0123456789abcdef"

// appendJSONString writes s quoted. Besides the quote and the backslash it
// escapes control characters (\n, \r, \t, \b and \f by name), <, > and &,
// U+2028 and U+2029, and writes invalid UTF-8 as \uFFFD, as nexus does.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(append(b, s[start:i]...), `\uFFFD`...)
		case r == '\u2028' || r == '\u2029':
			b = append(append(b, s[start:i]...), `\u202`...)
			b = append(b, hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// decodeJSONMessage decodes the frame of a CALL, YIELD, PUBLISH, RESULT,
// INVOCATION, EVENT or
// ERROR.
func decodeJSONMessage(data []byte) (wamp.Message, bool) { return decodeJSONFrame(data, nil) }

// decodeJSONFrame is decodeJSONMessage, keeping arguments raw for keep when
// not nil (Serializer.KeepRaw).
func decodeJSONFrame(data []byte, keep *Serializer) (wamp.Message, bool) {
	sc := jsonScratches.Get().(*jsonScratch)
	d := jsonDecoder{b: data, scratch: sc.vals[:0], keys: sc.keys[:0]}
	defer sc.put(&d)
	if len(data) <= sharedStringsMax {
		d.s = string(data)
	}
	var (
		es [maxElements]element
		n  int
	)
	d.space()
	if !d.consume('[') {
		return nil, false
	}
	for d.space(); !d.consume(']'); d.space() {
		if n > 0 && !d.consume(',') {
			return nil, false
		}
		if n == maxElements {
			return nil, false
		}
		if q, can := keepable(keep, es[:n], n); can {
			if start, end, ok := d.oneDict(q.wanted); ok {
				es[n], d.i = rawArgs(keep, d.b, d.s, start, end), len(d.b)
				n++
				break
			}
		}
		var ok bool
		if es[n], ok = d.element(); !ok {
			return nil, false
		}
		n++
	}
	if d.space(); d.i != len(d.b) {
		return nil, false
	}
	return incoming(es[:n])
}

// oneDict returns where the dictionary starts and ends when the rest of
// the frame is a list of one (which KeepRaw keeps raw), ending the
// message: "[", "{", then up to the last "}" before the two closing
// brackets at the frame's end, spaces allowed, where the brackets opened
// at "{" close (so that [{},{}] is two dictionaries, decoded as without
// KeepRaw). It does not move. check is asked between the shape's ends,
// which cost a few bytes' look, and the scan for where "{" closes, which
// reads the whole dictionary.
func (d *jsonDecoder) oneDict(check func() bool) (start, end int, ok bool) {
	l := *d
	l.space()
	if !l.consume('[') {
		return 0, 0, false
	}
	l.space()
	start = l.i
	if start >= len(l.b) || l.b[start] != '{' {
		return 0, 0, false
	}
	end = len(l.b)
	for _, c := range [2]byte{']', ']'} {
		end = trimJSONSpace(l.b, end)
		if end <= start || l.b[end-1] != c {
			return 0, 0, false
		}
		end--
	}
	end = trimJSONSpace(l.b, end)
	if end <= start+1 || l.b[end-1] != '}' || !check() || jsonCloses(l.b[start:end]) != end-start {
		return 0, 0, false
	}
	return start, end, true
}

// jsonCloses returns where the bracket that b starts with is closed (just
// after it), counting brackets outside strings (not telling "[" from "{"),
// or -1.
func jsonCloses(b []byte) int {
	depth := 0
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '{', '[':
			depth++
		case '}', ']':
			if depth--; depth == 0 {
				return i + 1
			}
		case '"':
			for i++; i < len(b) && b[i] != '"'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
		}
	}
	return -1
}

// trimJSONSpace returns end moved back over whitespace in b.
func trimJSONSpace(b []byte, end int) int {
	for end > 0 {
		switch b[end-1] {
		case ' ', '\t', '\n', '\r':
			end--
		default:
			return end
		}
	}
	return end
}

// jsonScratch is a jsonDecoder's scratches, kept for the next message
// (jsonScratches). Arrays on the stack would escape to the heap, as the
// decoder's methods recurse: 512 B a message, most of what a small RESULT
// cost to decode.
type jsonScratch struct {
	vals []any
	keys []string
}

var jsonScratches = sync.Pool{New: func() any {
	return &jsonScratch{vals: make([]any, 0, 16), keys: make([]string, 0, 16)}
}}

// jsonScratchMax bounds the scratches kept: a message with a longer list
// leaves its larger ones to the collector.
const jsonScratchMax = 1024

// put keeps d's scratches, cleared, for the next message.
func (sc *jsonScratch) put(d *jsonDecoder) {
	if cap(d.scratch) > jsonScratchMax || cap(d.keys) > jsonScratchMax {
		return
	}
	clear(d.scratch) // what a failed read left (a finished one cleared its own)
	clear(d.keys)
	sc.vals, sc.keys = d.scratch[:0], d.keys[:0]
	jsonScratches.Put(sc)
}

// jsonDecoder reads JSON from b; s, when set, is b as a string, and strings
// without escapes are slices of it.
type jsonDecoder struct {
	b       []byte
	s       string
	i       int
	scratch []any    // elements of the lists and values of the objects being read, innermost last
	keys    []string // keys of the objects being read, innermost last
}

func (d *jsonDecoder) space() { d.i = skipJSONSpace(d.b, d.i) }

// skipJSONSpace returns where the whitespace at b[i:] ends.
func skipJSONSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

func (d *jsonDecoder) consume(c byte) bool {
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

// element reads one element of a message's list; a non-negative integer is
// not boxed.
func (d *jsonDecoder) element() (element, bool) {
	d.space()
	if d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
		start := d.i
		if integer, ok := d.number(); ok && integer {
			u, err := strconv.ParseUint(string(d.b[start:d.i]), 10, 64)
			return element{u: u, isInt: true}, err == nil
		}
		d.i = start
	}
	if d.i < len(d.b) && d.b[d.i] == '"' { // a URI: a string, binary convention or not
		s, ok := d.str()
		return element{v: s}, ok
	}
	v, ok := d.value(0)
	return element{v: v}, ok
}

func (d *jsonDecoder) value(depth int) (any, bool) {
	if depth > maxFastDepth {
		return nil, false
	}
	d.space()
	if d.i >= len(d.b) {
		return nil, false
	}
	switch c := d.b[d.i]; {
	case c == '"':
		s, ok := d.str()
		if b, isBinary := jsonBinary(s); ok && isBinary {
			return b, true
		}
		return s, ok
	case c == '{':
		return d.object(depth)
	case c == '[':
		return d.list(depth)
	case c == 't':
		return true, d.literal("true")
	case c == 'f':
		return false, d.literal("false")
	case c == 'n':
		return nil, d.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		start := d.i
		integer, ok := d.number()
		if !ok {
			return nil, false
		}
		text := d.b[start:d.i]
		switch {
		case !integer:
			f, err := strconv.ParseFloat(string(text), 64)
			return f, err == nil
		}
		if i, err := strconv.ParseInt(string(text), 10, 64); err == nil {
			return i, true
		}
		if c == '-' {
			return nil, false
		}
		u, err := strconv.ParseUint(string(text), 10, 64) // above MaxInt64
		return u, err == nil
	}
	return nil, false
}

func (d *jsonDecoder) literal(word string) bool {
	if len(d.b)-d.i < len(word) || string(d.b[d.i:d.i+len(word)]) != word {
		return false
	}
	d.i += len(word)
	return true
}

// number moves past a number in strict JSON grammar and reports whether it
// is an integer (no fraction, no exponent).
func (d *jsonDecoder) number() (integer, ok bool) {
	d.consume('-')
	switch {
	case d.consume('0'):
	case d.digits() == 0:
		return false, false
	}
	integer = true
	if d.consume('.') {
		if d.digits() == 0 {
			return false, false
		}
		integer = false
	}
	if d.consume('e') || d.consume('E') {
		if !d.consume('+') {
			d.consume('-')
		}
		if d.digits() == 0 {
			return false, false
		}
		integer = false
	}
	return integer, true
}

func (d *jsonDecoder) digits() int {
	start := d.i
	for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
		d.i++
	}
	return d.i - start
}

// str reads a string. One without escapes is a slice of d.s (or one copy);
// one with escapes is built.
func (d *jsonDecoder) str() (string, bool) {
	d.i++ // the opening quote
	start := d.i
	for d.i < len(d.b) {
		switch c := d.b[d.i]; {
		case c == '"':
			raw := d.b[start:d.i]
			if !utf8.Valid(raw) {
				return "", false
			}
			d.i++
			if d.s != "" {
				return d.s[start : d.i-1], true
			}
			return string(raw), true
		case c == '\\':
			return d.escaped(start)
		case c < 0x20:
			return "", false
		}
		d.i++
	}
	return "", false
}

// escaped reads the rest of a string that has escapes; d.i is at the first
// backslash.
func (d *jsonDecoder) escaped(start int) (string, bool) {
	out := append([]byte(nil), d.b[start:d.i]...)
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			d.i++
			if !utf8.Valid(out) {
				return "", false
			}
			return string(out), true
		case c < 0x20:
			return "", false
		case c != '\\':
			out = append(out, c)
			d.i++
			continue
		}
		if d.i+1 >= len(d.b) {
			return "", false
		}
		e := d.b[d.i+1]
		d.i += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'u':
			r, ok := d.hex4()
			if !ok {
				return "", false
			}
			if r >= 0xd800 && r < 0xdc00 { // a surrogate pair, or declined
				if !d.literal(`\u`) {
					return "", false
				}
				lo, ok := d.hex4()
				if !ok || lo < 0xdc00 || lo >= 0xe000 {
					return "", false
				}
				r = 0x10000 + (r-0xd800)<<10 + (lo - 0xdc00)
			} else if r >= 0xdc00 && r < 0xe000 {
				return "", false
			}
			out = utf8.AppendRune(out, r)
		default:
			return "", false
		}
	}
	return "", false
}

func (d *jsonDecoder) hex4() (rune, bool) {
	if len(d.b)-d.i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range d.b[d.i : d.i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	d.i += 4
	return r, true
}

// list reads an array. Its elements gather on d.scratch and are copied into
// a list of the exact length at the end. (A failure leaves the scratches as
// they are: the whole frame is declined then.)
func (d *jsonDecoder) list(depth int) (any, bool) {
	d.i++ // [
	base := len(d.scratch)
	for d.space(); !d.consume(']'); d.space() {
		if len(d.scratch) > base && !d.consume(',') {
			return nil, false
		}
		v, ok := d.value(depth + 1)
		if !ok {
			return nil, false
		}
		d.scratch = append(d.scratch, v)
	}
	l := make([]any, len(d.scratch)-base)
	copy(l, d.scratch[base:])
	clear(d.scratch[base:]) // the scratch does not keep values alive
	d.scratch = d.scratch[:base]
	return l, true
}

// object reads an object. Like list's elements, its keys and values gather
// on scratches, so that the map is made once at its final size rather than
// grown entry by entry (a map of more than 8 entries moves once to a table).
func (d *jsonDecoder) object(depth int) (any, bool) {
	d.i++ // {
	base, kbase := len(d.scratch), len(d.keys)
	for d.space(); !d.consume('}'); d.space() {
		if len(d.keys) > kbase && !d.consume(',') {
			return nil, false
		}
		d.space()
		if d.i >= len(d.b) || d.b[d.i] != '"' {
			return nil, false
		}
		k, ok := d.str()
		if !ok {
			return nil, false
		}
		if d.space(); !d.consume(':') {
			return nil, false
		}
		v, ok := d.value(depth + 1)
		if !ok {
			return nil, false
		}
		d.keys = append(d.keys, k)
		d.scratch = append(d.scratch, v)
	}
	keys, vals := d.keys[kbase:], d.scratch[base:]
	m := make(map[string]any, len(keys))
	for i, k := range keys {
		m[k] = vals[i]
	}
	n := len(keys)
	clear(keys) // the scratches do not keep values alive
	clear(vals)
	d.keys, d.scratch = d.keys[:kbase], d.scratch[:base]
	if len(m) != n {
		return nil, false // a repeated key: nexus refuses or converts, it decides
	}
	return m, true
}
