package wire

import (
	"encoding/base64"
	"reflect"

	"github.com/gammazero/nexus/v3/wamp"
)

// What the WAMP spec asks of every message on the wire, and nexus's
// serializers do not do by themselves:
//
//   - a dictionary element (Details, Options, Extra) is a dictionary, never
//     null: a nil one goes as {};
//   - Arguments is a list: kwargs without args go as [] then {kwargs}, never
//     null then {kwargs};
//   - binary (a []byte) under JSON is a string: "\u0000" then the standard
//     base64 of the bytes, and such a string decodes back to []byte (MsgPack
//     bin and CBOR byte strings are binary by themselves).
//
// The fast paths do this as they write and read; the fallback (nexus's
// serializers) gets a spec-shaped copy of the message (specShaped) and the
// JSON binary strings are turned back into []byte after decoding
// (decodeJSONBinaries).

// emptyDict and emptyList stand in for a nil dictionary or list element;
// nothing writes to them.
var (
	emptyDict = map[string]any{}
	emptyList = []any{}
)

// jsonBinary reports whether s is a binary value in the JSON convention, and
// returns its bytes. A string that starts with NUL but is not base64 stays a
// string. Standard base64 with or without padding is accepted.
func jsonBinary(s string) ([]byte, bool) {
	if len(s) == 0 || s[0] != 0 {
		return nil, false
	}
	b, err := base64.StdEncoding.DecodeString(s[1:])
	if err != nil {
		if b, err = base64.RawStdEncoding.DecodeString(s[1:]); err != nil {
			return nil, false
		}
	}
	return b, true
}

// appendJSONBinary appends the JSON string for binary p: "\u0000" and its
// base64.
func appendJSONBinary(b []byte, p []byte) []byte {
	b = append(b, `"\u0000`...)
	b = base64.StdEncoding.AppendEncode(b, p)
	return append(b, '"')
}

var (
	dictType  = reflect.TypeFor[wamp.Dict]()
	listType  = reflect.TypeFor[wamp.List]()
	bytesType = reflect.TypeFor[[]byte]()
)

// specShaped returns msg, or a copy of it when something has to change, with
// every nil dictionary element an empty dictionary, every nil list element
// an empty list (nexus leaves out the trailing empty ones), and, when
// jsonBinaries is set, every []byte in the message's values replaced by its
// JSON binary string. msg itself is never modified.
func specShaped(msg wamp.Message, jsonBinaries bool) wamp.Message {
	v := reflect.ValueOf(msg)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return msg
	}
	v = v.Elem()
	var out reflect.Value // the copy, made at the first change
	set := func(i int, x reflect.Value) {
		if !out.IsValid() {
			out = reflect.New(v.Type())
			out.Elem().Set(v)
		}
		out.Elem().Field(i).Set(x)
	}
	for i := range v.NumField() {
		f := v.Field(i)
		if !f.CanInterface() {
			continue
		}
		switch f.Type() {
		case dictType:
			d := f.Interface().(wamp.Dict)
			if d == nil {
				set(i, reflect.ValueOf(wamp.Dict{}))
			} else if jsonBinaries {
				if x, changed := binariesToJSON(map[string]any(d), 0); changed {
					set(i, reflect.ValueOf(wamp.Dict(x.(map[string]any))))
				}
			}
		case listType:
			l := f.Interface().(wamp.List)
			if l == nil {
				set(i, reflect.ValueOf(wamp.List{}))
			} else if jsonBinaries {
				if x, changed := binariesToJSON([]any(l), 0); changed {
					set(i, reflect.ValueOf(wamp.List(x.([]any))))
				}
			}
		}
	}
	if !out.IsValid() {
		return msg
	}
	return out.Interface().(wamp.Message)
}

