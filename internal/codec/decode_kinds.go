package codec

import (
	"encoding"
	"encoding/base64"
	"reflect"
	"strings"
	"time"
)

// Each decoder sets its target to the zero value when it receives null.

func decodeAny(_ *decodeState, in any, v reflect.Value) *DecodeError {
	if in == nil {
		v.SetZero()
		return nil
	}
	n, _ := normalise(in)
	v.Set(reflect.ValueOf(n))
	return nil
}

func decodeInterface(_ *decodeState, in any, v reflect.Value) *DecodeError {
	if in == nil {
		v.SetZero()
		return nil
	}
	rv := reflect.ValueOf(in)
	if !rv.Type().Implements(v.Type()) {
		return mismatch(v.Type().String(), in)
	}
	v.Set(rv)
	return nil
}

func decodeBool(_ *decodeState, in any, v reflect.Value) *DecodeError {
	switch x := in.(type) {
	case nil:
		v.SetBool(false)
	case bool:
		v.SetBool(x)
	default:
		return mismatch(v.Type().String(), in)
	}
	return nil
}

// decodeString accepts strings and, because some MsgPack encoders send
// strings as binary, []byte.
func decodeString(_ *decodeState, in any, v reflect.Value) *DecodeError {
	switch x := in.(type) {
	case nil:
		v.SetString("")
	case string:
		v.SetString(x)
	case []byte:
		v.SetString(string(x))
	default:
		rv := reflect.ValueOf(in)
		if rv.Kind() != reflect.String {
			return mismatch(v.Type().String(), in)
		}
		v.SetString(rv.String())
	}
	return nil
}

func intDecoder(bits int) decoder {
	return func(_ *decodeState, in any, v reflect.Value) *DecodeError {
		if in == nil {
			v.SetInt(0)
			return nil
		}
		n := asNumber(in)
		if n.kind == notNumber {
			return mismatch(v.Type().String(), in)
		}
		x, msg := n.toInt(bits)
		if msg != "" {
			return &DecodeError{Want: v.Type().String(), Got: in, Msg: msg}
		}
		v.SetInt(x)
		return nil
	}
}

func uintDecoder(bits int) decoder {
	return func(_ *decodeState, in any, v reflect.Value) *DecodeError {
		if in == nil {
			v.SetUint(0)
			return nil
		}
		n := asNumber(in)
		if n.kind == notNumber {
			return mismatch(v.Type().String(), in)
		}
		x, msg := n.toUint(bits)
		if msg != "" {
			return &DecodeError{Want: v.Type().String(), Got: in, Msg: msg}
		}
		v.SetUint(x)
		return nil
	}
}

func floatDecoder(bits int) decoder {
	return func(_ *decodeState, in any, v reflect.Value) *DecodeError {
		if in == nil {
			v.SetFloat(0)
			return nil
		}
		n := asNumber(in)
		if n.kind == notNumber {
			return mismatch(v.Type().String(), in)
		}
		x, msg := n.toFloat(bits)
		if msg != "" {
			return &DecodeError{Want: v.Type().String(), Got: in, Msg: msg}
		}
		v.SetFloat(x)
		return nil
	}
}

func pointerDecoder(t reflect.Type) decoder {
	elem := t.Elem()
	elemDec := decoderFor(elem)
	return func(d *decodeState, in any, v reflect.Value) *DecodeError {
		if in == nil {
			v.SetZero()
			return nil
		}
		if v.IsNil() {
			v.Set(reflect.New(elem))
		}
		return elemDec(d, in, v.Elem())
	}
}

// textDecoder decodes strings through the type's UnmarshalText and anything
// else through its kind.
func textDecoder(byKind decoder) decoder {
	return func(d *decodeState, in any, v reflect.Value) *DecodeError {
		s, ok := in.(string)
		if !ok {
			return byKind(d, in, v)
		}
		u := v.Addr().Interface().(encoding.TextUnmarshaler)
		if err := u.UnmarshalText([]byte(s)); err != nil {
			return &DecodeError{Want: v.Type().String(), Got: in, Msg: "invalid text", Err: err}
		}
		return nil
	}
}

// timeLayouts are tried in order. time.Parse accepts fractional seconds after
// the seconds field even when the layout does not name them. "Z0700" is what
// nexus emits (`2026-03-03T09:16:37-1000`); a missing zone means UTC.
var timeLayouts = []string{time.RFC3339, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05"}

func decodeTime(_ *decodeState, in any, v reflect.Value) *DecodeError {
	switch x := in.(type) {
	case nil:
		v.SetZero()
	case time.Time:
		v.Set(reflect.ValueOf(x))
	case string:
		var err error
		for _, layout := range timeLayouts {
			var t time.Time
			if t, err = time.Parse(layout, x); err == nil {
				v.Set(reflect.ValueOf(t))
				return nil
			}
		}
		return &DecodeError{Want: "time.Time", Got: in, Msg: "not an RFC 3339 time", Err: err}
	default:
		return mismatch("time.Time", in)
	}
	return nil
}

// bytesDecoder decodes []byte input and strings holding base64 (the WAMP
// JSON convention "\x00"+base64, or plain standard base64 as nexus's JSON
// serializer and encoding/json write it) into a byte slice or array; lists
// go through byKind.
func bytesDecoder(byKind decoder) decoder {
	return func(d *decodeState, in any, v reflect.Value) *DecodeError {
		var b []byte
		switch x := in.(type) {
		case []byte:
			b = x
		case string:
			var err error
			if b, err = decodeBase64(x); err != nil {
				return &DecodeError{Want: v.Type().String(), Got: in, Msg: "invalid base64", Err: err}
			}
		default:
			return byKind(d, in, v)
		}
		if v.Kind() == reflect.Slice {
			v.SetBytes(append([]byte(nil), b...))
			return nil
		}
		if len(b) > v.Len() {
			return &DecodeError{Want: v.Type().String(), Got: in, Msg: "too many elements"}
		}
		v.SetZero()
		for i, c := range b {
			v.Index(i).SetUint(uint64(c))
		}
		return nil
	}
}

func decodeBase64(s string) ([]byte, error) {
	s = strings.TrimPrefix(s, "\x00")
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		if rb, rerr := base64.RawStdEncoding.DecodeString(s); rerr == nil {
			return rb, nil
		}
	}
	return b, err
}
