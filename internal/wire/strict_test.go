package wire

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"unicode/utf8"
)

// A strict reader of WAMP frames, written from the format specs (RFC 8259
// JSON, the MessagePack spec, RFC 8949 CBOR) and the WAMP spec's message
// definitions, independent of the serializers under test: it gives a tree
// of typed nodes, refuses what the formats do not allow (trailing bytes,
// truncation, non-string map keys, repeated keys, invalid UTF-8, a JSON
// binary string that is not base64), and specShape checks a message's
// elements against its definition.

type nodeKind uint8

const (
	nNull nodeKind = iota
	nBool
	nUint  // a non-negative integer
	nInt   // a negative integer
	nFloat // a number with a fraction or exponent (JSON), a float (MsgPack, CBOR)
	nStr
	nBin
	nList
	nDict
)

var kindNames = [...]string{"null", "bool", "uint", "int", "float", "string", "binary", "list", "dict"}

func (k nodeKind) String() string { return kindNames[k] }

type node struct {
	k    nodeKind
	b    bool
	u    uint64 // nUint
	i    int64  // nInt
	f    float64
	s    string // nStr
	bin  []byte
	list []node
	dict map[string]node
}

// String writes the node in a JSON-like notation; binary as b"hex", a
// negative integer and a float keep their kind visible.
func (n node) String() string {
	var sb strings.Builder
	n.write(&sb)
	return sb.String()
}

func (n node) write(sb *strings.Builder) {
	switch n.k {
	case nNull:
		sb.WriteString("null")
	case nBool:
		fmt.Fprint(sb, n.b)
	case nUint:
		fmt.Fprint(sb, n.u)
	case nInt:
		fmt.Fprint(sb, n.i)
	case nFloat:
		fmt.Fprintf(sb, "%gf", n.f)
	case nStr:
		fmt.Fprintf(sb, "%q", n.s)
	case nBin:
		fmt.Fprintf(sb, "b%q", fmt.Sprintf("%x", n.bin))
	case nList:
		sb.WriteByte('[')
		for i, e := range n.list {
			if i > 0 {
				sb.WriteByte(',')
			}
			e.write(sb)
		}
		sb.WriteByte(']')
	case nDict:
		keys := make([]string, 0, len(n.dict))
		for k := range n.dict {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		sb.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				sb.WriteByte(',')
			}
			fmt.Fprintf(sb, "%q:", k)
			n.dict[k].write(sb)
		}
		sb.WriteByte('}')
	}
}

// strictJSON reads one JSON text. Strings that start with NUL are binary
// (the WAMP convention) and must hold standard base64.
func strictJSON(data []byte) (node, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	n, err := jsonNode(dec)
	if err != nil {
		return node{}, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return node{}, fmt.Errorf("strict json: trailing data")
	}
	return n, nil
}

func jsonNode(dec *json.Decoder) (node, error) {
	tok, err := dec.Token()
	if err != nil {
		return node{}, fmt.Errorf("strict json: %w", err)
	}
	switch t := tok.(type) {
	case nil:
		return node{k: nNull}, nil
	case bool:
		return node{k: nBool, b: t}, nil
	case string:
		if len(t) > 0 && t[0] == 0 {
			b, err := base64.StdEncoding.DecodeString(t[1:])
			if err != nil {
				return node{}, fmt.Errorf("strict json: binary string %q: %w", t, err)
			}
			return node{k: nBin, bin: b}, nil
		}
		return node{k: nStr, s: t}, nil
	case json.Number:
		s := t.String()
		if !strings.ContainsAny(s, ".eE") {
			if s[0] == '-' {
				i, err := t.Int64()
				if err != nil {
					return node{}, fmt.Errorf("strict json: integer %s: %w", s, err)
				}
				if i == 0 {
					return node{k: nUint}, nil
				}
				return node{k: nInt, i: i}, nil
			}
			var u uint64
			if _, err := fmt.Sscan(s, &u); err != nil {
				return node{}, fmt.Errorf("strict json: integer %s beyond 64 bits", s)
			}
			return node{k: nUint, u: u}, nil
		}
		f, err := t.Float64()
		if err != nil {
			return node{}, fmt.Errorf("strict json: number %s: %w", s, err)
		}
		return node{k: nFloat, f: f}, nil
	case json.Delim:
		switch t {
		case '[':
			n := node{k: nList, list: []node{}}
			for dec.More() {
				e, err := jsonNode(dec)
				if err != nil {
					return node{}, err
				}
				n.list = append(n.list, e)
			}
			_, err := dec.Token()
			return n, err
		case '{':
			n := node{k: nDict, dict: map[string]node{}}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return node{}, err
				}
				k := kt.(string)
				if _, dup := n.dict[k]; dup {
					return node{}, fmt.Errorf("strict json: repeated key %q", k)
				}
				if n.dict[k], err = jsonNode(dec); err != nil {
					return node{}, err
				}
			}
			_, err := dec.Token()
			return n, err
		}
	}
	return node{}, fmt.Errorf("strict json: unexpected %v", tok)
}

