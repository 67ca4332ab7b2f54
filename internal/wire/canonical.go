package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"sync"

	"github.com/gammazero/nexus/v3/wamp"
	"github.com/ugorji/go/codec"
)

// Canonical payload values.
//
// Whatever the transport (in process, websocket, rawsocket) and serializer
// (JSON, MsgPack, CBOR), the payload of a message a session receives (its
// Details or Options, Arguments and ArgumentsKw) holds only these Go types:
//
//	nil, bool, string, []byte,
//	int64   (every integer that fits one),
//	uint64  (only integers above math.MaxInt64),
//	float64 (every number with a fraction, and float32s widened),
//	[]any, map[string]any
//
// The decoders produce them directly; what nexus's serializers produce in
// their place (CBOR, and frames the fast paths decline) is rewritten in
// place by canonicalize. The in-process link, which carries Go values
// without serializing them, makes a canonical deep copy with Localize, so
// that a receiver gets its own values, as it would from the network.
//
// Serializer limits remain, and are the peer's: JSON has binary only by the
// spec's convention ([]byte goes as a "\u0000"+base64 string, spec.go), writes
// NaN and the infinities as null, and a
// JavaScript peer reads integers beyond 2^53 inexactly; a MsgPack timestamp
// or CBOR time tag from another peer arrives as time.Time.
//
// A CBOR byte string inside tag 64 (RFC 8746's "uint8 typed array", which
// cbor-x, wampy's CBOR encoder, sends for a JavaScript Uint8Array that is not
// a node Buffer) is the same bytes to a WAMP peer and arrives as []byte. Other
// tags (other typed arrays included) stay as the inner serializer gives them.

// maxCanonicalDepth bounds the nesting Localize copies; deeper values (or a
// map that holds itself) are refused.
const maxCanonicalDepth = 1000

// canonicalize rewrites, in place, the payload of a message fresh from a
// decoder (so owned by its receiver) into the canonical types.
func canonicalize(msg wamp.Message) {
	switch m := msg.(type) {
	case *wamp.Result:
		canonDict(m.Details)
		canonList(m.Arguments)
		canonDict(m.ArgumentsKw)
	case *wamp.Invocation:
		canonDict(m.Details)
		canonList(m.Arguments)
		canonDict(m.ArgumentsKw)
	case *wamp.Event:
		canonDict(m.Details)
		canonList(m.Arguments)
		canonDict(m.ArgumentsKw)
	case *wamp.Error:
		canonDict(m.Details)
		canonList(m.Arguments)
		canonDict(m.ArgumentsKw)
	case *wamp.Welcome:
		canonDict(m.Details)
	case *wamp.Interrupt:
		canonDict(m.Options)
	case *Unregistered:
		canonDict(m.Details)
	case *wamp.Call: // what the reference router receives
		canonDict(m.Options)
		canonList(m.Arguments)
		canonDict(m.ArgumentsKw)
	case *wamp.Yield:
		canonDict(m.Options)
		canonList(m.Arguments)
		canonDict(m.ArgumentsKw)
	case *wamp.Publish:
		canonDict(m.Options)
		canonList(m.Arguments)
		canonDict(m.ArgumentsKw)
	}
}

func canonList(l []any) {
	for i, v := range l {
		if c, changed := canonOwned(v); changed {
			l[i] = c
		}
	}
}

func canonDict(d map[string]any) {
	for k, v := range d {
		if c, changed := canonOwned(v); changed {
			d[k] = c
		}
	}
}

// canonOwned returns v's canonical form for a decoded value, reusing its
// containers; changed is false when v is already canonical.
func canonOwned(v any) (any, bool) {
	switch x := v.(type) {
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x), true
		}
	case []any:
		canonList(x)
	case map[string]any:
		canonDict(x)
	case map[any]any:
		d, ok := AsDict(x)
		if ok {
			canonDict(d)
			return map[string]any(d), true
		}
	case float32:
		return float64(x), true
	case codec.RawExt:
		if b, ok := uint8TypedArray(x); ok {
			return b, true
		}
	case *codec.RawExt:
		if x != nil {
			if b, ok := uint8TypedArray(*x); ok {
				return b, true
			}
		}
	}
	return v, false
}

// cborTagUint8Array is RFC 8746's tag for a uint8 typed array: a byte string.
const cborTagUint8Array = 64

// uint8TypedArray returns the bytes of a decoded CBOR tag 64 around a byte
// string.
func uint8TypedArray(x codec.RawExt) ([]byte, bool) {
	if x.Tag != cborTagUint8Array {
		return nil, false
	}
	b, ok := x.Value.([]byte)
	if !ok {
		return nil, false
	}
	if b == nil {
		b = []byte{} // h'': empty, not nil
	}
	return b, true
}

