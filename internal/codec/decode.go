package codec

import (
	"encoding"
	"reflect"
	"sync"
	"time"
)

// decodeState carries the options of one Decode call.
type decodeState struct {
	strict bool
}

// decoder decodes in into v, which is addressable and settable. It returns a
// *DecodeError whose path is relative to v.
type decoder func(d *decodeState, in any, v reflect.Value) *DecodeError

var (
	timeType            = reflect.TypeFor[time.Time]()
	bytesType           = reflect.TypeFor[[]byte]()
	anyType             = reflect.TypeFor[any]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	textMarshalerType   = reflect.TypeFor[encoding.TextMarshaler]()
)

// decCache holds the decoder of each type, built once.
var decCache sync.Map // reflect.Type -> decoder

// decoderFor returns the cached decoder for t, building it on first use.
// Recursive types get an indirect decoder while theirs is being built.
func decoderFor(t reflect.Type) decoder {
	if f, ok := decCache.Load(t); ok {
		return f.(decoder)
	}
	var (
		wg sync.WaitGroup
		f  decoder
	)
	wg.Add(1)
	fi, loaded := decCache.LoadOrStore(t, decoder(func(d *decodeState, in any, v reflect.Value) *DecodeError {
		wg.Wait()
		return f(d, in, v)
	}))
	if loaded {
		return fi.(decoder)
	}
	f = newDecoder(t)
	wg.Done()
	decCache.Store(t, f)
	return f
}

// newDecoder picks the decoder for t: special types first, then by kind.
func newDecoder(t reflect.Type) decoder {
	switch {
	case t == timeType:
		return decodeTime
	case t.Kind() == reflect.Interface:
		if t.NumMethod() == 0 {
			return decodeAny
		}
		return decodeInterface
	}
	dec := kindDecoder(t)
	if t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(textUnmarshalerType) {
		return textDecoder(dec)
	}
	return dec
}

func kindDecoder(t reflect.Type) decoder {
	switch t.Kind() {
	case reflect.Bool:
		return decodeBool
	case reflect.String:
		return decodeString
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return intDecoder(t.Bits())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return uintDecoder(t.Bits())
	case reflect.Float32, reflect.Float64:
		return floatDecoder(t.Bits())
	case reflect.Pointer:
		return pointerDecoder(t)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return bytesDecoder(sliceDecoder(t))
		}
		return sliceDecoder(t)
	case reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return bytesDecoder(arrayDecoder(t))
		}
		return arrayDecoder(t)
	case reflect.Map:
		return mapDecoder(t)
	case reflect.Struct:
		return structDecoder(t)
	}
	return func(_ *decodeState, in any, v reflect.Value) *DecodeError {
		if in == nil {
			v.SetZero()
			return nil
		}
		return &DecodeError{Want: v.Type().String(), Got: in, Msg: "unsupported Go type"}
	}
}

// The decode states: read-only once made, so they are shared by every
// decode (no allocation per call).
var (
	looseState  = &decodeState{}
	strictState = &decodeState{strict: true}
)

// newState applies opts.
func newState(opts []Option) *decodeState {
	if len(opts) == 0 {
		return looseState
	}
	var d decodeState
	for _, o := range opts {
		if o != nil {
			o.apply(&d)
		}
	}
	if d.strict {
		return strictState
	}
	return looseState
}

// target checks that dst is a non-nil pointer and returns what it points to.
func target(fn string, dst any) (reflect.Value, error) {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return reflect.Value{}, &DecodeError{
			Want: "non-nil pointer", Got: dst, Msg: fn + ": dst must be a non-nil pointer",
		}
	}
	return rv.Elem(), nil
}

// DecodeValue decodes one value, such as args[0] or a meta-API result
// dictionary, into dst, which must be a non-nil pointer.
func DecodeValue(v any, dst any, opts ...Option) error {
	rv, err := target("DecodeValue", dst)
	if err != nil {
		return err
	}
	return decoderFor(rv.Type())(newState(opts), v, rv).finish("")
}

// DecodeResult decodes a call result into dst, the caller-side rule: a
// struct whose fields
// are tagged only with positions (`wamp:"#0"`) takes the positional
// arguments, as [Encode] sends it; any other type takes args[0] when
// present, else the kwargs object, else its zero value. With
// [Strict], arguments that would be dropped (args[1:], or kwargs next to
// args[0]) are an error.
func DecodeResult(args []any, kwargs map[string]any, dst any, opts ...Option) error {
	rv, err := target("DecodeResult", dst)
	if err != nil {
		return err
	}
	d := newState(opts)
	// A struct with positional-only fields is encoded as positional
	// arguments, so it is decoded from them: results round-trip.
	p := objectPlan(rv.Type())
	if p.sentPositionally() {
		return d.structArgs(p, args, kwargs, rv)
	}
	switch {
	case len(args) > 0:
		if e := d.checkDropped(args[1:], kwargs, rv.Type()); e != nil {
			return e.finish("")
		}
		return p.decoderOf(rv.Type())(d, args[0], rv).finish("args[0]")
	case len(kwargs) > 0:
		return p.decoderOf(rv.Type())(d, kwargs, rv).finish("")
	}
	rv.SetZero()
	return nil
}

// checkDropped reports, in strict mode, arguments that the rule in use
// leaves unread.
func (d *decodeState) checkDropped(extraArgs []any, kwargs map[string]any, t reflect.Type) *DecodeError {
	if !d.strict {
		return nil
	}
	if len(extraArgs) > 0 {
		return &DecodeError{Want: t.String(), Got: extraArgs, Msg: "unexpected extra positional arguments"}
	}
	if len(kwargs) > 0 {
		return &DecodeError{Want: t.String(), Got: kwargs, Msg: "unexpected keyword arguments"}
	}
	return nil
}