// strictMsgPack reads one MessagePack object: the whole of data.
func strictMsgPack(data []byte) (node, error) {
	r := &byteReader{b: data}
	n, err := mpNode(r, 0)
	if err != nil {
		return node{}, fmt.Errorf("strict msgpack: %w", err)
	}
	if r.i != len(r.b) {
		return node{}, fmt.Errorf("strict msgpack: %d trailing bytes", len(r.b)-r.i)
	}
	return n, nil
}

type byteReader struct {
	b []byte
	i int
}

var errShort = errors.New("truncated")

func (r *byteReader) take(n uint64) ([]byte, error) {
	if n > uint64(len(r.b)-r.i) {
		return nil, errShort
	}
	p := r.b[r.i : r.i+int(n)]
	r.i += int(n)
	return p, nil
}

func (r *byteReader) uint(w int) (uint64, error) {
	p, err := r.take(uint64(w))
	if err != nil {
		return 0, err
	}
	var u uint64
	for _, c := range p {
		u = u<<8 | uint64(c)
	}
	return u, nil
}

func intNode(i int64) node {
	if i >= 0 {
		return node{k: nUint, u: uint64(i)}
	}
	return node{k: nInt, i: i}
}

func mpNode(r *byteReader, depth int) (node, error) {
	if depth > 200 {
		return node{}, errors.New("too deep")
	}
	p, err := r.take(1)
	if err != nil {
		return node{}, err
	}
	c := p[0]
	switch {
	case c <= 0x7f:
		return node{k: nUint, u: uint64(c)}, nil
	case c >= 0xe0:
		return intNode(int64(int8(c))), nil
	case c&0xe0 == 0xa0:
		return mpStr(r, uint64(c&0x1f))
	case c&0xf0 == 0x90:
		return mpList(r, uint64(c&0x0f), depth)
	case c&0xf0 == 0x80:
		return mpDict(r, uint64(c&0x0f), depth)
	}
	switch c {
	case 0xc0:
		return node{k: nNull}, nil
	case 0xc2, 0xc3:
		return node{k: nBool, b: c == 0xc3}, nil
	case 0xc4, 0xc5, 0xc6:
		n, err := r.uint(1 << (c - 0xc4))
		if err != nil {
			return node{}, err
		}
		b, err := r.take(n)
		return node{k: nBin, bin: bytes.Clone(b)}, err
	case 0xca:
		u, err := r.uint(4)
		return node{k: nFloat, f: float64(math.Float32frombits(uint32(u)))}, err
	case 0xcb:
		u, err := r.uint(8)
		return node{k: nFloat, f: math.Float64frombits(u)}, err
	case 0xcc, 0xcd, 0xce, 0xcf:
		u, err := r.uint(1 << (c - 0xcc))
		return node{k: nUint, u: u}, err
	case 0xd0, 0xd1, 0xd2, 0xd3:
		w := 1 << (c - 0xd0)
		u, err := r.uint(w)
		shift := 64 - 8*w
		return intNode(int64(u<<shift) >> shift), err
	case 0xd9, 0xda, 0xdb:
		n, err := r.uint(1 << (c - 0xd9))
		if err != nil {
			return node{}, err
		}
		return mpStr(r, n)
	case 0xdc, 0xdd:
		n, err := r.uint(2 << (c - 0xdc))
		if err != nil {
			return node{}, err
		}
		return mpList(r, n, depth)
	case 0xde, 0xdf:
		n, err := r.uint(2 << (c - 0xde))
		if err != nil {
			return node{}, err
		}
		return mpDict(r, n, depth)
	}
	return node{}, fmt.Errorf("code 0x%02x is not a WAMP value", c)
}

