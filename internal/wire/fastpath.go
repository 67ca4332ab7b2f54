package wire

import (
	"bytes"
	"unsafe"

	"github.com/gammazero/nexus/v3/wamp"
)

// The fast paths (msgpack.go, json.go, cbor.go) encode and decode the messages of
// every call and event (CALL, YIELD, PUBLISH, ERROR, RESULT, INVOCATION,
// EVENT: what a client sends and receives, and the other way round what the
// reference router receives and sends) without reflection and without
// nexus's detour through []any and copied maps. They give exactly what the
// fallback gives (nexus's serializers made spec-shaped, spec.go): the same
// values on decoding, in the canonical Go types (canonical.go) to which the
// Serializer also rewrites the fallback's output, and on encoding the same
// bytes except for the order of map entries.
//
// They only take what they know. A message of another type, a value of
// another Go type, a map key that is not a string, a repeated map key, a
// field of an unexpected type, a form the format allows but nexus reads in
// its own way, trailing bytes, truncation, nesting deeper than
// maxFastDepth: each makes them decline (ok=false), and the Serializer hands
// the frame or message to nexus's serializer, which decides as before.
//
// This file holds what both formats share: the layout of each message.

const (
	maxFastDepth = 100
	// sharedStringsMax is the largest frame whose strings are slices of one
	// copy of the frame: one allocation for every key and string value.
	// Beyond it each string is its own copy, so that a string kept from a
	// large message does not keep the whole message alive.
	sharedStringsMax = 4 << 10
	// maxElements is the longest message list the fast paths decode (ERROR).
	maxElements = 7
	// preallocMax is the most elements a decoder makes room for before it
	// has read them: a frame's claimed lengths, nested, could otherwise
	// have it allocate a thousand times the frame's size before it fails.
	preallocMax = 64
)

// fieldKind says how one element of an outgoing message is written.
type fieldKind uint8

const (
	fieldUint fieldKind = iota
	fieldString
	fieldDict
	fieldList
)

// field is one element of an outgoing message, not boxed.
type field struct {
	kind fieldKind
	u    uint64
	s    string
	d    map[string]any
	l    []any
}

// outgoing lists msg's elements after its type, in wire order, spec-shaped:
// a nil dictionary element is {}; an empty ArgumentsKw is left out, and
// Arguments too when both are empty; kwargs without args follow [].
func outgoing(msg wamp.Message, fs *[maxElements]field) (wamp.MessageType, []field, bool) {
	var (
		t       wamp.MessageType
		n       int
		args    wamp.List
		kwargs  wamp.Dict
		uintF   = func(u uint64) { fs[n] = field{kind: fieldUint, u: u}; n++ }
		stringF = func(s string) { fs[n] = field{kind: fieldString, s: s}; n++ }
		dictF   = func(d map[string]any) {
			if d == nil {
				d = emptyDict
			}
			fs[n] = field{kind: fieldDict, d: d}
			n++
		}
	)
	switch m := msg.(type) {
	case *wamp.Call:
		t, args, kwargs = wamp.CALL, m.Arguments, m.ArgumentsKw
		uintF(uint64(m.Request))
		dictF(m.Options)
		stringF(string(m.Procedure))
	case *wamp.Yield:
		t, args, kwargs = wamp.YIELD, m.Arguments, m.ArgumentsKw
		uintF(uint64(m.Request))
		dictF(m.Options)
	case *wamp.Publish:
		t, args, kwargs = wamp.PUBLISH, m.Arguments, m.ArgumentsKw
		uintF(uint64(m.Request))
		dictF(m.Options)
		stringF(string(m.Topic))
	case *wamp.Error:
		if m.Type < 0 {
			return 0, nil, false
		}
		t, args, kwargs = wamp.ERROR, m.Arguments, m.ArgumentsKw
		uintF(uint64(m.Type))
		uintF(uint64(m.Request))
		dictF(m.Details)
		stringF(string(m.Error))
	case *wamp.Result:
		t, args, kwargs = wamp.RESULT, m.Arguments, m.ArgumentsKw
		uintF(uint64(m.Request))
		dictF(m.Details)
	case *wamp.Invocation:
		t, args, kwargs = wamp.INVOCATION, m.Arguments, m.ArgumentsKw
		uintF(uint64(m.Request))
		uintF(uint64(m.Registration))
		dictF(m.Details)
	case *wamp.Event:
		t, args, kwargs = wamp.EVENT, m.Arguments, m.ArgumentsKw
		uintF(uint64(m.Subscription))
		uintF(uint64(m.Publication))
		dictF(m.Details)
	default:
		return 0, nil, false
	}
	if len(args) > 0 || len(kwargs) > 0 {
		if args == nil {
			args = emptyList
		}
		fs[n] = field{kind: fieldList, l: args}
		n++
	}
	if len(kwargs) > 0 {
		dictF(kwargs)
	}
	return t, fs[:n], true
}

// element is one element of an incoming message's list: an unsigned integer
// (a type or an ID) not boxed, anything else as decoded.
type element struct {
	v     any
	u     uint64
	isInt bool
}

