package wire

import (
	"encoding/base64"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/gammazero/nexus/v3/transport/serialize"
	"github.com/gammazero/nexus/v3/wamp"
)

var serializationsByName = map[string]serialize.Serialization{
	"json": serialize.JSON, "msgpack": serialize.MSGPACK, "cbor": serialize.CBOR,
}

// goTree is the node a Go value should arrive as under a serializer (json
// set: binary in the JSON convention, so a string that reads as one is
// binary too).
func goTree(v any, json bool) node {
	switch x := v.(type) {
	case nil:
		return node{k: nNull}
	case bool:
		return node{k: nBool, b: x}
	case string:
		if json {
			if b, ok := jsonBinary(x); ok {
				return node{k: nBin, bin: b}
			}
		}
		return node{k: nStr, s: x}
	case wamp.URI:
		return node{k: nStr, s: string(x)}
	case []byte:
		if x == nil {
			return node{k: nNull}
		}
		return node{k: nBin, bin: x}
	case float32:
		return node{k: nFloat, f: float64(x)}
	case float64:
		return node{k: nFloat, f: x}
	case []any:
		if x == nil {
			return node{k: nNull}
		}
		n := node{k: nList, list: []node{}}
		for _, e := range x {
			n.list = append(n.list, goTree(e, json))
		}
		return n
	case wamp.List:
		return goTree([]any(x), json)
	case map[string]any:
		if x == nil {
			return node{k: nNull}
		}
		n := node{k: nDict, dict: map[string]node{}}
		for k, e := range x {
			n.dict[k] = goTree(e, json)
		}
		return n
	case wamp.Dict:
		return goTree(map[string]any(x), json)
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return intNode(rv.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return node{k: nUint, u: rv.Uint()}
	}
	panic(fmt.Sprintf("goTree: %T", v))
}

// msgTree is the spec's form of msg, written from the message definitions:
// every element in order, a nil dictionary as {}, Arguments and ArgumentsKw
// left out when empty, Arguments [] when only ArgumentsKw has entries.
func msgTree(msg wamp.Message, json bool) node {
	v := reflect.ValueOf(msg).Elem()
	n := node{k: nList, list: []node{{k: nUint, u: uint64(msg.MessageType())}}}
	var args, kwargs reflect.Value
	for i := range v.NumField() {
		f, name := v.Field(i), v.Type().Field(i).Name
		if i == v.NumField()-1 && name != "ArgumentsKw" && strings.Contains(v.Type().Field(i).Tag.Get("wamp"), "omitempty") && f.Len() == 0 {
			continue // an optional last element (UNREGISTERED's Details)
		}
		switch {
		case name == "Arguments":
			args = f
			continue
		case name == "ArgumentsKw":
			kwargs = f
			continue
		case f.Type() == dictType && f.IsNil():
			n.list = append(n.list, node{k: nDict, dict: map[string]node{}})
			continue
		}
		n.list = append(n.list, goTree(f.Interface(), json))
	}
	if args.IsValid() && (args.Len() > 0 || kwargs.Len() > 0) {
		if args.IsNil() {
			n.list = append(n.list, node{k: nList, list: []node{}})
		} else {
			n.list = append(n.list, goTree(args.Interface(), json))
		}
	}
	if kwargs.IsValid() && kwargs.Len() > 0 {
		n.list = append(n.list, goTree(kwargs.Interface(), json))
	}
	return n
}

// sameTree compares two trees; floats also compare equal at float32
// precision (a float32 in JSON is written with its own shortest digits). In
// JSON (json set), where a number is a number, a whole float may read as an
// integer.
func sameTree(a, b node, json bool) bool {
	if json && a.k == nFloat && (b.k == nUint || b.k == nInt) {
		a, b = b, a
	}
	if json && b.k == nFloat && (a.k == nUint && float64(a.u) == b.f || a.k == nInt && float64(a.i) == b.f) {
		return true
	}
	if a.k != b.k {
		return false
	}
	switch a.k {
	case nBool:
		return a.b == b.b
	case nUint:
		return a.u == b.u
	case nInt:
		return a.i == b.i
	case nFloat:
		return a.f == b.f || float32(a.f) == float32(b.f) || (math.IsNaN(a.f) && math.IsNaN(b.f))
	case nStr:
		return a.s == b.s
	case nBin:
		return string(a.bin) == string(b.bin)
	case nList:
		if len(a.list) != len(b.list) {
			return false
		}
		for i := range a.list {
			if !sameTree(a.list[i], b.list[i], json) {
				return false
			}
		}
	case nDict:
		if len(a.dict) != len(b.dict) {
			return false
		}
		for k, x := range a.dict {
			y, ok := b.dict[k]
			if !ok || !sameTree(x, y, json) {
				return false
			}
		}
	}
	return true
}

// sentCases are the messages a client sends, with the edge cases of the
// spec's shapes.
func sentCases() []wamp.Message {
	bin := []byte{0, 1, 2, 0xfe, 0xff}
	return []wamp.Message{
		&wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": wamp.Dict{"caller": wamp.Dict{}}}},
		&wamp.Hello{Realm: "realm1"},
		&wamp.Authenticate{Signature: "sig"},
		&wamp.Goodbye{Reason: wamp.CloseNormal},
		&wamp.Subscribe{Request: 1, Topic: "t"},
		&wamp.Unsubscribe{Request: 2, Subscription: 3},
		&wamp.Register{Request: 4, Procedure: "p"},
		&wamp.Unregister{Request: 5, Registration: 6},
		&wamp.Cancel{Request: 7},
		&wamp.Call{Request: 8, Procedure: "p"},
		&wamp.Call{Request: 8, Procedure: "p", ArgumentsKw: wamp.Dict{"a": 1}},
		&wamp.Call{Request: 8, Procedure: "p", Arguments: wamp.List{}, ArgumentsKw: wamp.Dict{"a": 1}},
		&wamp.Call{Request: 8, Procedure: "p", Arguments: wamp.List{bin, "s", wamp.Dict{"b": bin}}},
		&wamp.Call{Request: 1<<64 - 1, Options: wamp.Dict{}, Procedure: "p", Arguments: wamp.List{uint64(1<<64 - 1)}},
		&wamp.Yield{Request: 9, ArgumentsKw: wamp.Dict{"k": bin}},
		&wamp.Yield{Request: 9},
		&wamp.Publish{Request: 10, Topic: "t", ArgumentsKw: wamp.Dict{"k": "v"}},
		&wamp.Error{Type: wamp.INVOCATION, Request: 11, Error: "wamp.error.x", ArgumentsKw: wamp.Dict{"k": "v"}},
		&wamp.Error{Type: wamp.INVOCATION, Request: 11, Error: "wamp.error.x"},
		// Values the fast paths decline (a []string, a map[string]int): the
		// fallback writes them, spec-shaped too.
		&wamp.Call{Request: 12, Procedure: "p", Arguments: wamp.List{[]string{"x"}}, ArgumentsKw: wamp.Dict{"m": map[string]int{"a": 1}}},
		&wamp.Call{Request: 12, Procedure: "p", ArgumentsKw: wamp.Dict{"m": map[string][]byte{"a": bin}}},
		// What a router sends (the reference router writes through this
		// serializer too).
		&wamp.Result{Request: 13, ArgumentsKw: wamp.Dict{"k": bin}},
		&wamp.Invocation{Request: 14, Registration: 15, ArgumentsKw: wamp.Dict{"k": 1}},
		&wamp.Event{Subscription: 16, Publication: 17, ArgumentsKw: wamp.Dict{"k": 1}},
		&wamp.Welcome{ID: 18},
		&wamp.Abort{Reason: "wamp.error.no_such_realm"},
		&wamp.Interrupt{Request: 19},
		&wamp.Challenge{AuthMethod: "ticket"},
	}
}

// normalizeForTree makes the values a fast path declines comparable with
// goTree (a []string is a list, a map[string]int a dictionary).
func normalizeForTree(v any) any {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice:
		if _, ok := v.([]byte); ok || rv.IsNil() {
			return v
		}
		l := make([]any, rv.Len())
		for i := range l {
			l[i] = normalizeForTree(rv.Index(i).Interface())
		}
		return l
	case reflect.Map:
		if rv.IsNil() {
			return v
		}
		d := map[string]any{}
		for it := rv.MapRange(); it.Next(); {
			d[it.Key().String()] = normalizeForTree(it.Value().Interface())
		}
		return d
	}
	return v
}