func mpStr(r *byteReader, n uint64) (node, error) {
	b, err := r.take(n)
	if err != nil {
		return node{}, err
	}
	if !utf8Valid(b) {
		return node{}, errors.New("string is not UTF-8")
	}
	return node{k: nStr, s: string(b)}, nil
}

func mpList(r *byteReader, n uint64, depth int) (node, error) {
	if n > uint64(len(r.b)-r.i) {
		return node{}, errShort
	}
	l := node{k: nList, list: make([]node, 0, n)}
	for range n {
		e, err := mpNode(r, depth+1)
		if err != nil {
			return node{}, err
		}
		l.list = append(l.list, e)
	}
	return l, nil
}

func mpDict(r *byteReader, n uint64, depth int) (node, error) {
	if n > uint64(len(r.b)-r.i) {
		return node{}, errShort
	}
	d := node{k: nDict, dict: make(map[string]node, n)}
	for range n {
		k, err := mpNode(r, depth+1)
		if err != nil {
			return node{}, err
		}
		if k.k != nStr {
			return node{}, fmt.Errorf("map key is %v, not a string", k.k)
		}
		if _, dup := d.dict[k.s]; dup {
			return node{}, fmt.Errorf("repeated key %q", k.s)
		}
		if d.dict[k.s], err = mpNode(r, depth+1); err != nil {
			return node{}, err
		}
	}
	return d, nil
}

// strictCBOR reads one CBOR data item: the whole of data. Definite and
// indefinite lengths, no tags (WAMP defines none).
func strictCBOR(data []byte) (node, error) {
	r := &byteReader{b: data}
	n, err := cborNode(r, 0)
	if err != nil {
		return node{}, fmt.Errorf("strict cbor: %w", err)
	}
	if r.i != len(r.b) {
		return node{}, fmt.Errorf("strict cbor: %d trailing bytes", len(r.b)-r.i)
	}
	return n, nil
}

var errBreak = errors.New("break")

// cborHead reads an item's major type and argument; indefinite reports the
// additional information 31.
func cborHead(r *byteReader) (major byte, arg uint64, indefinite bool, err error) {
	p, err := r.take(1)
	if err != nil {
		return 0, 0, false, err
	}
	major, info := p[0]>>5, p[0]&0x1f
	switch {
	case info < 24:
		return major, uint64(info), false, nil
	case info <= 27:
		arg, err = r.uint(1 << (info - 24))
		return major, arg, false, err
	case info == 31:
		return major, 0, true, nil
	}
	return 0, 0, false, fmt.Errorf("reserved additional information %d", info)
}

func cborNode(r *byteReader, depth int) (node, error) {
	if depth > 200 {
		return node{}, errors.New("too deep")
	}
	start := r.i
	major, arg, indef, err := cborHead(r)
	if err != nil {
		return node{}, err
	}
	if indef && (major == 0 || major == 1 || major == 6) {
		return node{}, fmt.Errorf("indefinite length on major type %d", major)
	}
	switch major {
	case 0:
		return node{k: nUint, u: arg}, nil
	case 1:
		if arg > math.MaxInt64 {
			return node{}, errors.New("negative integer beyond 64 bits")
		}
		return node{k: nInt, i: -1 - int64(arg)}, nil
	case 2, 3:
		var b []byte
		if indef {
			for {
				m, a, ind, err := cborHead(r)
				if err != nil {
					return node{}, err
				}
				if m == 7 && r.b[r.i-1] == 0xff {
					break
				}
				if m != major || ind {
					return node{}, errors.New("bad chunk in an indefinite string")
				}
				p, err := r.take(a)
				if err != nil {
					return node{}, err
				}
				b = append(b, p...)
			}
		} else {
			p, err := r.take(arg)
			if err != nil {
				return node{}, err
			}
			b = bytes.Clone(p)
		}
		if major == 2 {
			return node{k: nBin, bin: b}, nil
		}
		if !utf8Valid(b) {
			return node{}, errors.New("text string is not UTF-8")
		}
		return node{k: nStr, s: string(b)}, nil
	case 4:
		l := node{k: nList, list: []node{}}
		for i := uint64(0); indef || i < arg; i++ {
			e, err := cborNode(r, depth+1)
			if indef && errors.Is(err, errBreak) {
				break
			}
			if err != nil {
				return node{}, err
			}
			l.list = append(l.list, e)
		}
		return l, nil
	case 5:
		d := node{k: nDict, dict: map[string]node{}}
		for i := uint64(0); indef || i < arg; i++ {
			k, err := cborNode(r, depth+1)
			if indef && errors.Is(err, errBreak) {
				break
			}
			if err != nil {
				return node{}, err
			}
			if k.k != nStr {
				return node{}, fmt.Errorf("map key is %v, not a string", k.k)
			}
			if _, dup := d.dict[k.s]; dup {
				return node{}, fmt.Errorf("repeated key %q", k.s)
			}
			if d.dict[k.s], err = cborNode(r, depth+1); err != nil {
				return node{}, err
			}
		}
		return d, nil
	case 6:
		return node{}, fmt.Errorf("tag %d: WAMP defines no CBOR tags", arg)
	}
	// Major type 7: simple values and floats.
	switch info := r.b[start] & 0x1f; info {
	case 20, 21:
		return node{k: nBool, b: info == 21}, nil
	case 22:
		return node{k: nNull}, nil
	case 25:
		return node{k: nFloat, f: halfFloat(uint16(arg))}, nil
	case 26:
		return node{k: nFloat, f: float64(math.Float32frombits(uint32(arg)))}, nil
	case 27:
		return node{k: nFloat, f: math.Float64frombits(arg)}, nil
	case 31:
		return node{}, errBreak
	}
	return node{}, fmt.Errorf("simple value 0x%02x is not a WAMP value", r.b[start])
}

