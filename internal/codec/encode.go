package codec

import (
	"encoding"
	"reflect"
	"strconv"
	"sync"
	"time"

	"github.com/wampkit/wampkit/internal/outgoing"
)

// maxDepth bounds how deeply an encoded value nests, which catches pointer
// cycles. The value is at level 1, and a list element, map value or struct
// field is one level below what holds it. Pointers and interfaces are not
// levels: each stands for the value it holds, so a struct, or a pointer to
// it, is one level (a chain of pointers and interfaces that holds nothing
// else, such as an interface holding a pointer to itself, is cut at
// maxDepth links).
const maxDepth = 1000

// Encode converts v to WAMP arguments:
//
//   - nil, or a nil pointer, gives no arguments;
//   - a struct (or pointer to one) with positional fields (`wamp:"#0"`,
//     `wamp:"#1"`, ...) gives args from those fields in order (a gap is null)
//     and kwargs from its named fields, nil when there are none;
//   - any other value v gives args=[EncodeValue(v)].
func Encode(v any) (args []any, kwargs map[string]any, err error) {
	args, kwargs, _, err = encodeFresh(v, false)
	return args, kwargs, err
}

// EncodeFresh is Encode, and says what it knows of what it built:
//
//   - b.Fresh: args and kwargs share no memory with v. Every list and map in
//     them is made by the encoder (strings are immutable and numbers are
//     copies), so nothing but their holder can modify them. A []byte in v
//     is passed on as it is, not copied: a payload that holds one is not
//     fresh.
//   - b.Measured: b.Measure is what an outgoing.Walker finds walking args
//     (as Arguments, at depth 1) and kwargs (as ArgumentsKw). A struct sent
//     as args=[object] is measured field by field while it is encoded,
//     without iterating the map it goes into; other shapes are not measured.
func EncodeFresh(v any) (args []any, kwargs map[string]any, b outgoing.Built, err error) {
	return encodeFresh(v, true)
}

func encodeFresh(v any, measure bool) (args []any, kwargs map[string]any, b outgoing.Built, err error) {
	if v == nil {
		return nil, nil, outgoing.Built{Fresh: true}, nil
	}
	rv := reflect.ValueOf(v)
	boxed := rv.Kind() != reflect.Pointer // v holds the value itself
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil, nil, outgoing.Built{Fresh: true}, nil
		}
		rv = rv.Elem()
	}
	e := getEncodeState()
	defer putEncodeState(e)
	p := objectPlan(rv.Type())
	if p.sentPositionally() {
		args, kwargs, err = e.encodeSplit(p, rv)
		return args, kwargs, outgoing.Built{Fresh: !e.shared}, err
	}
	var (
		x    any
		xerr *encodeErr
	)
	e.metering = measure
	if p != nil && boxed { // encoderFor(rv.Type()) without a second lookup
		x, xerr = e.encodeWith(p.self.enc.get(p.typ, encoderFor), rv)
	} else {
		x, xerr = e.encode(reflect.ValueOf(v))
	}
	if xerr != nil {
		return nil, nil, outgoing.Built{}, xerr.finish()
	}
	b.Fresh = !e.shared
	if m, ok := x.(map[string]any); ok && e.metered != nil && sameMap(m, e.metered) {
		// The object is args[0]: the list around it, and no kwargs.
		e.meter.ListHead(1)
		_ = e.meter.Dict(nil, 1)
		b.Measured, b.Measure = true, e.meter.Measure
	}
	return []any{x}, nil, b, nil
}

// sameMap reports whether a and b are the same map.
func sameMap(a, b map[string]any) bool {
	return reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
}