func normalizeMsg(msg wamp.Message) wamp.Message {
	v := reflect.ValueOf(msg).Elem()
	out := reflect.New(v.Type())
	out.Elem().Set(v)
	for i := range v.NumField() {
		f := out.Elem().Field(i)
		if f.Type() == dictType && !f.IsNil() {
			f.Set(reflect.ValueOf(wamp.Dict(normalizeForTree(f.Interface()).(map[string]any))))
		}
		if f.Type() == listType && !f.IsNil() {
			f.Set(reflect.ValueOf(wamp.List(normalizeForTree(f.Interface()).([]any))))
		}
	}
	return out.Interface().(wamp.Message)
}

// checkSent serializes msg through the Serializer (its fast path when it
// takes msg) and through the fallback alone, reads both frames with the
// strict reader and requires the spec's shape and msg's values.
func checkSent(t *testing.T, name string, ser *Serializer, msg wamp.Message) {
	t.Helper()
	fast, err := ser.Append(nil, msg)
	if err != nil {
		t.Fatalf("%s: %T: %v", name, msg, err)
	}
	slow, err := ser.serialize(msg)
	if err != nil {
		t.Fatalf("%s: %T: fallback: %v", name, msg, err)
	}
	want := msgTree(normalizeMsg(msg), name == "json")
	for path, frame := range map[string][]byte{"serializer": fast, "fallback": slow} {
		tree, err := strictParsers[name](frame)
		if err != nil {
			t.Fatalf("%s %s: %s gives a frame the strict reader refuses: %v\n%s", name, path, short(msg), err, short(dump(name, frame)))
		}
		if err := specShape(tree); err != nil {
			t.Fatalf("%s %s: %s is not spec-shaped: %s\n%s", name, path, short(msg), short(err), short(tree))
		}
		if !sameTree(tree, want, name == "json") {
			t.Fatalf("%s %s: %s\ngot  %s\nwant %s", name, path, short(msg), short(tree), short(want))
		}
	}
}