func halfFloat(h uint16) float64 {
	exp, mant := int(h>>10)&0x1f, float64(h&0x3ff)
	var f float64
	switch exp {
	case 0:
		f = mant * math.Pow(2, -24)
	case 31:
		if mant == 0 {
			f = math.Inf(1)
		} else {
			f = math.NaN()
		}
	default:
		f = (1 + mant/1024) * math.Pow(2, float64(exp-15))
	}
	if h&0x8000 != 0 {
		f = -f
	}
	return f
}

func utf8Valid(b []byte) bool { return utf8.Valid(b) }

// elementKinds is each message's definition in the WAMP spec
// (rfc/text/basic/messages.md, advanced/messages.md): the kinds of its
// elements after the type, required first; "opt" ones may be left out at the
// end. "id" is a non-negative integer, "uri" and "str" strings.
type elem struct {
	name string
	kind string // "id", "int", "str", "dict", "list"
	opt  bool
}

var specMessages = map[uint64][]elem{
	1:  {{"Realm", "str", false}, {"Details", "dict", false}},                                                                                                                              // HELLO
	2:  {{"Session", "id", false}, {"Details", "dict", false}},                                                                                                                             // WELCOME
	3:  {{"Details", "dict", false}, {"Reason", "str", false}},                                                                                                                             // ABORT
	4:  {{"AuthMethod", "str", false}, {"Extra", "dict", false}},                                                                                                                           // CHALLENGE
	5:  {{"Signature", "str", false}, {"Extra", "dict", false}},                                                                                                                            // AUTHENTICATE
	6:  {{"Details", "dict", false}, {"Reason", "str", false}},                                                                                                                             // GOODBYE
	8:  {{"REQUEST.Type", "id", false}, {"REQUEST.Request", "id", false}, {"Details", "dict", false}, {"Error", "str", false}, {"Arguments", "list", true}, {"ArgumentsKw", "dict", true}}, // ERROR
	16: {{"Request", "id", false}, {"Options", "dict", false}, {"Topic", "str", false}, {"Arguments", "list", true}, {"ArgumentsKw", "dict", true}},                                        // PUBLISH
	17: {{"PUBLISH.Request", "id", false}, {"Publication", "id", false}},                                                                                                                   // PUBLISHED
	32: {{"Request", "id", false}, {"Options", "dict", false}, {"Topic", "str", false}},                                                                                                    // SUBSCRIBE
	33: {{"SUBSCRIBE.Request", "id", false}, {"Subscription", "id", false}},                                                                                                                // SUBSCRIBED
	34: {{"Request", "id", false}, {"SUBSCRIBED.Subscription", "id", false}},                                                                                                               // UNSUBSCRIBE
	35: {{"UNSUBSCRIBE.Request", "id", false}, {"Details", "dict", true}},                                                                                                                  // UNSUBSCRIBED
	36: {{"SUBSCRIBED.Subscription", "id", false}, {"PUBLISHED.Publication", "id", false}, {"Details", "dict", false}, {"Arguments", "list", true}, {"ArgumentsKw", "dict", true}},         // EVENT
	48: {{"Request", "id", false}, {"Options", "dict", false}, {"Procedure", "str", false}, {"Arguments", "list", true}, {"ArgumentsKw", "dict", true}},                                    // CALL
	49: {{"CALL.Request", "id", false}, {"Options", "dict", false}},                                                                                                                        // CANCEL
	50: {{"CALL.Request", "id", false}, {"Details", "dict", false}, {"Arguments", "list", true}, {"ArgumentsKw", "dict", true}},                                                            // RESULT
	64: {{"Request", "id", false}, {"Options", "dict", false}, {"Procedure", "str", false}},                                                                                                // REGISTER
	65: {{"REGISTER.Request", "id", false}, {"Registration", "id", false}},                                                                                                                 // REGISTERED
	66: {{"Request", "id", false}, {"REGISTERED.Registration", "id", false}},                                                                                                               // UNREGISTER
	67: {{"UNREGISTER.Request", "id", false}, {"Details", "dict", true}},                                                                                                                   // UNREGISTERED
	68: {{"Request", "id", false}, {"REGISTERED.Registration", "id", false}, {"Details", "dict", false}, {"Arguments", "list", true}, {"ArgumentsKw", "dict", true}},                       // INVOCATION
	69: {{"INVOCATION.Request", "id", false}, {"Options", "dict", false}},                                                                                                                  // INTERRUPT
	70: {{"INVOCATION.Request", "id", false}, {"Options", "dict", false}, {"Arguments", "list", true}, {"ArgumentsKw", "dict", true}},                                                      // YIELD
}

