package codec

import "reflect"

// Twin returns a pointer to a copy of v, a struct or a non-nil pointer to
// one, that is exactly what DecodeArgs and DecodeResult (without options,
// or Strict) give for the payload EncodeFresh(v) builds, args=[object]; ok
// is false for any type where that could differ, and then Twin copies
// nothing.
//
// The copy shares no memory with v: every slice in it is its own. It is
// for the in-process link, which hands a frozen payload to its receiver
// as values: a receiver decoding into the same type may take the twin
// instead of decoding the map (see internal/payload).
//
// Twin takes only the plainest structs: sent as one object (a field with a
// position must have a name too), at most 64 fields, every field exported
// and written on every encode (no omitempty, omitzero, "-" or promoted
// field, none required), with no text method, and of a predeclared bool,
// string or number type other than float32, or an unnamed slice of one
// (not of bytes). For those the map holds each field's value as it is, and
// decoding it back gives the same value (reflect.DeepEqual; a decoded
// slice may have more capacity): a nil slice is null and decodes to nil,
// an empty one is [] and decodes to an empty slice.
func Twin(v any) (twin any, ok bool) {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil, false
		}
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		return nil, false
	}
	slices, ok := twinShape(rv.Type())
	if !ok {
		return nil, false
	}
	p := reflect.New(rv.Type())
	c := p.Elem()
	c.Set(rv) // every field is exported and encoded: the copy is the struct
	for _, i := range slices {
		if f := c.Field(i); !f.IsNil() {
			ownSlice(f)
		}
	}
	return p.Interface(), true
}

// ownSlice replaces the slice in f, an addressable unnamed slice of a
// predeclared type, by a copy of its own (reflect.MakeSlice would allocate
// the slice header as well).
func ownSlice(f reflect.Value) {
	switch p := f.Addr().Interface().(type) {
	case *[]string:
		clone(p)
	case *[]int:
		clone(p)
	case *[]int64:
		clone(p)
	case *[]float64:
		clone(p)
	case *[]bool:
		clone(p)
	case *[]int8:
		clone(p)
	case *[]int16:
		clone(p)
	case *[]int32:
		clone(p)
	case *[]uint:
		clone(p)
	case *[]uint16:
		clone(p)
	case *[]uint32:
		clone(p)
	case *[]uint64:
		clone(p)
	default:
		s := reflect.MakeSlice(f.Type(), f.Len(), f.Len())
		reflect.Copy(s, f)
		f.Set(s)
	}
}

// clone gives *p a copy of its elements, empty (not nil) when it is empty.
func clone[E any](p *[]E) {
	s := make([]E, len(*p))
	copy(s, *p)
	*p = s
}

// twinEntry is what twinShape found for a type.
type twinEntry struct {
	slices []int
	ok     bool
}

var twinShapes typeCache[twinEntry]

// twinShape reports whether Twin takes struct type t, and which of its
// fields are slices (to be copied).
func twinShape(t reflect.Type) ([]int, bool) {
	e := twinShapes.get(t, func(t reflect.Type) twinEntry {
		slices, ok := judgeTwin(t)
		return twinEntry{slices, ok}
	})
	return e.slices, e.ok
}

func judgeTwin(t reflect.Type) ([]int, bool) {
	p := objectPlan(t)
	if p == nil || p.err != nil || p.required || !p.always || p.sentPositionally() ||
		len(p.fields) != t.NumField() || len(p.fields) > maxDirectFields || textual(t) {
		return nil, false
	}
	var slices []int
	for _, f := range p.fields {
		if f.direct < 0 || !t.Field(f.direct).IsExported() {
			return nil, false
		}
		switch ft := f.typ; {
		case predeclared(ft):
		case ft.Kind() == reflect.Slice && ft.Name() == "" && predeclared(ft.Elem()) && ft.Elem().Kind() != reflect.Uint8:
			// (Bytes go into the payload as they are, which is then not
			// fresh, so never handed over.)
			slices = append(slices, f.direct)
		default:
			return nil, false
		}
	}
	return slices, true
}

// textual reports whether t or *t has a text method, which the encoder or
// the decoder may use in its place.
func textual(t reflect.Type) bool {
	pt := reflect.PointerTo(t)
	return t.Implements(textMarshalerType) || pt.Implements(textMarshalerType) ||
		t.Implements(textUnmarshalerType) || pt.Implements(textUnmarshalerType)
}

// predeclared reports whether t is the predeclared bool, string or number
// type of its kind (not a named type, which may bring its own methods).
// float32 is left out: the decoder reads it through a float64, which turns
// a signalling NaN into a quiet one.
func predeclared(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Bool, reflect.String,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float64:
		return t.PkgPath() == "" && t.Name() == t.Kind().String()
	}
	return false
}

// TwinDecodes reports whether a decode with opts gives what Twin's copy
// is: no option, or Strict only (a payload encoded from the type has no
// unknown fields or extra arguments to refuse).
func TwinDecodes(opts []Option) bool {
	for _, o := range opts {
		if _, strict := o.(strictOption); !strict {
			return false
		}
	}
	return true
}