// incoming builds the message of the decoded elements; es[0] is the type. A
// field the list does not have, or a nil, keeps its zero value, as in nexus.
func incoming(es []element) (wamp.Message, bool) {
	if len(es) == 0 || !es[0].isInt {
		return nil, false
	}
	ok := true
	// set reports whether element i is there and not nil, while all is well.
	set := func(i int) bool { return ok && i < len(es) && (es[i].isInt || es[i].v != nil) }
	id := func(i int, out *wamp.ID) {
		if set(i) {
			*out, ok = wamp.ID(es[i].u), es[i].isInt
		}
	}
	dict := func(i int, out *wamp.Dict) {
		if set(i) {
			*out, ok = es[i].v.(map[string]any)
		}
	}
	list := func(i int, out *wamp.List) {
		if set(i) {
			*out, ok = es[i].v.([]any)
		}
	}
	uri := func(i int, out *wamp.URI) {
		if set(i) {
			var s string
			s, ok = es[i].v.(string)
			*out = wamp.URI(s)
		}
	}
	// tail reads Details, Arguments and ArgumentsKw from element i on: the
	// end of every message here but ERROR, which has its URI in between.
	tail := func(i int, details *wamp.Dict, args *wamp.List, kwargs *wamp.Dict) bool {
		dict(i, details)
		list(i+1, args)
		dict(i+2, kwargs)
		return ok && len(es) <= i+3
	}
	var msg wamp.Message
	switch wamp.MessageType(es[0].u) {
	case wamp.RESULT:
		m := &wamp.Result{}
		id(1, &m.Request)
		msg, ok = m, tail(2, &m.Details, &m.Arguments, &m.ArgumentsKw)
	case wamp.INVOCATION:
		m := &wamp.Invocation{}
		id(1, &m.Request)
		id(2, &m.Registration)
		msg, ok = m, tail(3, &m.Details, &m.Arguments, &m.ArgumentsKw)
	case wamp.EVENT:
		m := &wamp.Event{}
		id(1, &m.Subscription)
		id(2, &m.Publication)
		msg, ok = m, tail(3, &m.Details, &m.Arguments, &m.ArgumentsKw)
	case wamp.ERROR:
		m := &wamp.Error{Type: wamp.ERROR, Details: wamp.Dict{}} // as wamp.NewMessage makes it
		t := wamp.ID(m.Type)
		id(1, &t)
		m.Type = wamp.MessageType(t)
		id(2, &m.Request)
		dict(3, &m.Details)
		uri(4, &m.Error)
		list(5, &m.Arguments)
		dict(6, &m.ArgumentsKw)
		msg, ok = m, ok && len(es) <= 7
	case wamp.CALL:
		m := &wamp.Call{}
		id(1, &m.Request)
		dict(2, &m.Options)
		uri(3, &m.Procedure)
		list(4, &m.Arguments)
		dict(5, &m.ArgumentsKw)
		msg, ok = m, ok && len(es) <= 6
	case wamp.PUBLISH:
		m := &wamp.Publish{}
		id(1, &m.Request)
		dict(2, &m.Options)
		uri(3, &m.Topic)
		list(4, &m.Arguments)
		dict(5, &m.ArgumentsKw)
		msg, ok = m, ok && len(es) <= 6
	case wamp.YIELD:
		m := &wamp.Yield{}
		id(1, &m.Request)
		msg, ok = m, tail(2, &m.Options, &m.Arguments, &m.ArgumentsKw)
	default:
		return nil, false
	}
	return msg, ok
}

// keepable reports whether element i of a message, whose elements before
// it are es, can hold the arguments a Serializer keeps raw (KeepRawIf): a
// RESULT's or an INVOCATION's. The question it returns asks the KeepFunc
// whether to keep them; the caller asks it last, once the element is
// known to be the message's last and a list of one dictionary (oneDict):
// the KeepFunc may take a lock, and most messages (every positional
// payload) are settled without it.
func keepable(keep *Serializer, es []element, i int) (keepQuestion, bool) {
	if keep == nil || i < 3 || len(es) < i || !es[0].isInt || !es[1].isInt {
		return keepQuestion{}, false
	}
	q := keepQuestion{keep: keep, t: wamp.MessageType(es[0].u), request: wamp.ID(es[1].u)}
	switch {
	case i == 3 && q.t == wamp.RESULT:
		q.details, _ = es[2].v.(map[string]any)
	case i == 4 && q.t == wamp.INVOCATION && es[2].isInt:
		q.registration = wamp.ID(es[2].u)
		q.details, _ = es[3].v.(map[string]any)
	default:
		return keepQuestion{}, false
	}
	return q, true
}

// keepQuestion is what a KeepFunc is asked about a message (keepable).
type keepQuestion struct {
	keep                  *Serializer
	t                     wamp.MessageType
	request, registration wamp.ID
	details               map[string]any
}

// wanted asks the KeepFunc.
func (q keepQuestion) wanted() bool {
	f := q.keep.keep.Load()
	return f != nil && (*f)(q.t, q.request, q.registration, q.details)
}

// rawArgs is the arguments element of a list of one dictionary, kept
// encoded: the dictionary is frame[start:end], and the frame is borrowed.
// When the frame is no larger than sharedStringsMax, shared is the frame
// as one string, of which every string decoded from it is a slice; the Raw
// is then a slice of it too. Else the Raw is a copy.
func rawArgs(keep *Serializer, frame []byte, shared string, start, end int) element {
	r := Raw{ser: keep}
	if shared != "" {
		r.s = shared[start:end]
		r.data = unsafe.Slice(unsafe.StringData(r.s), len(r.s)) // only ever read
	} else {
		r.data = bytes.Clone(frame[start:end])
	}
	return element{v: []any{r}}
}
