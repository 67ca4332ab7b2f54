package session

import (
	"github.com/gammazero/nexus/v3/wamp"
)

// eventSize approximates the encoded size of an EVENT (see ApproxSize).
func eventSize(m *wamp.Event) int {
	return 16 + ApproxSize(m.Details) + ApproxSize(m.Arguments) + ApproxSize(m.ArgumentsKw)
}

// maxSizeDepth bounds the walk of nested values; anything deeper counts as
// a fixed size (decoders bound nesting anyway).
const maxSizeDepth = 64

// ApproxSize approximates the encoded size in bytes of a decoded WAMP value
// (a JSON-like encoding: strings and binary at their length, numbers at 8
// bytes, a few bytes of framing per element). It is what queues charge a
// message against their byte bounds: cheap (one walk of the value) and
// within a small factor of what any of the serializers produce.
func ApproxSize(v any) int { return approxSize(v, 0) }

func approxSize(v any, depth int) int {
	if depth > maxSizeDepth {
		return 8
	}
	switch x := v.(type) {
	case nil:
		return 1
	case string:
		return len(x) + 2
	case []byte:
		return len(x) + 2
	case bool:
		return 1
	case wamp.List:
		return listSize(x, depth)
	case []any:
		return listSize(x, depth)
	case wamp.Dict:
		return dictSize(x, depth)
	case map[string]any:
		return dictSize(x, depth)
	case []string:
		n := 2
		for _, s := range x {
			n += len(s) + 3
		}
		return n
	}
	return 8 // numbers, IDs and anything else a decoder produces
}

func listSize(l []any, depth int) int {
	n := 2
	for _, e := range l {
		n += approxSize(e, depth+1) + 1
	}
	return n
}

func dictSize(d map[string]any, depth int) int {
	n := 2
	for k, e := range d {
		n += len(k) + 4 + approxSize(e, depth+1)
	}
	return n
}
