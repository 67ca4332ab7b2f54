package codec

import (
	"math"
	"reflect"
)

// The direct path writes a typed payload straight into a serialization
// (a Sink, which package wire provides for each one), with no map or list
// in between. It gives what Encode followed by the serializer gives,
// except for the order of map entries (a map's is random; the direct
// path writes a struct's fields in declaration order), and it may decline
// any value (EncodeDirect's false): the caller then takes the map path,
// which stays the reference and says what is wrong with a value it
// cannot send. It declines what it would have to judge: a positional
// struct, a non-finite float (the client refuses them under JSON), a
// value nested deeper than directDepth, a type the map path refuses.

// Sink writes values of one serialization. Lists and dictionaries are
// written as a head with their length, their elements each announced by
// Elem or Key with its index, and End.
type Sink interface {
	Nil()
	Bool(b bool)
	Int(i int64)
	Uint(u uint64)
	Float(f float64, bits int) // bits 32: a float32, written as one
	String(s string)
	List(n int)
	Dict(n int)
	Elem(i int)
	Key(i int, k string)
	End(dict bool)
	// Value writes a plain value (what EncodeValue gives); false when the
	// serialization's fast path does not take it.
	Value(x any) bool
}

// directDepth bounds nesting on the direct path, well inside what the
// client's walk allows (outgoing.MaxDepth): deeper values take the map
// path, which reports them.
const directDepth = 64

// EncodeDirect writes to s the object of v when Encode(v) gives args=[object]
// and no kwargs: v is a struct, or a non-nil pointer to one, that is not
// sent positionally. It reports false, having
// written an unspecified part of it, for any other v, and for a value it
// declines (see above); the caller then discards what s holds.
func EncodeDirect(s Sink, v any) bool {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return false
		}
		rv = rv.Elem()
	}
	if !directObject(rv.Type()) {
		return false
	}
	p := objectPlan(rv.Type())
	d := directState{sink: s}
	return d.fields(p, rv)
}

// DirectCandidate reports whether EncodeDirect may take v: a struct, or a
// pointer to one, sent as one object. Its answer is from v's type only.
func DirectCandidate(v any) bool {
	t := reflect.TypeOf(v)
	if t == nil {
		return false
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return directObject(t)
}

// directObject reports a struct type the map path sends as an object:
// not positional, not a value with a text of its own (which newEncoder
// checks on the pointer too).
func directObject(t reflect.Type) bool {
	p := objectPlan(t) // nil for anything but a struct sent as an object
	return p != nil && !p.sentPositionally() && p.err == nil && !reflect.PointerTo(t).Implements(textMarshalerType)
}

type directState struct {
	sink  Sink
	depth int
}

// directFunc writes v, of the type it was made for; false declines it.
type directFunc func(d *directState, v reflect.Value) bool

var directCache typeCache[directFunc]

// directFor returns t's directFunc. (The funcs look up the funcs of the
// types they hold on first use, so that a recursive type is made once.)
func directFor(t reflect.Type) directFunc { return directCache.get(t, newDirect) }

// value writes v one level deeper.
func (d *directState) value(f directFunc, v reflect.Value) bool {
	if d.depth++; d.depth > directDepth {
		return false
	}
	ok := f(d, v)
	d.depth--
	return ok
}

func newDirect(t reflect.Type) directFunc {
	if t == timeType || (t.Kind() != reflect.Pointer && t.Kind() != reflect.Interface &&
		(t.Implements(textMarshalerType) || reflect.PointerTo(t).Implements(textMarshalerType))) {
		return directPlain(t) // their text, as the map path makes it (newEncoder)
	}
	switch t.Kind() {
	case reflect.Bool:
		return func(d *directState, v reflect.Value) bool { d.sink.Bool(v.Bool()); return true }
	case reflect.String:
		return func(d *directState, v reflect.Value) bool { d.sink.String(v.String()); return true }
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return func(d *directState, v reflect.Value) bool { d.sink.Int(v.Int()); return true }
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return func(d *directState, v reflect.Value) bool { d.sink.Uint(v.Uint()); return true }
	case reflect.Float32, reflect.Float64:
		// The map path passes a float32 on as one, and makes a named
		// float32 type a float64 (encodeFloat).
		bits := 64
		if t.Kind() == reflect.Float32 && t.PkgPath() == "" {
			bits = 32
		}
		return func(d *directState, v reflect.Value) bool {
			f := v.Float()
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return false
			}
			d.sink.Float(f, bits)
			return true
		}
	case reflect.Pointer:
		var elem lazy[directFunc]
		return func(d *directState, v reflect.Value) bool {
			if v.IsNil() {
				d.sink.Nil()
				return true
			}
			return d.value(elem.get(t.Elem(), directFor), v.Elem())
		}
	case reflect.Interface:
		return func(d *directState, v reflect.Value) bool {
			if v.IsNil() {
				d.sink.Nil()
				return true
			}
			e := v.Elem()
			return d.value(directFor(e.Type()), e)
		}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return directPlain(t) // binary
		}
		var elem lazy[directFunc]
		return func(d *directState, v reflect.Value) bool {
			if t.Kind() == reflect.Slice && v.IsNil() {
				d.sink.Nil()
				return true
			}
			f := elem.get(t.Elem(), directFor)
			n := v.Len()
			d.sink.List(n)
			for i := range n {
				d.sink.Elem(i)
				if !d.value(f, v.Index(i)) {
					return false
				}
			}
			d.sink.End(false)
			return true
		}
	case reflect.Map:
		kt := t.Key()
		if kt.Kind() != reflect.String || kt.Implements(textMarshalerType) {
			return directPlain(t) // keys as text, as the map path writes them
		}
		var elem lazy[directFunc]
		return func(d *directState, v reflect.Value) bool {
			if v.IsNil() {
				d.sink.Nil()
				return true
			}
			f := elem.get(t.Elem(), directFor)
			d.sink.Dict(v.Len())
			i := 0
			for it := v.MapRange(); it.Next(); i++ {
				d.sink.Key(i, it.Key().String())
				if !d.value(f, it.Value()) {
					return false
				}
			}
			d.sink.End(true)
			return true
		}
	case reflect.Struct:
		p := planFor(t)
		return func(d *directState, v reflect.Value) bool { return p.err == nil && d.fields(p, v) }
	}
	return func(*directState, reflect.Value) bool { return false } // the map path says why
}

