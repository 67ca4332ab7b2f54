package handover

import "sync"

// A payload given here is the typed encoder's map of a struct, and the
// receiver's typed decoder reads it back into a struct: for a small struct
// about as much work as building the map. For the plainest structs the
// encoder's side can make the struct's twin, the copy that decoding the
// payload would give (codec.Twin), and record it with [RecordTwin] beside
// the arguments slice it belongs to. The twin becomes takeable only when a
// receiver takes those very arguments with [Take], which proves that the
// sender gave them frozen. The rest of the proof is the callers': a twin
// is recorded only for arguments no interceptor will see (internal/payload:
// EncodeFresh with twin), and a receiver handed a frozen payload only
// reads it, so decoding it still gives the twin.
//
// The twins live in a table of [slots] records like the payloads', one
// record per address (a later twin replaces an earlier one in its slot,
// which then decodes as without a twin). A record keeps its arguments and
// its twin alive until it is taken or replaced, beside the payload table's
// records: at most slots more argument slices (each at most MaxBytes
// encoded) and their twins. A twin not taken (never handed over, or handed
// to a receiver that does not take it) stays until a later twin takes its
// slot.

type twinRecord struct {
	mu     sync.Mutex
	args   []any
	twin   any
	handed bool // Take took args: the twin may be taken
}

var twins [slots]twinRecord

func twinSlot(args []any) *twinRecord { return &twins[addrHash(args)>>(64-slotBits)] }

// RecordTwin records twin for args, the arguments the typed encoder just
// built, replacing whatever record their slot held.
func RecordTwin(args []any, twin any) {
	if len(args) == 0 {
		return
	}
	r := twinSlot(args)
	r.mu.Lock()
	r.args, r.twin, r.handed = args, twin, false
	r.mu.Unlock()
}

// handed marks the twin of args, if one is recorded, as takeable: a
// receiver took args with Take.
func handed(args []any) {
	r := twinSlot(args)
	r.mu.Lock()
	if r.args != nil && same(r.args, args) {
		r.handed = true
	}
	r.mu.Unlock()
}

// TakeTwin returns the twin recorded for args once a receiver took args
// with Take, and removes the record; ok is false when there is none.
func TakeTwin(args []any) (twin any, ok bool) {
	if len(args) == 0 {
		return nil, false
	}
	r := twinSlot(args)
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.handed || !same(r.args, args) {
		return nil, false
	}
	twin = r.twin
	r.args, r.twin, r.handed = nil, nil, false
	return twin, true
}
