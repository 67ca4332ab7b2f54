// Package outgoing checks an outgoing payload before it is queued for the
// transport, and bounds its encoded size, in one walk over its values
// ([Walker]).
//
// The client walks every payload it sends (client: checkOut). The typed
// encoder (internal/codec) measures the payload it builds with the same
// Walker while it builds it, value by value, so the client need not walk it
// again: a struct's object is measured from its fields as they are encoded
// (DictHead, Key, Value), without iterating the map it was put in. Both
// measure with the methods here, so the two cannot count differently.
package outgoing

import (
	"encoding"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/gammazero/nexus/v3/wamp"
)

// MaxDepth is how deeply an outgoing payload may nest (lists, maps,
// structs and pointers). Deeper is refused: a cyclic value is nested
// infinitely.
const MaxDepth = 128

// Measure is what a walk found of the values it walked.
type Measure struct {
	Lo, Hi int // bounds of the encoded size, in any of the three formats
	// Approx is approxSize of the values (what the receiver of a
	// handed-over payload charges, handover.Give), while Inexact is false:
	// values that take reflection make it inexact.
	Approx  int
	Inexact bool
	// NonFinite: a NaN or an infinity was walked (and let through, as
	// Finite was false).
	NonFinite bool
	// Unbounded: Hi does not bound the size. A value walked writes what
	// the walk cannot see: a marshaler (json.Marshaler, TextMarshaler,
	// BinaryMarshaler: time.Time, netip.Addr, ...), a nil embedded
	// pointer (ugorji writes its struct's fields), a field encoding/json
	// writes as a quoted string. Only encoding tells the size then.
	Unbounded bool
}

// Built is what the typed encoder knows of a payload it built for one
// message (codec.EncodeFresh).
type Built struct {
	// Fresh: the payload shares no memory with the application's values,
	// so nothing but its holder can modify it.
	Fresh bool
	// Measured: Measure is what a Walker finds of the payload's Arguments
	// and ArgumentsKw, as long as nobody modifies them.
	Measured bool
	// Direct: the payload is args=[raw], one wire.Raw value written by
	// the typed encoder straight into the session's serialization
	// (codec.EncodeDirect); Measure counts its bytes.
	Direct bool
	Measure
}

// Walker walks a message's values. The zero Walker refuses nothing for
// its size and lets NaN and infinities through.
type Walker struct {
	Finite bool // NaN and infinities are refused (JSON)
	Limit  int  // 0: no size limit
	Measure
}

// Error is a failure deep in a value; the path is built while unwinding.
type Error struct {
	Path    []string // innermost first
	Problem string
	Large   int // > 0: the lower bound passed the limit
}

// At adds the step to the value that failed, on the way out.
func (e *Error) At(step string) *Error {
	e.Path = append(e.Path, step)
	return e
}

// Add adds bounds of an encoded size.
func (w *Walker) Add(lo, hi int) { w.Lo, w.Hi = w.Lo+lo, w.Hi+hi }

// Merge adds what another walk measured.
func (w *Walker) Merge(m Measure) {
	w.Add(m.Lo, m.Hi)
	w.Approx += m.Approx
	w.Inexact = w.Inexact || m.Inexact
	w.NonFinite = w.NonFinite || m.NonFinite
	w.Unbounded = w.Unbounded || m.Unbounded
}

// Over reports whether the lower bound passed the limit: the walk stops
// there, which also bounds its work on a value that shares sub-values many
// times over.
func (w *Walker) Over() *Error {
	if w.Limit > 0 && w.Lo > w.Limit {
		return &Error{Large: w.Lo}
	}
	return nil
}

func deep() *Error {
	return &Error{Problem: fmt.Sprintf("nested more than %d levels deep (a cyclic value?)", MaxDepth)}
}

// ListHead counts a list of n elements, without them.
func (w *Walker) ListHead(n int) {
	w.Add(1, 9+n)
	w.Approx += 2 + n
}

