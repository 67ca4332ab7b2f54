package codec

import (
	"reflect"
)

// The direct decoder reads a received payload straight from its
// serialization (a Source) into the typed target, with no map or list in
// between. It decodes what DecodeResult and DecodeArgs decode when the
// payload is args=[object] and the target a struct, and it may decline
// anything (DecodeDirect's false): the caller then zeroes the target and
// takes the map path, which stays the reference and says what is wrong.
// It declines what it would have to judge: a key that is not a field's
// exact wire name (case-insensitive matches, unknown keys), a required
// field, a value that does not convert (out of range, a fraction, a
// mismatched kind), a repeated key. Types it does not walk itself (time.Time, text and
// binary types, interfaces, arrays, maps with non-string keys) take the
// value as the serialization's decoder gives it, through the map path's
// decoder of their type.

// preallocMax bounds the room made for a list's or a map's elements from
// the length its head claims (wire's fast path has the same bound).
const preallocMax = 1024

// DecodeDirect decodes the object src holds into dst, a non-nil pointer to
// a struct (or to pointers to one) that is decoded from an object, as
// DecodeResult(args=[object]) and DecodeArgs do without options. It
// reports false, having written an unspecified part of dst, when it
// declines; the caller then zeroes *dst and decodes by the map path.
func DecodeDirect(src Source, dst any) bool {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return false
	}
	rv = rv.Elem()
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			rv.Set(reflect.New(rv.Type().Elem()))
		}
		rv = rv.Elem()
	}
	p := objectPlan(rv.Type())
	if p == nil || len(p.positional) > 0 || p.err != nil || p.required || src.Next() != KindDict {
		return false
	}
	d := directDecoder{src: src}
	return d.object(p, rv) && src.Done()
}

// DirectTarget reports whether DecodeDirect may take dst, by its type.
func DirectTarget(dst any) bool {
	t := reflect.TypeOf(dst)
	if t == nil || t.Kind() != reflect.Pointer {
		return false
	}
	for t = t.Elem(); t.Kind() == reflect.Pointer; t = t.Elem() {
	}
	p := objectPlan(t)
	return p != nil && len(p.positional) == 0 && p.err == nil && !p.required
}

type directDecoder struct {
	src   Source
	depth int
}

// directDecFunc decodes the next value of the source into v, of the type
// it was made for; false declines.
type directDecFunc func(d *directDecoder, v reflect.Value) bool

var directDecCache typeCache[directDecFunc]

func directDecFor(t reflect.Type) directDecFunc { return directDecCache.get(t, newDirectDec) }

// value decodes into v one level deeper.
func (d *directDecoder) value(f directDecFunc, v reflect.Value) bool {
	if d.depth++; d.depth > directDepth {
		return false
	}
	ok := f(d, v)
	d.depth--
	return ok
}