// directPlain writes what the map path's encoder makes of a value of t.
func directPlain(t reflect.Type) directFunc {
	return func(d *directState, v reflect.Value) bool {
		e := getEncodeState()
		x, err := e.encodeWith(encoderFor(t), v)
		putEncodeState(e)
		return err == nil && finite(x, 0) && d.sink.Value(x)
	}
}

// finite reports whether plain value x holds no NaN and no infinity (the
// client refuses them under JSON, where the map path's walk finds them).
func finite(x any, depth int) bool {
	switch y := x.(type) {
	case float64:
		return !math.IsNaN(y) && !math.IsInf(y, 0)
	case float32:
		return finite(float64(y), depth)
	case []any:
		if depth > directDepth {
			return false
		}
		for _, e := range y {
			if !finite(e, depth+1) {
				return false
			}
		}
	case map[string]any:
		if depth > directDepth {
			return false
		}
		for _, e := range y {
			if !finite(e, depth+1) {
				return false
			}
		}
	}
	return true
}

// maxDirectFields bounds the fields of a struct the direct path writes:
// which are present is judged once (an IsZero method could answer
// differently twice) and kept in a word.
const maxDirectFields = 64

// fields writes the object of struct v of plan p, as encodeFields builds
// it: the fields that are present, by wire name.
func (d *directState) fields(p *structPlan, v reflect.Value) bool {
	if len(p.fields) > maxDirectFields {
		return false
	}
	there, n := ^uint64(0), len(p.fields) // all of them, when none can be left out
	if !p.always {
		there, n = 0, 0
		for i, f := range p.fields {
			if _, ok := present(f, v); ok {
				there |= 1 << i
				n++
			}
		}
	}
	d.sink.Dict(n)
	i := 0
	for j, f := range p.fields {
		if there&(1<<j) == 0 {
			continue
		}
		fv, _ := reach(f, v)
		d.sink.Key(i, f.name)
		i++
		if !d.value(f.out.get(f.typ, directFor), fv) {
			return false
		}
	}
	d.sink.End(true)
	return true
}

// present returns field f of v, and whether it is written (encodeFields'
// tests: reachable, and not omitted as empty or zero).
func present(f *field, v reflect.Value) (reflect.Value, bool) {
	fv, ok := reach(f, v)
	if !ok || (f.omitEmpty && isEmpty(fv)) || (f.omitZero && isZero(fv)) {
		return fv, false
	}
	return fv, true
}

// reach returns field f of v, and false when a nil embedded pointer is
// in the way.
func reach(f *field, v reflect.Value) (reflect.Value, bool) {
	if f.direct >= 0 {
		return v.Field(f.direct), true
	}
	fv := fieldValue(v, f, false)
	return fv, fv.IsValid()
}