// DictHead counts a dictionary of n entries, without them.
func (w *Walker) DictHead(n int) {
	w.Add(1, 9+2*n)
	w.Approx += 2
}

// Key counts a dictionary's key.
func (w *Walker) Key(k string) {
	w.Add(len(k)+1, 6*len(k)+9)
	w.Approx += len(k) + 4
}

// List walks a list at depth (the payload's Arguments are at 1).
func (w *Walker) List(l []any, depth int) *Error {
	if l == nil {
		w.Approx += 2
		return nil
	}
	if depth > MaxDepth {
		return deep()
	}
	w.ListHead(len(l))
	for i, v := range l {
		if err := w.Value(v, depth+1); err != nil {
			return err.At("[" + strconv.Itoa(i) + "]")
		}
	}
	return w.Over()
}

// Dict walks a dictionary at depth.
func (w *Walker) Dict(d map[string]any, depth int) *Error {
	if d == nil {
		w.Approx += 2
		return nil
	}
	if depth > MaxDepth {
		return deep()
	}
	w.DictHead(len(d))
	for k, v := range d {
		w.Key(k)
		if err := w.Value(v, depth+1); err != nil {
			return err.At(pathKey(k))
		}
	}
	return w.Over()
}

// pathKey is a dictionary key as a step of a path: .name, or ["a key"].
func pathKey(k string) string {
	if k != "" && strings.IndexFunc(k, func(r rune) bool {
		return !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) < 0 {
		return "." + k
	}
	return "[" + strconv.Quote(k) + "]"
}

// Value walks one value at depth: the types the codec and the decoders
// produce take a type switch, anything else reflection.
func (w *Walker) Value(v any, depth int) *Error {
	switch x := v.(type) {
	case nil:
		w.Add(1, 5)
		w.Approx++
	case string:
		w.Add(len(x)+1, 6*len(x)+9)
		w.Approx += len(x) + 2
	case bool:
		w.Add(1, 5)
		w.Approx++
	case int, int64, int32, int16, int8, uint, uint64, uint32, uint16, uint8, wamp.ID:
		w.Add(1, 21)
		w.Approx += 8
	case float64:
		w.Approx += 8
		return w.float(x)
	case float32:
		w.Approx += 8
		return w.float(float64(x))
	case []byte:
		w.Add(len(x)+1, 2*len(x)+16)
		w.Approx += len(x) + 2
	case []any:
		return w.List(x, depth)
	case wamp.List:
		return w.List(x, depth)
	case map[string]any:
		return w.Dict(x, depth)
	case wamp.Dict:
		return w.Dict(x, depth)
	default:
		w.Inexact = true
		return w.reflect(reflect.ValueOf(v), depth)
	}
	return nil
}

func (w *Walker) float(f float64) *Error {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		if w.Finite {
			return &Error{Problem: fmt.Sprintf("%v cannot be sent as JSON (use MsgPack or CBOR, or send it as a string)", f)}
		}
		w.NonFinite = true
	}
	w.Add(1, 32)
	return nil
}

func (w *Walker) reflect(v reflect.Value, depth int) *Error {
	if depth > MaxDepth {
		return deep()
	}
	t := v.Type()
	if marshals(t) {
		// The encoders write what its methods return, not its fields.
		w.Add(1, 0)
		w.Unbounded = true
		return nil
	}
	switch v.Kind() {
	case reflect.Bool:
		w.Add(1, 5)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		w.Add(1, 21)
	case reflect.Float32, reflect.Float64:
		return w.float(v.Float())
	case reflect.String:
		w.Add(v.Len()+1, 6*v.Len()+9)
	case reflect.Interface, reflect.Pointer:
		if v.IsNil() {
			w.Add(1, 5)
			return nil
		}
		return w.reflect(v.Elem(), depth+1)
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			w.Add(1, 5)
			return nil
		}
		if t.Elem().Kind() == reflect.Uint8 {
			w.Add(v.Len()+1, 2*v.Len()+16)
			return nil
		}
		w.Add(1, 9+v.Len())
		for i := range v.Len() {
			if err := w.reflect(v.Index(i), depth+1); err != nil {
				return err.At("[" + strconv.Itoa(i) + "]")
			}
		}
	case reflect.Map:
		return w.reflectMap(v, depth)
	case reflect.Struct:
		return w.reflectStruct(v, depth)
	default: // complex numbers, channels, funcs, unsafe pointers
		return &Error{Problem: fmt.Sprintf("a %s cannot be serialized", t)}
	}
	return w.Over()
}