// encodeSplit encodes positional fields as args and named ones as kwargs.
func (e *encodeState) encodeSplit(p *structPlan, rv reflect.Value) ([]any, map[string]any, error) {
	if p.err != nil {
		return nil, nil, &EncodeError{Type: p.typ.String(), Msg: p.err.Error()}
	}
	args := make([]any, p.posArgs)
	for _, f := range p.positional {
		if f.hybrid {
			continue // sent by name
		}
		fv := fieldValue(rv, f, false)
		if !fv.IsValid() {
			continue
		}
		x, err := e.encodeWith(f.encoder(), fv)
		if err != nil {
			// Named as decoding names it: "args[1]", "args[1].name".
			return nil, nil, err.atIndex(f.pos).finishAt("args")
		}
		args[f.pos] = x
	}
	if len(p.named) == 0 {
		return args, nil, nil
	}
	kwargs, err := e.encodeFields(p, p.named, rv)
	if err != nil {
		return nil, nil, err.finish()
	}
	if len(kwargs) == 0 {
		kwargs = nil
	}
	return args, kwargs, nil
}

// EncodeValue returns the plain form of v, which every serializer handles
// identically: structs become map[string]any keyed by wire name (honouring
// "-", omitempty and omitzero); time.Time becomes an RFC 3339 string with
// nanoseconds; an encoding.TextMarshaler becomes its text; []byte and byte
// arrays become []byte; maps become map[string]any (integer and
// TextMarshaler keys as text); other slices and arrays become []any; pointers
// and interfaces are followed (nil gives nil); named numeric, string and bool
// types become their predeclared type; other numbers, bools and strings stay.
func EncodeValue(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	e := getEncodeState()
	defer putEncodeState(e)
	x, err := e.encode(reflect.ValueOf(v))
	if err != nil {
		return nil, err.finish()
	}
	return x, nil
}

// encodeState tracks depth and builds the error path.
type encodeState struct {
	depth  int
	shared bool // a value of the input was passed on as it is ([]byte)
	// metering: the next object encoded is measured into meter as it is
	// built (encodeFields); metered is that object once measured.
	metering bool
	meter    outgoing.Walker
	metered  map[string]any
}

var encodeStates = sync.Pool{New: func() any { return new(encodeState) }}

func getEncodeState() *encodeState { return encodeStates.Get().(*encodeState) }

func putEncodeState(e *encodeState) {
	*e = encodeState{}
	encodeStates.Put(e)
}

// encodeErr is an *EncodeError with the path collected while unwinding.
type encodeErr struct {
	EncodeError
	segs []pathSeg
}

func (e *encodeErr) at(name string) *encodeErr {
	e.segs = append(e.segs, pathSeg{name: name, index: -1})
	return e
}

func (e *encodeErr) atIndex(i int) *encodeErr {
	e.segs = append(e.segs, pathSeg{index: i})
	return e
}

func (e *encodeErr) finish() error { return e.finishAt("") }

// finishAt is finish with the path rendered below root.
func (e *encodeErr) finishAt(root string) error {
	d := &DecodeError{segs: e.segs}
	_ = d.finish(root)
	e.Path = d.Path
	out := e.EncodeError
	return &out
}

type encoderFunc func(e *encodeState, v reflect.Value) (any, *encodeErr)

var encCache typeCache[encoderFunc]

func (e *encodeState) encode(v reflect.Value) (any, *encodeErr) {
	if !v.IsValid() {
		return nil, nil
	}
	return e.encodeWith(encoderFor(v.Type()), v)
}

// encodeWith encodes v, whose type's encoder is enc, one level deeper.
func (e *encodeState) encodeWith(enc encoderFunc, v reflect.Value) (any, *encodeErr) {
	if e.depth++; e.depth > maxDepth {
		return nil, &encodeErr{EncodeError: EncodeError{Type: v.Type().String(), Msg: "nested too deeply (cycle?)"}}
	}
	x, err := enc(e, v)
	e.depth--
	return x, err
}

func encoderFor(t reflect.Type) encoderFunc { return encCache.get(t, newEncoder) }

func newEncoder(t reflect.Type) encoderFunc {
	switch {
	case t == timeType:
		return func(_ *encodeState, v reflect.Value) (any, *encodeErr) {
			return v.Interface().(time.Time).Format(time.RFC3339Nano), nil
		}
	case t.Kind() != reflect.Pointer && t.Kind() != reflect.Interface && t.Implements(textMarshalerType):
		return encodeText
	case t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(textMarshalerType):
		return func(e *encodeState, v reflect.Value) (any, *encodeErr) {
			if !v.CanAddr() {
				c := reflect.New(t).Elem()
				c.Set(v)
				v = c
			}
			return encodeText(e, v.Addr())
		}
	}
	return kindEncoder(t)
}