// Localize makes the payload of msg, received over the in-process link,
// what it would be after a serializer round trip: a deep copy in canonical
// types. The message's own fields are replaced, so msg must be the
// receiver's own (nexus hands each in-process session its own message); the
// values it pointed to are not modified. Arguments and ArgumentsKw are always
// copied, the receiver may change them; a Details or Options dictionary that
// holds only canonical scalars is shared, as it is read-only. A value no serializer can carry (a
// channel, a function, a complex number, a map with non-string keys, a
// cycle) is an error naming it.
func Localize(msg wamp.Message) error {
	var err error
	dict := func(name string, d *wamp.Dict) {
		if err == nil && *d != nil {
			if name != "ArgumentsKw" && flatCanonical(*d) {
				return // Details and Options are read-only: share them
			}
			var c map[string]any
			if c, err = localDict(*d, 0); err != nil {
				err = fmt.Errorf("wire: %v %s%w", msg.MessageType(), name, err)
				return
			}
			*d = c
		}
	}
	list := func(l *wamp.List) {
		if err == nil && *l != nil {
			var c []any
			if c, err = localList(*l, 0); err != nil {
				err = fmt.Errorf("wire: %v Arguments%w", msg.MessageType(), err)
				return
			}
			*l = c
		}
	}
	switch m := msg.(type) {
	case *wamp.Result:
		dict("Details", &m.Details)
		list(&m.Arguments)
		dict("ArgumentsKw", &m.ArgumentsKw)
	case *wamp.Invocation:
		dict("Details", &m.Details)
		list(&m.Arguments)
		dict("ArgumentsKw", &m.ArgumentsKw)
	case *wamp.Event:
		dict("Details", &m.Details)
		list(&m.Arguments)
		dict("ArgumentsKw", &m.ArgumentsKw)
	case *wamp.Error:
		dict("Details", &m.Details)
		list(&m.Arguments)
		dict("ArgumentsKw", &m.ArgumentsKw)
	case *wamp.Welcome:
		dict("Details", &m.Details)
	case *wamp.Abort:
		dict("Details", &m.Details)
	case *wamp.Goodbye:
		dict("Details", &m.Details)
	case *wamp.Challenge:
		dict("Extra", &m.Extra)
	case *wamp.Interrupt:
		dict("Options", &m.Options)
	case *Unregistered:
		dict("Details", &m.Details)
	}
	return err
}

// LocalDict returns d in canonical types: d itself when it holds only
// canonical scalars (a Details dictionary its receiver only reads), else a
// canonical deep copy.
func LocalDict(d map[string]any) (map[string]any, error) {
	if d == nil || flatCanonical(d) {
		return d, nil
	}
	c, err := localDict(d, 0)
	if err != nil {
		return nil, fmt.Errorf("wire: Details%w", err)
	}
	return c, nil
}

// LocalPayload returns canonical deep copies of args and kwargs (see
// Localize): what the receiver of a frozen payload hands to code that may
// modify it.
func LocalPayload(args []any, kwargs map[string]any) ([]any, map[string]any, error) {
	var err error
	if args != nil {
		if args, err = localList(args, 0); err != nil {
			return nil, nil, fmt.Errorf("wire: Arguments%w", err)
		}
	}
	if kwargs != nil {
		if kwargs, err = localDict(kwargs, 0); err != nil {
			return nil, nil, fmt.Errorf("wire: ArgumentsKw%w", err)
		}
	}
	return args, kwargs, nil
}