// short formats v, cut to a readable length.
func short(v any) string {
	s := fmt.Sprintf("%#v", v)
	if st, ok := v.(fmt.Stringer); ok {
		s = st.String()
	}
	if len(s) > 600 {
		s = s[:600] + "..."
	}
	return s
}

func dump(name string, frame []byte) string {
	if name == "json" {
		return string(frame)
	}
	return fmt.Sprintf("%x", frame)
}

func TestEverythingSentIsSpecShaped(t *testing.T) {
	for name, s := range serializationsByName {
		t.Run(name, func(t *testing.T) {
			ser := mustSerializer(s)
			for _, msg := range sentCases() {
				checkSent(t, name, ser, msg)
			}
			for seed := range uint64(250) {
				g := gen{r: rand.New(rand.NewPCG(seed, 9)), wellFormed: true}
				checkSent(t, name, ser, g.sent())
				checkSent(t, name, ser, g.received())
			}
		})
	}
}

// The spec's binary forms decode to []byte on both paths of every
// serializer; plain strings stay strings.
func TestBinaryArrivesAsBytes(t *testing.T) {
	payload := []byte{0, 1, 2, 0xfe, 0xff}
	b64 := base64.StdEncoding.EncodeToString(payload)
	frames := map[string][]string{
		"json": {
			`[50,1,{},["\u0000` + b64 + `","plain",{"k":"\u0000` + b64 + `"}]]`,     // RESULT: fast path
			`[48,1,{},"p",["\u0000` + b64 + `","plain",{"k":"\u0000` + b64 + `"}]]`, // CALL: fallback
			"[50,1,{},[\"\x00" + b64 + "\",\"plain\",{\"k\":\"\x00" + b64 + "\"}]]", // a raw NUL, as some encoders write it
		},
		"msgpack": {
			"9432" + "01" + "80" + "93" + "c405" + "000102feff" + "a5" + hexOf("plain") + "81a16b" + "c405" + "000102feff",
			"9530" + "01" + "80" + "a170" + "93" + "c405" + "000102feff" + "a5" + hexOf("plain") + "81a16b" + "c405" + "000102feff",
		},
		"cbor": {
			"84" + "1832" + "01" + "a0" + "83" + "45" + "000102feff" + "65" + hexOf("plain") + "a1616b" + "45" + "000102feff",
			"85" + "1830" + "01" + "a0" + "6170" + "83" + "45" + "000102feff" + "65" + hexOf("plain") + "a1616b" + "45" + "000102feff",
		},
	}
	for name, list := range frames {
		ser := mustSerializer(serializationsByName[name])
		for _, f := range list {
			frame := []byte(f)
			if name != "json" {
				frame = unhex(t, f)
			}
			msg, _ := ser.Deserialize(frame)
			var args wamp.List
			switch m := msg.(type) {
			case *wamp.Result:
				args = m.Arguments
			case *wamp.Call:
				args = m.Arguments
			default:
				t.Fatalf("%s %s: decoded %#v", name, f, msg)
			}
			if len(args) != 3 {
				t.Fatalf("%s %s: args %#v", name, f, args)
			}
			if b, ok := args[0].([]byte); !ok || string(b) != string(payload) {
				t.Errorf("%s %s: binary arrived as %#v", name, f, args[0])
			}
			if args[1] != "plain" {
				t.Errorf("%s %s: string arrived as %#v", name, f, args[1])
			}
			if b, ok := args[2].(map[string]any)["k"].([]byte); !ok || string(b) != string(payload) {
				t.Errorf("%s %s: nested binary arrived as %#v", name, f, args[2])
			}
		}
	}
}

// A string that starts with NUL but is not base64 is no binary: it stays a
// string.
func TestJSONNulStringThatIsNotBase64StaysAString(t *testing.T) {
	ser := mustSerializer(serialize.JSON)
	for _, f := range []string{`[50,1,{},["\u0000not base64!"]]`, `[48,1,{},"p",["\u0000not base64!"]]`} {
		msg, _ := ser.Deserialize([]byte(f))
		v := reflect.ValueOf(msg).Elem().FieldByName("Arguments").Interface().(wamp.List)
		if v[0] != "\x00not base64!" {
			t.Errorf("%s: got %#v", f, v[0])
		}
	}
}

func hexOf(s string) string { return fmt.Sprintf("%x", s) }

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	var b []byte
	if _, err := fmt.Sscanf(strings.ReplaceAll(s, " ", ""), "%x", &b); err != nil {
		t.Fatal(err)
	}
	return b
}
