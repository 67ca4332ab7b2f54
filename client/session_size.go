package client

import (
	"github.com/gammazero/nexus/v3/wamp"

	"github.com/wampkit/wampkit/internal/wire"
)

// eventSize approximates the encoded size of an EVENT (see approxSize).
func eventSize(m *wamp.Event) int {
	return 16 + approxSize(m.Details) + approxSize(m.Arguments) + approxSize(m.ArgumentsKw)
}

// approxSize approximates the encoded size in bytes of a decoded WAMP value
// (a JSON-like encoding: strings and binary at their length, numbers at 8
// bytes, a few bytes of framing per element). It is what queues charge a
// message against their byte bounds: cheap (one walk of the value) and
// within a small factor of what any of the serializers produce.
//
// The walk has no depth limit: a value nested deeper than a limit would be
// charged for less than it holds, so a hostile router could slip any amount
// past a byte bound inside 65 lists. Received values are trees that a
// decoder built (the decoders bound nesting: encoding/json at 10,000
// levels, the MsgPack and CBOR decoders lower), or the in-process link's
// copies of them, so the walk ends and its stack stays small.
func approxSize(v any) int {
	switch x := v.(type) {
	case nil:
		return 1
	case string:
		return len(x) + 2
	case wamp.URI: // in a router's own Details, in process
		return len(x) + 2
	case []byte:
		return len(x) + 2
	case wire.Raw:
		return x.Len()
	case bool:
		return 1
	case wamp.List:
		return listSize(x)
	case []any:
		return listSize(x)
	case wamp.Dict:
		return dictSize(x)
	case map[string]any:
		return dictSize(x)
	case []string:
		n := 2
		for _, s := range x {
			n += len(s) + 3
		}
		return n
	}
	return 8 // numbers, IDs and anything else a decoder produces
}

func listSize(l []any) int {
	n := 2
	for _, e := range l {
		n += approxSize(e) + 1
	}
	return n
}

func dictSize(d map[string]any) int {
	n := 2
	for k, e := range d {
		n += len(k) + 4 + approxSize(e)
	}
	return n
}