// binariesToJSON returns v with every []byte in it (in lists, dictionaries,
// and slices and string-keyed maps of any type) replaced by its JSON binary
// string; containers are copied where something changes, never modified.
// Other values (structs among them) are left to the inner serializer.
func binariesToJSON(v any, depth int) (any, bool) {
	if depth > maxFastDepth*10 { // a cycle, or absurd nesting: left as is
		return v, false
	}
	switch x := v.(type) {
	case nil, bool, string, int, int64, uint64, float64, wamp.ID, wamp.URI:
		return v, false
	case []byte:
		if x == nil {
			return v, false
		}
		return string(appendJSONBinaryRaw(nil, x)), true
	case []any:
		return listBinariesToJSON(x, depth)
	case wamp.List:
		if l, changed := listBinariesToJSON(x, depth); changed {
			return l, true
		}
		return v, false
	case map[string]any:
		return dictBinariesToJSON(x, depth)
	case wamp.Dict:
		if d, changed := dictBinariesToJSON(x, depth); changed {
			return d, true
		}
		return v, false
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			if rv.Kind() == reflect.Slice && rv.IsNil() {
				return v, false
			}
			p := make([]byte, rv.Len())
			reflect.Copy(reflect.ValueOf(p), rv)
			return string(appendJSONBinaryRaw(nil, p)), true
		}
		l := make([]any, rv.Len())
		changed := false
		for i := range l {
			var c bool
			l[i], c = binariesToJSON(rv.Index(i).Interface(), depth+1)
			changed = changed || c
		}
		if changed {
			return l, true
		}
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return v, false
		}
		d := make(map[string]any, rv.Len())
		changed := false
		for it := rv.MapRange(); it.Next(); {
			x, c := binariesToJSON(it.Value().Interface(), depth+1)
			d[it.Key().String()] = x
			changed = changed || c
		}
		if changed {
			return d, true
		}
	}
	return v, false
}

func listBinariesToJSON(l []any, depth int) (any, bool) {
	var out []any
	for i, e := range l {
		x, changed := binariesToJSON(e, depth+1)
		if changed && out == nil {
			out = make([]any, len(l))
			copy(out, l)
		}
		if out != nil {
			out[i] = x
		}
	}
	if out == nil {
		return l, false
	}
	return out, true
}

func dictBinariesToJSON(d map[string]any, depth int) (any, bool) {
	var out map[string]any
	for k, e := range d {
		x, changed := binariesToJSON(e, depth+1)
		if changed && out == nil {
			out = make(map[string]any, len(d))
			for k2, e2 := range d {
				out[k2] = e2
			}
		}
		if out != nil {
			out[k] = x
		}
	}
	if out == nil {
		return d, false
	}
	return out, true
}

// appendJSONBinaryRaw appends the JSON binary string's content, NUL and
// base64, unquoted (the inner serializer quotes and escapes it).
func appendJSONBinaryRaw(b []byte, p []byte) []byte {
	return base64.StdEncoding.AppendEncode(append(b, 0), p)
}

// decodeJSONBinaries turns the JSON binary strings in a message decoded by
// the inner JSON serializer into []byte, in place (the decoded message is
// fresh and its own).
func decodeJSONBinaries(msg wamp.Message) {
	v := reflect.ValueOf(msg)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return
	}
	v = v.Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		if !f.CanInterface() {
			continue
		}
		switch f.Type() {
		case dictType:
			binariesFromJSON(map[string]any(f.Interface().(wamp.Dict)), 0)
		case listType:
			binariesFromJSON([]any(f.Interface().(wamp.List)), 0)
		}
	}
}

// binariesFromJSON returns v with its JSON binary strings as []byte; lists
// and dictionaries are changed in place.
func binariesFromJSON(v any, depth int) any {
	if depth > maxFastDepth*10 {
		return v
	}
	switch x := v.(type) {
	case string:
		if b, ok := jsonBinary(x); ok {
			return b
		}
	case []any:
		for i, e := range x {
			x[i] = binariesFromJSON(e, depth+1)
		}
	case map[string]any:
		for k, e := range x {
			x[k] = binariesFromJSON(e, depth+1)
		}
	case wamp.List:
		binariesFromJSON([]any(x), depth)
	case wamp.Dict:
		binariesFromJSON(map[string]any(x), depth)
	}
	return v
}
