package payload

import (
	"reflect"
	"sync"
)

// Decoding into a local variable moves it to the heap (the decoder takes
// its address as an any), one allocation a call. Scratch and Release lend
// a pointer from a pool of the type's own instead: decode into *Scratch[T](),
// then take the value with Release, which copies it out, zeroes the
// pointee and gives the pointer back. Nothing decoded stays reachable from
// the pool: the value is copied before the pointee is zeroed.

var scratchPools sync.Map // reflect.Type -> *sync.Pool of *T

func scratchPool[T any]() *sync.Pool {
	t := reflect.TypeFor[T]()
	if p, ok := scratchPools.Load(t); ok {
		return p.(*sync.Pool)
	}
	p, _ := scratchPools.LoadOrStore(t, &sync.Pool{New: func() any { return new(T) }})
	return p.(*sync.Pool)
}

// Scratch returns a pointer to a zero T, to decode into, for Release.
func Scratch[T any]() *T { return scratchPool[T]().Get().(*T) }

// Release returns what p points to and gives p back to its pool; p must
// come from Scratch and not be used after.
func Release[T any](p *T) T {
	v := *p
	var zero T
	*p = zero
	scratchPool[T]().Put(p)
	return v
}