func (w *Walker) reflectMap(v reflect.Value, depth int) *Error {
	if v.IsNil() {
		w.Add(1, 5)
		return nil
	}
	if kt := v.Type().Key(); kt.Kind() != reflect.String {
		return &Error{Problem: fmt.Sprintf("a map with %s keys cannot be serialized (WAMP dictionaries have string keys)", kt)}
	}
	w.Add(1, 9+2*v.Len())
	it := v.MapRange()
	for it.Next() {
		k := it.Key().String()
		w.Add(len(k)+1, 6*len(k)+9)
		if err := w.reflect(it.Value(), depth+1); err != nil {
			return err.At(pathKey(k))
		}
	}
	return w.Over()
}

// reflectStruct walks struct v as the serializers write it: a map of its
// fields, each under its tag's name or its Go name, leaving out what a tag
// skips ("-"). The encoders do not agree on every field. On the network
// (ugorji) a codec tag replaces the json tag; in process (encoding/json)
// only the json tag counts. omitempty (and omitzero) leave an empty field
// out; an untagged embedded struct's fields are written among v's, under no
// key of its own; ugorji writes an unexported field only when it is
// embedded and untagged, encoding/json keeps none of two fields of one
// name and ugorji the first. Where they may differ the bounds hold for
// either: the lower bound takes the shortest name, and nothing at all for a
// field that one of them may leave out or flatten; the upper bound the
// longest name.
func (w *Walker) reflectStruct(v reflect.Value, depth int) *Error {
	t := v.Type()
	w.Add(1, 9+2*t.NumField())
	shape := structShapeOf(t)
	for i, f := range shape.fields {
		if f.skip {
			continue
		}
		fv := v.Field(i)
		if f.embeddedPtr && fv.IsNil() {
			// encoding/json leaves it out; ugorji writes each field of
			// the struct it points to, as null.
			w.Add(0, 5)
			w.Unbounded = true
			continue
		}
		before := w.Lo
		w.Add(f.lo+1, 6*f.hi+9)
		if err := w.reflect(fv, depth+1); err != nil {
			return err.At("." + t.Field(i).Name)
		}
		if f.mayBeLeftOut || shape.noKeys {
			w.Lo = before
		}
		if f.quoted {
			w.Unbounded = true
		}
	}
	return w.Over()
}

// structShape is what reflectStruct needs of a struct type's fields.
type structShape struct {
	fields []fieldShape // one per field, in order
	noKeys bool         // ugorji's `_struct` with toarray or omitempty: keys may all be missing
}

type fieldShape struct {
	skip         bool // neither encoder writes it
	lo, hi       int  // its name's shortest and longest length
	mayBeLeftOut bool // an encoder may leave it out, or write its fields under no key of its own
	embeddedPtr  bool // an embedded pointer to a struct
	quoted       bool // encoding/json writes it as a quoted string (",string")
}

var structShapes sync.Map // reflect.Type -> *structShape