// specShape checks a message tree against its definition: a list, a known
// type, every element of its kind (no null where a list or dictionary is
// due), the optional ones left out only at the end, ArgumentsKw only after
// Arguments, and nothing beyond. With PPT options or details
// (ppt_scheme), Arguments must hold exactly one binary and ArgumentsKw be
// absent or empty.
func specShape(n node) error {
	if n.k != nList || len(n.list) == 0 || n.list[0].k != nUint {
		return fmt.Errorf("not a list that starts with a message type: %v", n)
	}
	typ := n.list[0].u
	def, ok := specMessages[typ]
	if !ok {
		return fmt.Errorf("message type %d is not a WAMP message", typ)
	}
	es := n.list[1:]
	if len(es) > len(def) {
		return fmt.Errorf("type %d: %d elements, the spec has %d", typ, len(es), len(def))
	}
	for i, d := range def {
		if i >= len(es) {
			if !d.opt {
				return fmt.Errorf("type %d: %s is missing", typ, d.name)
			}
			break
		}
		e := es[i]
		want := map[string]nodeKind{"id": nUint, "int": nUint, "str": nStr, "dict": nDict, "list": nList}[d.kind]
		if e.k != want {
			return fmt.Errorf("type %d: %s is %v (%v), the spec says %s", typ, d.name, e.k, e, d.kind)
		}
	}
	var opts node
	for i, d := range def {
		if i < len(es) && (d.name == "Options" || d.name == "Details") {
			opts = es[i]
		}
	}
	if s, ok := opts.dict["ppt_scheme"]; ok {
		if s.k != nStr || s.s == "" {
			return fmt.Errorf("type %d: ppt_scheme is %v", typ, s)
		}
		argsAt := -1
		for i, d := range def {
			if d.name == "Arguments" {
				argsAt = i
			}
		}
		if argsAt < 0 || argsAt >= len(es) || len(es[argsAt].list) != 1 || es[argsAt].list[0].k != nBin {
			return fmt.Errorf("type %d: a PPT message's Arguments must be one binary: %v", typ, n)
		}
		if argsAt+1 < len(es) && len(es[argsAt+1].dict) != 0 {
			return fmt.Errorf("type %d: a PPT message has ArgumentsKw: %v", typ, n)
		}
	}
	return nil
}

// strictParsers are the readers by serializer name.
var strictParsers = map[string]func([]byte) (node, error){
	"json": strictJSON, "msgpack": strictMsgPack, "cbor": strictCBOR,
}