// flatCanonical reports whether d holds only canonical scalars (so sharing
// it with its sender is safe for a reader that does not modify it).
func flatCanonical(d map[string]any) bool {
	for _, v := range d {
		switch x := v.(type) {
		case nil, bool, string, int64, float64:
		case uint64:
			if x <= math.MaxInt64 {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// LocalValue returns a canonical deep copy of v (see Localize).
func LocalValue(v any) (any, error) { return local(v, 0) }

func localList(l []any, depth int) ([]any, error) {
	out := make([]any, len(l))
	for i, v := range l {
		c, err := local(v, depth+1)
		if err != nil {
			return nil, fmt.Errorf("[%d]%w", i, err)
		}
		out[i] = c
	}
	return out, nil
}

func localDict(d map[string]any, depth int) (map[string]any, error) {
	out := make(map[string]any, len(d))
	for k, v := range d {
		c, err := local(v, depth+1)
		if err != nil {
			return nil, fmt.Errorf("[%q]%w", k, err)
		}
		out[k] = c
	}
	return out, nil
}

// local is the copy behind Localize. The common types take a type switch;
// other kinds (named types, typed slices and maps, pointers) take reflection,
// and structs and marshalers go the way encoding/json writes them.
func local(v any, depth int) (any, error) {
	if depth > maxCanonicalDepth {
		return nil, fmt.Errorf(": nested deeper than %d", maxCanonicalDepth)
	}
	switch x := v.(type) {
	case nil, bool, string, int64, float64:
		return v, nil
	case int:
		return int64(x), nil
	case int8:
		return int64(x), nil
	case int16:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case uint:
		return canonUint(uint64(x)), nil
	case uint8:
		return int64(x), nil
	case uint16:
		return int64(x), nil
	case uint32:
		return int64(x), nil
	case uint64:
		return canonUint(x), nil
	case float32:
		return float64(x), nil
	case wamp.ID:
		return canonUint(uint64(x)), nil
	case wamp.URI:
		return canonURI(x), nil
	case []byte:
		return bytes.Clone(x), nil
	case []any:
		return localList(x, depth)
	case wamp.List:
		return localList(x, depth)
	case map[string]any:
		return localDict(x, depth)
	case wamp.Dict:
		return localDict(x, depth)
	case map[any]any: // as some MsgPack decoders give
		out := make(map[string]any, len(x))
		for k, v := range x {
			ks, ok := k.(string)
			if !ok {
				return nil, fmt.Errorf(": a map key %v (%T) cannot travel over WAMP (keys are strings)", k, k)
			}
			c, err := local(v, depth+1)
			if err != nil {
				return nil, fmt.Errorf("[%q]%w", ks, err)
			}
			out[ks] = c
		}
		return out, nil
	case json.Number:
		return jsonNumber(x)
	}
	return localReflect(reflect.ValueOf(v), depth)
}

// uriStrings holds the canonical form of URIs Localize met (a string in an
// any, shared: strings are immutable), so that the procedure a router names
// in every INVOCATION's Details is converted without an allocation each
// time. At most maxURIStrings are kept (a router that names unbounded URIs,
// pattern-based registrations, costs an allocation per new one and nothing
// more).
var uriStrings struct {
	sync.RWMutex
	m map[wamp.URI]any
}

const maxURIStrings = 1024

func canonURI(u wamp.URI) any {
	uriStrings.RLock()
	v, ok := uriStrings.m[u]
	uriStrings.RUnlock()
	if ok {
		return v
	}
	v = string(u)
	uriStrings.Lock()
	if uriStrings.m == nil {
		uriStrings.m = make(map[wamp.URI]any)
	}
	if len(uriStrings.m) < maxURIStrings {
		uriStrings.m[u] = v
	}
	uriStrings.Unlock()
	return v
}

func canonUint(u uint64) any {
	if u <= math.MaxInt64 {
		return int64(u)
	}
	return u
}

var (
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
	byteType      = reflect.TypeFor[byte]()
)

func localReflect(rv reflect.Value, depth int) (any, error) {
	if rv.Type().Implements(jsonMarshaler) {
		return viaJSON(rv)
	}
	switch rv.Kind() {
	case reflect.Bool:
		return rv.Bool(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return canonUint(rv.Uint()), nil
	case reflect.Float32, reflect.Float64:
		return rv.Float(), nil
	case reflect.String:
		return rv.String(), nil
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return nil, nil
		}
		return local(rv.Elem().Interface(), depth+1)
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			return nil, nil
		}
		if rv.Type().Elem() == byteType {
			b := make([]byte, rv.Len())
			reflect.Copy(reflect.ValueOf(b), rv)
			return b, nil
		}
		out := make([]any, rv.Len())
		for i := range out {
			c, err := local(rv.Index(i).Interface(), depth+1)
			if err != nil {
				return nil, fmt.Errorf("[%d]%w", i, err)
			}
			out[i] = c
		}
		return out, nil
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return nil, fmt.Errorf(": a map with %s keys cannot travel over WAMP (keys are strings)", rv.Type().Key())
		}
		if rv.IsNil() {
			return nil, nil
		}
		out := make(map[string]any, rv.Len())
		for it := rv.MapRange(); it.Next(); {
			k := it.Key().String()
			c, err := local(it.Value().Interface(), depth+1)
			if err != nil {
				return nil, fmt.Errorf("[%q]%w", k, err)
			}
			out[k] = c
		}
		return out, nil
	case reflect.Struct:
		return viaJSON(rv)
	}
	return nil, fmt.Errorf(": a %s cannot travel over WAMP", rv.Type())
}

// viaJSON converts a struct or a json.Marshaler the way encoding/json
// writes it.
func viaJSON(rv reflect.Value) (any, error) {
	b, err := json.Marshal(rv.Interface())
	if err != nil {
		return nil, fmt.Errorf(": %s: %w", rv.Type(), err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf(": %s: %w", rv.Type(), err)
	}
	return local(v, 0)
}

func jsonNumber(n json.Number) (any, error) {
	if i, err := n.Int64(); err == nil {
		return i, nil
	}
	if u, err := strconv.ParseUint(string(n), 10, 64); err == nil {
		return u, nil
	}
	f, err := n.Float64()
	if err != nil {
		return nil, fmt.Errorf(": number %s: %w", n, err)
	}
	return f, nil
}
