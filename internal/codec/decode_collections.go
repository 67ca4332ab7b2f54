package codec

import (
	"encoding"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// listOf returns the elements of a received list: []any as is, any other
// slice or array (built in Go, not by a serializer) through reflection.
func listOf(in any) ([]any, bool) {
	if l, ok := in.([]any); ok {
		return l, true
	}
	rv := reflect.ValueOf(in)
	if k := rv.Kind(); k != reflect.Slice && k != reflect.Array {
		return nil, false
	}
	l := make([]any, rv.Len())
	for i := range l {
		l[i] = rv.Index(i).Interface()
	}
	return l, true
}

func sliceDecoder(t reflect.Type) decoder {
	general := listDecoder(t)
	switch t {
	case reflect.TypeFor[[]string]():
		return fastList(general, decoderFor(t.Elem()), func(x any) (string, bool) {
			s, ok := x.(string)
			return s, ok
		})
	case reflect.TypeFor[[]int]():
		return fastList(general, decoderFor(t.Elem()), func(x any) (int, bool) {
			i, ok := asInt(x, strconv.IntSize)
			return int(i), ok
		})
	case reflect.TypeFor[[]int64]():
		return fastList(general, decoderFor(t.Elem()), func(x any) (int64, bool) { return asInt(x, 64) })
	case reflect.TypeFor[[]float64]():
		return fastList(general, decoderFor(t.Elem()), func(x any) (float64, bool) { return asFloat(x, 64) })
	case reflect.TypeFor[[]any]():
		return fastList(general, decoderFor(t.Elem()), func(x any) (any, bool) {
			n, _ := normalise(x) // decodeAny: null stays nil
			return n, true
		})
	}
	return general
}

// asInt is intDecoder(bits) for a number that fits; false for anything
// else.
func asInt(x any, bits int) (int64, bool) {
	n := asNumber(x)
	if n.kind == notNumber {
		return 0, false
	}
	i, msg := n.toInt(bits)
	return i, msg == ""
}

// asUint is uintDecoder(bits) for a number that fits; false for anything
// else.
func asUint(x any, bits int) (uint64, bool) {
	n := asNumber(x)
	if n.kind == notNumber {
		return 0, false
	}
	u, msg := n.toUint(bits)
	return u, msg == ""
}

// asFloat is floatDecoder(bits) for a number that fits; false for anything
// else.
func asFloat(x any, bits int) (float64, bool) {
	n := asNumber(x)
	if n.kind == notNumber {
		return 0, false
	}
	f, msg := n.toFloat(bits)
	return f, msg == ""
}

// fastList decodes a received []any into a []E without reflection per
// element: conv takes the common element (a string for []string) and
// reports false for any other, which elemDec then decodes as the general
// decoder would (null, other types, errors). Any other input, or a target
// whose type is not []E, goes to general. Measured on a 2-string list:
// 84 ns against 120 for reflect.Value.Grow and 170 for reflect.MakeSlice,
// which allocates the slice header too.
func fastList[E any](general, elemDec decoder, conv func(any) (E, bool)) decoder {
	return func(d *decodeState, in any, v reflect.Value) *DecodeError {
		list, ok := in.([]any)
		if !ok || !v.CanAddr() {
			return general(d, in, v)
		}
		p, ok := v.Addr().Interface().(*[]E)
		if !ok {
			return general(d, in, v)
		}
		out := make([]E, len(list)) // an empty list gives an empty slice, not nil
		*p = out
		for i, x := range list {
			if e, ok := conv(x); ok {
				out[i] = e
				continue
			}
			if err := elemDec(d, x, reflect.ValueOf(&out[i]).Elem()); err != nil {
				return err.atIndex(i)
			}
		}
		return nil
	}
}

// listDecoder is the general slice decoder, for any element type.
func listDecoder(t reflect.Type) decoder {
	elemDec := decoderFor(t.Elem())
	return func(d *decodeState, in any, v reflect.Value) *DecodeError {
		if in == nil {
			v.SetZero()
			return nil
		}
		list, ok := listOf(in)
		if !ok {
			return mismatch(t.String(), in)
		}
		// A fresh slice, grown in place: MakeSlice would allocate its
		// header as well as the array.
		if len(list) == 0 {
			v.Set(reflect.MakeSlice(t, 0, 0)) // empty, not nil
			return nil
		}
		v.SetZero()
		v.Grow(len(list))
		v.SetLen(len(list))
		for i, x := range list {
			if e := elemDec(d, x, v.Index(i)); e != nil {
				return e.atIndex(i)
			}
		}
		return nil
	}
}

// arrayDecoder fills an array; missing elements are zero, extra elements an
// error (they would be lost).
func arrayDecoder(t reflect.Type) decoder {
	elemDec := decoderFor(t.Elem())
	return func(d *decodeState, in any, v reflect.Value) *DecodeError {
		v.SetZero()
		if in == nil {
			return nil
		}
		list, ok := listOf(in)
		if !ok {
			return mismatch(t.String(), in)
		}
		if len(list) > t.Len() {
			return &DecodeError{Want: t.String(), Got: in, Msg: "too many elements"}
		}
		for i, x := range list {
			if e := elemDec(d, x, v.Index(i)); e != nil {
				return e.atIndex(i)
			}
		}
		return nil
	}
}

// entry is one key/value pair of a received map.
type entry struct {
	key any
	val any
}

// entriesOf lists the pairs of a received map, whatever its Go map type
// (map[string]any from nexus, map[any]any from other MsgPack decoders).
func entriesOf(in any) ([]entry, bool) {
	switch m := in.(type) {
	case map[string]any:
		out := make([]entry, 0, len(m))
		for k, v := range m {
			out = append(out, entry{k, v})
		}
		return out, true
	case map[any]any:
		out := make([]entry, 0, len(m))
		for k, v := range m {
			out = append(out, entry{k, v})
		}
		return out, true
	}
	rv := reflect.ValueOf(in)
	if rv.Kind() != reflect.Map {
		return nil, false
	}
	out := make([]entry, 0, rv.Len())
	for it := rv.MapRange(); it.Next(); {
		out = append(out, entry{it.Key().Interface(), it.Value().Interface()})
	}
	return out, true
}

// mapDecoder decodes an object into a map whose key is a string, an integer
// (from its decimal text or a number key) or an encoding.TextUnmarshaler.
func mapDecoder(t reflect.Type) decoder {
	keyDec := mapKeyDecoder(t.Key())
	elemDec := decoderFor(t.Elem())
	return func(d *decodeState, in any, v reflect.Value) *DecodeError {
		if in == nil {
			v.SetZero()
			return nil
		}
		entries, ok := entriesOf(in)
		if !ok {
			return mismatch(t.String(), in)
		}
		if keyDec == nil {
			return &DecodeError{Want: t.String(), Got: in, Msg: "unsupported map key type"}
		}
		out := reflect.MakeMapWithSize(t, len(entries))
		kv, ev := reflect.New(t.Key()).Elem(), reflect.New(t.Elem()).Elem()
		for _, en := range entries {
			ks := keyString(en.key)
			kv.SetZero()
			if e := keyDec(d, en.key, kv); e != nil {
				e.Msg = strings.TrimPrefix(e.Msg+"; ", "; ") + "bad map key"
				return e.at(ks)
			}
			ev.SetZero()
			if e := elemDec(d, en.val, ev); e != nil {
				return e.at(ks)
			}
			out.SetMapIndex(kv, ev)
		}
		v.Set(out)
		return nil
	}
}

// mapKeyDecoder returns nil for key types that cannot come from the wire.
func mapKeyDecoder(kt reflect.Type) decoder {
	if reflect.PointerTo(kt).Implements(textUnmarshalerType) {
		return func(_ *decodeState, in any, v reflect.Value) *DecodeError {
			u := v.Addr().Interface().(encoding.TextUnmarshaler)
			if err := u.UnmarshalText([]byte(keyString(in))); err != nil {
				return &DecodeError{Want: kt.String(), Got: in, Err: err}
			}
			return nil
		}
	}
	switch kt.Kind() {
	case reflect.String:
		return func(_ *decodeState, in any, v reflect.Value) *DecodeError {
			v.SetString(keyString(in))
			return nil
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		num := decoderFor(kt)
		return func(d *decodeState, in any, v reflect.Value) *DecodeError {
			if s, ok := in.(string); ok {
				n, err := strconv.ParseInt(s, 10, 64)
				if err != nil {
					u, uerr := strconv.ParseUint(s, 10, 64)
					if uerr != nil {
						return &DecodeError{Want: kt.String(), Got: in, Err: err}
					}
					return num(d, u, v)
				}
				return num(d, n, v)
			}
			return num(d, in, v)
		}
	}
	return nil
}

// keyString renders a received map key as the string it stands for.
func keyString(k any) string {
	switch x := k.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	case nil:
		return "null"
	}
	return fmt.Sprint(k)
}

// asObject returns a received map as map[string]any without copying when it
// already is one (also for named types such as wamp.Dict).
func asObject(in any) (map[string]any, bool) {
	if m, ok := in.(map[string]any); ok {
		return m, true
	}
	rv := reflect.ValueOf(in)
	if rv.Kind() != reflect.Map {
		return nil, false
	}
	if rv.Type().ConvertibleTo(mapStringAnyType) {
		return rv.Convert(mapStringAnyType).Interface().(map[string]any), true
	}
	entries, _ := entriesOf(in)
	out := make(map[string]any, len(entries))
	for _, en := range entries {
		out[keyString(en.key)] = en.val
	}
	return out, true
}

var mapStringAnyType = reflect.TypeFor[map[string]any]()

// normalise makes a received value uniform for an `any` target: map[any]any
// (and other maps) become map[string]any, recursively; numbers and other
// leaves are kept. Unchanged subtrees are shared with the input, not copied.
func normalise(in any) (any, bool) {
	switch x := in.(type) {
	case map[string]any:
		var out map[string]any
		for k, v := range x {
			if nv, changed := normalise(v); changed {
				if out == nil {
					out = make(map[string]any, len(x))
					for k2, v2 := range x {
						out[k2] = v2
					}
				}
				out[k] = nv
			}
		}
		if out == nil {
			return x, false
		}
		return out, true
	case []any:
		var out []any
		for i, v := range x {
			if nv, changed := normalise(v); changed {
				if out == nil {
					out = slices.Clone(x)
				}
				out[i] = nv
			}
		}
		if out == nil {
			return x, false
		}
		return out, true
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, v := range x {
			out[keyString(k)], _ = normalise(v)
		}
		return out, true
	}
	return in, false
}