func structShapeOf(t reflect.Type) *structShape {
	if s, ok := structShapes.Load(t); ok {
		return s.(*structShape)
	}
	shape := &structShape{fields: make([]fieldShape, t.NumField())}
	if f, ok := t.FieldByName("_struct"); ok {
		_, opts := tagName(ugorjiTag(f))
		shape.noKeys = hasTagOption(opts, "toarray") || hasTagOption(opts, "omitempty")
	}
	names := map[string]int{}                  // fields written under each name, by either encoder
	written := make([][2]string, t.NumField()) // each field's names: encoding/json's, ugorji's
	for i := range t.NumField() {
		f := t.Field(i)
		fs := &shape.fields[i]
		jsonTag, uTag := f.Tag.Get("json"), ugorjiTag(f)
		pointsToStruct := f.Type.Kind() == reflect.Pointer && f.Type.Elem().Kind() == reflect.Struct
		embedded := f.Anonymous && (f.Type.Kind() == reflect.Struct || pointsToStruct)
		if !f.IsExported() && !embedded || jsonTag == "-" && uTag == "-" {
			fs.skip = true // neither encoder writes it
			continue
		}
		jsonName, jsonOpts := tagName(jsonTag)
		uName, uOpts := tagName(uTag)
		if jsonName == "" {
			jsonName = f.Name
		}
		if uName == "" {
			uName = f.Name
		}
		fs.lo, fs.hi = min(len(jsonName), len(uName)), max(len(jsonName), len(uName))
		flattened := f.Anonymous && (jsonTag == "" || strings.HasPrefix(jsonTag, ",") || uTag == "" || strings.HasPrefix(uTag, ","))
		fs.mayBeLeftOut = flattened || !f.IsExported() || jsonTag == "-" || uTag == "-" ||
			hasTagOption(jsonOpts, "omitempty") || hasTagOption(jsonOpts, "omitzero") || hasTagOption(uOpts, "omitempty")
		fs.embeddedPtr = f.Anonymous && pointsToStruct
		fs.quoted = hasTagOption(jsonOpts, "string")
		names[jsonName]++
		if uName != jsonName {
			names[uName]++
		}
		written[i] = [2]string{jsonName, uName}
	}
	for i := range shape.fields {
		fs := &shape.fields[i]
		if fs.skip {
			continue
		}
		for _, n := range [...]string{written[i][0], written[i][1], t.Field(i).Name} {
			if names[n] > 1 {
				fs.mayBeLeftOut = true // two fields of one name: either may be dropped
			}
		}
	}
	s, _ := structShapes.LoadOrStore(t, shape)
	return s.(*structShape)
}

// ugorjiTag is the tag ugorji reads for f: its codec tag, else its json
// tag.
func ugorjiTag(f reflect.StructField) string {
	if tag := f.Tag.Get("codec"); tag != "" {
		return tag
	}
	return f.Tag.Get("json")
}

var (
	jsonMarshaler   = reflect.TypeFor[json.Marshaler]()
	textMarshaler   = reflect.TypeFor[encoding.TextMarshaler]()
	binaryMarshaler = reflect.TypeFor[encoding.BinaryMarshaler]()
)

var marshalerTypes sync.Map // reflect.Type -> bool

// marshals reports whether an encoder may write t (or *t) by its methods.
// A value in an interface or behind a pointer is looked at itself.
func marshals(t reflect.Type) bool {
	if t.Kind() == reflect.Interface || t.PkgPath() == "" && (t.Name() != "" || t.Kind() != reflect.Struct) {
		return false // predeclared, or unnamed with no methods of its own
	}
	if m, ok := marshalerTypes.Load(t); ok {
		return m.(bool)
	}
	m := false
	for _, iface := range [...]reflect.Type{jsonMarshaler, textMarshaler, binaryMarshaler} {
		if t.Implements(iface) || t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(iface) {
			m = true
		}
	}
	marshalerTypes.Store(t, m)
	return m
}

// tagName splits a json or codec struct tag into its name and options.
func tagName(tag string) (name, opts string) {
	name, opts, _ = strings.Cut(tag, ",")
	return name, opts
}

// hasTagOption reports whether a struct tag's options hold opt.
func hasTagOption(opts, opt string) bool {
	for opts != "" {
		var o string
		o, opts, _ = strings.Cut(opts, ",")
		if o == opt {
			return true
		}
	}
	return false
}
