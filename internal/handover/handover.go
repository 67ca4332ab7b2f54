// Package handover lets a payload cross the in-process link without the
// copy that gives the link wire semantics (wire.Localize), when the sender
// proves that nobody will ever modify it.
//
// The in-process link carries Go values: the router hands the receiver the
// sender's own Arguments slice and ArgumentsKw map. A receiver therefore
// copies what it receives, so that it never shares memory with the sender
// (as over the network). The copy is needless when the payload is frozen:
// built by wampkit's typed encoder for one message, seen by no application
// code (no interceptor), and never modified after it was sent. Such a
// payload may be read by any number of readers at once, and a receiver
// whose consumer only reads it (the typed decoders, which copy what they
// keep) can skip the copy.
//
// The sender records the payload with [Give] just before it hands the
// message to the link; the receiver asks [Take] with the Arguments and
// ArgumentsKw it received. Take is true only for the very slice and map
// that were given (same backing array, same length, same map), and only
// once. The record is found by identity, never by reading the values, so
// nothing the application sends is read beyond what a copy would read.
//
// The records live in a fixed table of [slots] entries indexed by the
// address of the arguments (a newer record replaces an older one in its
// slot: the older payload is then copied, as without this package). A
// record keeps its payload alive until it is taken or replaced: a payload
// that never reaches a receiver here (a call the router refuses or sends to
// a callee over the network, an answer to a canceled call) is held until a
// later one takes its slot. So the table holds at most slots payloads of
// at most [MaxBytes] encoded each (1 MiB encoded, a few MiB of heap), for
// as long as the process gives payloads. Holding them weakly (package
// weak) would hold nothing, and was measured 10-15% slower for an
// in-process call (a weak handle per payload given and taken).
package handover

import (
	"sync"
	"sync/atomic"
	"unsafe"
)

// slots is the number of records; a power of two.
const slots = 256

// MaxBytes bounds the encoded size of a payload that may be given.
const MaxBytes = 4 << 10

// record is one slot: a payload given and not yet taken (args nil when
// none). A mutex per slot, not a pointer swapped atomically: a record costs
// no allocation.
type record struct {
	mu     sync.Mutex
	args   []any
	kwargs map[string]any
	size   int
}

var table [slots]record

// taken counts the payloads taken (see Taken).
var taken atomic.Uint64

// Taken is how many payloads receivers have taken since the process
// started: a test's way to see that a payload crossed without a copy.
func Taken() uint64 { return taken.Load() }

// slot is the table entry of an arguments array.
func slot(args []any) *record {
	p := uintptr(unsafe.Pointer(unsafe.SliceData(args)))
	h := (p >> 4) ^ (p >> 14) ^ (p >> 24)
	return &table[h&(slots-1)]
}

// Give records args and kwargs, a frozen payload (see the package
// documentation), as given to the next receiver that asks for exactly
// them, with size, what the sender measured of them for the receiver (-1:
// nothing). Only non-empty arguments can be given (they carry the
// identity); Give reports whether it recorded them.
func Give(args []any, kwargs map[string]any, size int) bool {
	if len(args) == 0 {
		return false
	}
	r := slot(args)
	r.mu.Lock()
	r.args, r.kwargs, r.size = args, kwargs, size
	r.mu.Unlock()
	return true
}

// Take reports whether args and kwargs are a frozen payload given with
// Give and not taken yet, and returns the size given with it; the record is
// removed. It reads neither the arguments nor the map.
func Take(args []any, kwargs map[string]any) (size int, ok bool) {
	if len(args) == 0 {
		return 0, false
	}
	r := slot(args)
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.args) != len(args) || unsafe.SliceData(r.args) != unsafe.SliceData(args) ||
		mapPointer(r.kwargs) != mapPointer(kwargs) {
		return 0, false
	}
	r.args, r.kwargs = nil, nil
	taken.Add(1)
	return r.size, true
}

// mapPointer is a map's identity.
func mapPointer(m map[string]any) unsafe.Pointer {
	return *(*unsafe.Pointer)(unsafe.Pointer(&m))
}
