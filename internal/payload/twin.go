package payload

import (
	"reflect"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/wampkit/wampkit/internal/codec"
	"github.com/wampkit/wampkit/internal/handover"
	"github.com/wampkit/wampkit/internal/outgoing"
)

// A typed payload that crosses the in-process link is handed to its
// receiver as the sender's frozen values (internal/handover), and the
// receiver's typed decoder reads them into its struct: on a small struct
// about as much work as the encoder's. When the struct is of the plainest
// kind (codec.Twin), EncodeFresh also makes its twin, the copy that
// decoding the payload would give, and records it here beside the very
// arguments slice it belongs to. A decoder into the same type that is
// handed those very arguments takes the twin instead of decoding.
//
// Identity is what makes it safe. The frozen arguments reach a receiver
// without a copy only when nobody could modify them after the encoder
// built them (no interceptor saw them, see handover); any other receiver
// has its own copy, a different slice, and finds no twin. The record keeps
// the arguments alive, so no other slice can have their address meanwhile.
// A twin is taken once, and only into its own type; one not taken (a call
// that went over the network, an untyped or differently typed receiver)
// stays until a later twin takes its slot, as handover's records do. The
// table holds at most twinSlots twins of payloads of at most
// handover.MaxBytes each.

const (
	twinBits  = 8
	twinSlots = 1 << twinBits
)

type twinRecord struct {
	mu   sync.Mutex
	args []any
	twin any
}

var twins [twinSlots]twinRecord

// twinsTaken counts the twins taken instead of a decode (see TwinsTaken).
var twinsTaken atomic.Uint64

// TwinsTaken is how many decodes took a twin since the process started: a
// test's way to see that one did.
func TwinsTaken() uint64 { return twinsTaken.Load() }

func twinSlot(args []any) *twinRecord {
	h := uint64(uintptr(unsafe.Pointer(unsafe.SliceData(args)))>>4) * 0x9e3779b97f4a7c15
	return &twins[h>>(64-twinBits)]
}

// recordTwin records the twin of v for args, the payload EncodeFresh built
// of it, when the payload may be handed over (fresh, measured small enough,
// one object) and v is a struct codec.Twin takes.
func recordTwin(v any, args []any, kwargs map[string]any, b outgoing.Built) {
	if !b.Fresh || !b.Measured || b.Hi > handover.MaxBytes || len(args) != 1 || kwargs != nil {
		return
	}
	if _, ok := args[0].(map[string]any); !ok {
		return
	}
	twin, ok := codec.Twin(v)
	if !ok {
		return
	}
	r := twinSlot(args)
	r.mu.Lock()
	r.args, r.twin = args, twin
	r.mu.Unlock()
}

// takeTwin sets *dst to the twin recorded for args, when there is one of
// dst's element type, and a decode with opts would give it (see
// codec.TwinDecodes). The record is removed when found, taken or not.
func takeTwin(args []any, kwargs map[string]any, dst any, opts []codec.Option) bool {
	if len(args) != 1 || kwargs != nil || !codec.TwinDecodes(opts) {
		return false
	}
	if _, ok := args[0].(map[string]any); !ok {
		return false
	}
	r := twinSlot(args)
	r.mu.Lock()
	if r.args == nil || unsafe.SliceData(r.args) != unsafe.SliceData(args) || len(r.args) != len(args) {
		r.mu.Unlock()
		return false
	}
	twin := r.twin
	r.args, r.twin = nil, nil
	r.mu.Unlock()
	dv, tv := reflect.ValueOf(dst), reflect.ValueOf(twin) // tv: a pointer to the twin (codec.Twin)
	if dv.Type() != tv.Type() || dv.IsNil() {
		return false
	}
	dv.Elem().Set(tv.Elem())
	twinsTaken.Add(1)
	return true
}
