package codec

import (
	"reflect"
	"sync"
)

// Copies reports whether decoding into a t never shares memory with the
// input: every list, map and byte slice of the result is made by the
// decoder, so the input may be read-only values of someone else's. It is
// false when t holds an interface (an `any` target receives the value as
// decoded, sharing it) or a kind the decoder does not take.
func Copies(t reflect.Type) bool {
	if c, ok := copiesCache.Load(t); ok {
		return c.(bool)
	}
	c := copies(t, map[reflect.Type]bool{})
	copiesCache.Store(t, c)
	return c
}

var copiesCache sync.Map // reflect.Type -> bool

// copies is Copies; seen holds the types being looked at (a recursive type
// is judged by its other parts).
func copies(t reflect.Type, seen map[reflect.Type]bool) bool {
	if t == timeType {
		return true
	}
	if seen[t] {
		return true
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Bool, reflect.String,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		return true // text unmarshalers among them get bytes of their own
	case reflect.Pointer:
		return copies(t.Elem(), seen)
	case reflect.Slice, reflect.Array:
		return t.Elem().Kind() == reflect.Uint8 || copies(t.Elem(), seen) // bytes are copied
	case reflect.Map:
		return copies(t.Key(), seen) && copies(t.Elem(), seen)
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			if (f.IsExported() || f.Anonymous) && !copies(f.Type, seen) {
				return false
			}
		}
		return true
	}
	return false // interfaces share; other kinds are not decoded
}
