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
// The records live in a fixed table of [slots] entries. The address of the
// arguments picks two of them; a record goes into the first that is free,
// else it replaces the older record in the first (that older payload is
// then copied, as without this package). With one slot per address, 32
// calls in flight in process lost about 5% of their payloads to such
// replacements; with a choice of two, next to none. A
// record keeps its payload alive until it is taken or replaced: a payload
// that never reaches a receiver here (a call the router refuses or sends to
// a callee over the network, an answer to a canceled call) is held until a
// later one takes its slot. So the table holds at most slots payloads of
// at most [MaxBytes] encoded each (1 MiB encoded, a few MiB of heap), for
// as long as the process gives payloads; the twins' table (twin.go) as
// many again. Holding them weakly (package
// weak) would hold nothing, and was measured 10-15% slower for an
// in-process call (a weak handle per payload given and taken).
package handover

import (
	"sync"
	"sync/atomic"
	"unsafe"
)

// slots is the number of records, 1<<slotBits.
const (
	slotBits = 8
	slots    = 1 << slotBits
)

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

// slots2 are the two table entries an arguments array may use: two
// fields of one multiplicative hash of its address.
func slots2(args []any) (*record, *record) {
	h := addrHash(args)
	return &table[h>>(64-slotBits)], &table[(h>>(64-2*slotBits))&(slots-1)]
}

// addrHash is a multiplicative hash of the address of args's array; its
// top bits pick a slot.
func addrHash(args []any) uint64 {
	return uint64(uintptr(unsafe.Pointer(unsafe.SliceData(args)))>>4) * 0x9e3779b97f4a7c15
}

// same reports whether a and b are the same arguments: the same array, of
// the same length.
func same(a, b []any) bool {
	return len(a) == len(b) && unsafe.SliceData(a) == unsafe.SliceData(b)
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
	first, second := slots2(args)
	if second != first {
		// The same payload given again (a call retried after the router
		// refused it) keeps one record, so that it is taken only once.
		second.drop(args)
	}
	if !first.put(args, kwargs, size, false) && !second.put(args, kwargs, size, false) {
		first.put(args, kwargs, size, true)
	}
	return true
}

// put records a payload in r if r is free or holds the same arguments, or
// replace is true, and reports whether it did.
func (r *record) put(args []any, kwargs map[string]any, size int, replace bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.args != nil && !replace && unsafe.SliceData(r.args) != unsafe.SliceData(args) {
		return false
	}
	r.args, r.kwargs, r.size = args, kwargs, size
	return true
}

// drop removes r's record if it holds args.
func (r *record) drop(args []any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.args != nil && unsafe.SliceData(r.args) == unsafe.SliceData(args) {
		r.args, r.kwargs = nil, nil
	}
}

// Take reports whether args and kwargs are a frozen payload given with
// Give and not taken yet, and returns the size given with it; the record is
// removed, and a twin recorded for args becomes takeable (see twin.go). It
// reads neither the arguments nor the map.
func Take(args []any, kwargs map[string]any) (size int, ok bool) {
	if len(args) == 0 {
		return 0, false
	}
	first, second := slots2(args)
	if size, ok = first.take(args, kwargs); !ok && second != first {
		size, ok = second.take(args, kwargs)
	}
	if ok {
		taken.Add(1)
		handed(args)
	}
	return size, ok
}

// take removes the record of args and kwargs from r, if r holds it.
func (r *record) take(args []any, kwargs map[string]any) (size int, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !same(r.args, args) || mapPointer(r.kwargs) != mapPointer(kwargs) {
		return 0, false
	}
	r.args, r.kwargs = nil, nil
	return r.size, true
}

// mapPointer is a map's identity.
func mapPointer(m map[string]any) unsafe.Pointer {
	return *(*unsafe.Pointer)(unsafe.Pointer(&m))
}
