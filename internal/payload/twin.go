package payload

import (
	"reflect"
	"sync/atomic"

	"github.com/wampkit/wampkit/internal/codec"
	"github.com/wampkit/wampkit/internal/handover"
	"github.com/wampkit/wampkit/internal/outgoing"
)

// In process a typed payload is handed to its receiver as the sender's
// frozen map (internal/handover), and the receiver's typed decoder reads
// it back into a struct. For the plainest structs EncodeFresh also records
// the struct's twin (codec.Twin) beside the arguments (handover.RecordTwin),
// and a decoder into the same type takes it instead of decoding, when the
// arguments it decodes are the very ones a receiver took over the link
// (handover.TakeTwin). A copy, another type, another decode option or a
// second decode reads the map.

// twinsTaken counts the twins taken instead of a decode (see TwinsTaken).
var twinsTaken atomic.Uint64

// TwinsTaken is how many decodes took a twin since the process started: a
// test's way to see that one did.
func TwinsTaken() uint64 { return twinsTaken.Load() }

// recordTwin records the twin of v for args, the payload EncodeFresh built
// of it, when the payload may be handed over (fresh, measured small enough,
// one object) and v is a struct codec.Twin takes. Its caller has made sure
// that no interceptor will see the payload. A payload that is not handed
// over after all (the session changed before it was sent, the router sent
// it over the network, the call was refused), or is handed to a receiver
// that does not take the twin (an untyped or differently typed one, a
// caller whose result is copied), leaves its twin unused.
func recordTwin(v any, args []any, kwargs map[string]any, b outgoing.Built) {
	if !b.Fresh || !b.Measured || b.Hi > handover.MaxBytes || !oneObject(args, kwargs) {
		return
	}
	if twin, ok := codec.Twin(v); ok {
		handover.RecordTwin(args, twin)
	}
}

// takeTwin sets *dst to the twin of args, when a receiver was handed args
// over the in-process link and the twin is of dst's element type, and a
// decode with opts would give it (see codec.TwinDecodes). A twin found is
// removed, taken or not.
func takeTwin(args []any, kwargs map[string]any, dst any, opts []codec.Option) bool {
	if !oneObject(args, kwargs) || !codec.TwinDecodes(opts) {
		return false
	}
	twin, ok := handover.TakeTwin(args)
	if !ok {
		return false
	}
	dv, tv := reflect.ValueOf(dst), reflect.ValueOf(twin) // tv: a pointer to the twin (codec.Twin)
	if dv.Type() != tv.Type() || dv.IsNil() {
		return false
	}
	dv.Elem().Set(tv.Elem())
	twinsTaken.Add(1)
	return true
}

// oneObject reports whether args and kwargs are the payload of one object,
// args=[object], the only shape a twin is made for.
func oneObject(args []any, kwargs map[string]any) bool {
	if len(args) != 1 || kwargs != nil {
		return false
	}
	_, ok := args[0].(map[string]any)
	return ok
}