func newDirectDec(t reflect.Type) directDecFunc {
	if t == timeType || t.Kind() == reflect.Interface ||
		(t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(textUnmarshalerType)) {
		return directDecPlain(t)
	}
	switch t.Kind() {
	case reflect.Bool:
		return func(d *directDecoder, v reflect.Value) bool {
			switch d.src.Next() {
			case KindBool:
				v.SetBool(d.src.Bool())
			case KindNil:
				d.src.Nil()
				v.SetBool(false)
			default:
				return false
			}
			return true
		}
	case reflect.String:
		plain := directDecPlain(t) // binary, which decodeString takes too
		return func(d *directDecoder, v reflect.Value) bool {
			switch d.src.Next() {
			case KindString:
				v.SetString(d.src.String())
			case KindNil:
				d.src.Nil()
				v.SetString("")
			default:
				return plain(d, v)
			}
			return true
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		bits := t.Bits()
		return func(d *directDecoder, v reflect.Value) bool {
			n, ok := d.number()
			if !ok {
				return false
			}
			x, msg := n.toInt(bits)
			v.SetInt(x)
			return msg == ""
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		bits := t.Bits()
		return func(d *directDecoder, v reflect.Value) bool {
			n, ok := d.number()
			if !ok {
				return false
			}
			x, msg := n.toUint(bits)
			v.SetUint(x)
			return msg == ""
		}
	case reflect.Float32, reflect.Float64:
		bits := t.Bits()
		return func(d *directDecoder, v reflect.Value) bool {
			n, ok := d.number()
			if !ok {
				return false
			}
			x, msg := n.toFloat(bits)
			v.SetFloat(x)
			return msg == ""
		}
	case reflect.Pointer:
		var elem lazy[directDecFunc]
		return func(d *directDecoder, v reflect.Value) bool {
			if null, _ := d.nullOr(KindOther, v); null {
				return true
			}
			if v.IsNil() {
				v.Set(reflect.New(t.Elem()))
			}
			return d.value(elem.get(t.Elem(), directDecFor), v.Elem())
		}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return directDecPlain(t) // binary
		}
		var elem lazy[directDecFunc]
		return func(d *directDecoder, v reflect.Value) bool {
			if null, ok := d.nullOr(KindList, v); null || !ok {
				return ok
			}
			f := elem.get(t.Elem(), directDecFor)
			n := d.src.List()
			v.SetZero()
			if n > 0 {
				v.Grow(min(n, preallocMax)) // a claimed length is grown into, not trusted
			}
			i := 0
			for ; d.src.More(i, n); i++ {
				if v.Len() == v.Cap() {
					v.Grow(1)
				}
				v.SetLen(i + 1)
				e := v.Index(i)
				e.SetZero()
				if !d.value(f, e) {
					return false
				}
			}
			if i == 0 {
				v.Set(reflect.MakeSlice(t, 0, 0)) // empty, not nil
			}
			return true
		}
	case reflect.Map:
		kt := t.Key()
		if kt.Kind() != reflect.String || reflect.PointerTo(kt).Implements(textUnmarshalerType) {
			return directDecPlain(t)
		}
		var elem lazy[directDecFunc]
		return func(d *directDecoder, v reflect.Value) bool {
			if null, ok := d.nullOr(KindDict, v); null || !ok {
				return ok
			}
			f := elem.get(t.Elem(), directDecFor)
			n := d.src.Dict()
			out := reflect.MakeMapWithSize(t, min(max(n, 0), preallocMax))
			kv, ev := reflect.New(kt).Elem(), reflect.New(t.Elem()).Elem()
			for i := 0; d.src.More(i, n); i++ {
				k, ok := d.src.Key()
				if !ok {
					return false
				}
				kv.SetString(string(k))
				ev.SetZero()
				if !d.value(f, ev) {
					return false
				}
				if out.SetMapIndex(kv, ev); out.Len() == i {
					return false // a repeated key, which the serializer's decoder leaves to nexus
				}
			}
			v.Set(out)
			return true
		}
	case reflect.Struct:
		p := planFor(t)
		if len(p.positional) > 0 {
			return directDecPlain(t) // a list, or an object: the map path tells
		}
		return func(d *directDecoder, v reflect.Value) bool {
			if p.err != nil || p.required { // structDecoder reports a bad plan first
				return false
			}
			if null, ok := d.nullOr(KindDict, v); null || !ok {
				return ok
			}
			return d.object(p, v)
		}
	}
	return directDecPlain(t)
}

// nullOr reads a null into v (its zero value: null is true), or reports
// whether the next value is of kind k (ok).
func (d *directDecoder) nullOr(k Kind, v reflect.Value) (null, ok bool) {
	switch d.src.Next() {
	case KindNil:
		d.src.Nil()
		v.SetZero()
		return true, true
	case k:
		return false, true
	}
	return false, false
}

// number reads a number, or a null as zero, as asNumber sees what the
// serializer's decoder gives.
func (d *directDecoder) number() (number, bool) {
	switch d.src.Next() {
	case KindInt:
		return number{kind: signedNum, i: d.src.Int()}, true
	case KindUint:
		return number{kind: unsignedNum, u: d.src.Uint()}, true
	case KindFloat:
		return number{kind: floatNum, f: d.src.Float()}, true
	case KindNil:
		d.src.Nil()
		return number{kind: signedNum}, true
	}
	return number{}, false
}

// directDecPlain decodes the value as the serializer's decoder gives it,
// through the map path's decoder of t.
func directDecPlain(t reflect.Type) directDecFunc {
	var dec lazy[decoder]
	return func(d *directDecoder, v reflect.Value) bool {
		x, ok := d.src.Value()
		return ok && dec.get(t, decoderFor)(looseState, x, v) == nil
	}
}

// object decodes the entries of a dictionary into the fields of struct v
// of plan p (structDecoder's work for an object: v is zeroed first), each
// key a field's exact wire name.
func (d *directDecoder) object(p *structPlan, v reflect.Value) bool {
	if len(p.fields) > maxDirectFields {
		return false
	}
	n := d.src.Dict()
	v.SetZero()
	var seen uint64
	for i := 0; d.src.More(i, n); i++ {
		k, ok := d.src.Key()
		if !ok {
			return false
		}
		f := p.byName[string(k)]
		if f == nil || seen&(1<<f.ord) != 0 {
			return false // not a wire name; a repeated key, which the serializer's decoder leaves to nexus
		}
		seen |= 1 << f.ord
		var fv reflect.Value
		if f.direct >= 0 {
			fv = v.Field(f.direct)
		} else {
			fv = fieldValue(v, f, true)
		}
		if !d.value(f.in.get(f.typ, directDecFor), fv) {
			return false
		}
	}
	return true
}
