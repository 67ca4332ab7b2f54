package payload

import (
	"reflect"
	"sync"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/codec"
	"github.com/wampkit/wampkit/internal/kithook"
)

// Decoding into a local variable moves it to the heap (the decoder takes
// its address as an any), one allocation a call. Take and Release lend a
// slot from a pool of the type's own instead: decode into &Take[T]().V,
// then take the value with Release, which copies it out, zeroes V and gives
// the slot back. Nothing decoded stays reachable from the pool: the value
// is copied before V is zeroed.

var slotKinds sync.Map // reflect.Type -> *slotKind

// slotKind is what the typed packages need of a type T on every call: the
// pool of its slots and codec.Copies(T). Take looks it up once for the
// slot's whole use (3 sync.Map lookups a call before: Copies, and the pool
// for Scratch and again for Release).
type slotKind struct {
	pool   sync.Pool // of *Slot[T]
	copies bool
}

// Slot is a T from a pool, to decode into (&s.V), for one call.
type Slot[T any] struct {
	V    T
	kind *slotKind
}

// Take returns a slot whose V is a zero T.
func Take[T any]() *Slot[T] {
	t := reflect.TypeFor[T]()
	k, ok := slotKinds.Load(t)
	if !ok {
		nk := &slotKind{copies: codec.Copies(t)}
		nk.pool.New = func() any { return &Slot[T]{kind: nk} }
		k, _ = slotKinds.LoadOrStore(t, nk)
	}
	return k.(*slotKind).pool.Get().(*Slot[T])
}

// Release returns s.V and gives s back to its pool; s must not be used
// after.
func (s *Slot[T]) Release() T {
	v := s.V
	var zero T
	s.V = zero
	s.kind.pool.Put(s)
	return v
}

// ReadOnlyResult returns req marked as a call whose final result is only
// decoded into a T that copies everything it keeps (codec.Copies): a
// frozen result may then come over the in-process link without a copy.
func (s *Slot[T]) ReadOnlyResult(req client.CallRequest) client.CallRequest {
	if !s.kind.copies {
		return req
	}
	return kithook.ReadOnlyResult.(func(client.CallRequest) client.CallRequest)(req)
}

// InvocationPayload is the payload of inv for decoding into a T: as it
// arrived (possibly the caller's frozen values, read only) when T copies
// everything it keeps (codec.Copies), else the invocation's own copy.
func (s *Slot[T]) InvocationPayload(inv *client.Invocation) client.Payload {
	if !s.kind.copies {
		return inv.Payload()
	}
	return kithook.ReadPayload.(func(*client.Invocation) client.Payload)(inv)
}