func encodeText(_ *encodeState, v reflect.Value) (any, *encodeErr) {
	if v.Kind() == reflect.Pointer && v.IsNil() {
		return nil, nil
	}
	b, err := v.Interface().(encoding.TextMarshaler).MarshalText()
	if err != nil {
		return nil, &encodeErr{EncodeError: EncodeError{Type: v.Type().String(), Msg: "MarshalText: " + err.Error(), Err: err}}
	}
	return string(b), nil
}

func kindEncoder(t reflect.Type) encoderFunc {
	switch t.Kind() {
	case reflect.Bool:
		return func(_ *encodeState, v reflect.Value) (any, *encodeErr) { return v.Bool(), nil }
	case reflect.String:
		if t.PkgPath() == "" {
			// Interface shares the string header of a value that is not
			// addressable (a struct field reached through the boxed
			// argument); v.String() would box a new one.
			return func(_ *encodeState, v reflect.Value) (any, *encodeErr) { return v.Interface(), nil }
		}
		return func(_ *encodeState, v reflect.Value) (any, *encodeErr) { return v.String(), nil }
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return encodeInt(t)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return encodeUint(t)
	case reflect.Float32, reflect.Float64:
		return encodeFloat(t)
	case reflect.Pointer, reflect.Interface:
		return encodeIndirect
	case reflect.Slice, reflect.Array:
		return listEncoder(t)
	case reflect.Map:
		return mapEncoder(t)
	case reflect.Struct:
		return structEncoder(t)
	}
	return func(_ *encodeState, v reflect.Value) (any, *encodeErr) {
		return nil, &encodeErr{EncodeError: EncodeError{Type: t.String(), Msg: "unsupported type"}}
	}
}

// encodeIndirect encodes what the pointer or interface v holds, at v's
// level (see maxDepth): nil gives nil.
func encodeIndirect(e *encodeState, v reflect.Value) (any, *encodeErr) {
	for links := 0; v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface; links++ {
		if v.IsNil() {
			return nil, nil
		}
		if links == maxDepth {
			return nil, &encodeErr{EncodeError: EncodeError{Type: v.Type().String(), Msg: "nested too deeply (cycle?)"}}
		}
		v = v.Elem()
	}
	return encoderFor(v.Type())(e, v)
}

// Numbers of predeclared types pass as they are; named ones become the
// predeclared type of their kind so that every serializer sees the same.
func encodeInt(t reflect.Type) encoderFunc {
	if t.PkgPath() == "" {
		return func(_ *encodeState, v reflect.Value) (any, *encodeErr) { return v.Interface(), nil }
	}
	return func(_ *encodeState, v reflect.Value) (any, *encodeErr) { return v.Int(), nil }
}

func encodeUint(t reflect.Type) encoderFunc {
	if t.PkgPath() == "" {
		return func(_ *encodeState, v reflect.Value) (any, *encodeErr) { return v.Interface(), nil }
	}
	return func(_ *encodeState, v reflect.Value) (any, *encodeErr) { return v.Uint(), nil }
}

func encodeFloat(t reflect.Type) encoderFunc {
	if t.PkgPath() == "" {
		return func(_ *encodeState, v reflect.Value) (any, *encodeErr) { return v.Interface(), nil }
	}
	return func(_ *encodeState, v reflect.Value) (any, *encodeErr) { return v.Float(), nil }
}

// mapKeyText renders a map key as text: strings, integers, TextMarshalers.
// ok is false for another key type; err is a TextMarshaler's error.
func mapKeyText(k reflect.Value) (_ string, ok bool, err error) {
	if k.Kind() == reflect.String {
		return k.String(), true, nil
	}
	if tm, ok := k.Interface().(encoding.TextMarshaler); ok {
		b, err := tm.MarshalText()
		return string(b), err == nil, err
	}
	switch k.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(k.Int(), 10), true, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.FormatUint(k.Uint(), 10), true, nil
	}
	return "", false, nil
}
