package wire

import (
	"encoding/binary"
	"math"
	"sort"
	"testing"

	"github.com/gammazero/nexus/v3/wamp"
)

// The spec conformance test: every message type wampkit sends or receives,
// in forms written by hand from the WAMP spec's message definitions
// (rfc/text/basic/messages.md, rfc/text/advanced/*.md, most examples are
// the spec's own), decoded and encoded under JSON, MsgPack and CBOR, on the
// fast path and on the fallback, and read back with the strict reader of
// strict_test.go. The JSON form of every case is written by hand; the
// MsgPack and CBOR forms are built from its tree by the minimal encoders
// below (written from the format specs, shortest forms), and hexForms adds
// frames written byte by byte for the edge cases.

type confCase struct {
	name string
	json string       // the spec's form, written by hand
	msg  wamp.Message // what wampkit's engine sees
	// liberal: a form wampkit accepts but does not write (null where the
	// spec has a list or dictionary, as some routers send): decoded only.
	liberal bool
}

var confCases = []confCase{
	// Session
	{name: "HELLO", json: `[1,"somerealm",{"roles":{"publisher":{},"subscriber":{}}}]`,
		msg: &wamp.Hello{Realm: "somerealm", Details: wamp.Dict{"roles": wamp.Dict{"publisher": wamp.Dict{}, "subscriber": wamp.Dict{}}}}},
	{name: "HELLO empty details", json: `[1,"somerealm",{}]`, msg: &wamp.Hello{Realm: "somerealm"}},
	{name: "WELCOME", json: `[2,9129137332,{"roles":{"broker":{}}}]`,
		msg: &wamp.Welcome{ID: 9129137332, Details: wamp.Dict{"roles": wamp.Dict{"broker": wamp.Dict{}}}}},
	{name: "ABORT", json: `[3,{"message":"The realm does not exist."},"wamp.error.no_such_realm"]`,
		msg: &wamp.Abort{Details: wamp.Dict{"message": "The realm does not exist."}, Reason: "wamp.error.no_such_realm"}},
	{name: "CHALLENGE", json: `[4,"ticket",{}]`, msg: &wamp.Challenge{AuthMethod: "ticket"}},
	{name: "AUTHENTICATE", json: `[5,"secret!!!",{}]`, msg: &wamp.Authenticate{Signature: "secret!!!"}},
	{name: "GOODBYE", json: `[6,{"message":"The host is shutting down now."},"wamp.close.system_shutdown"]`,
		msg: &wamp.Goodbye{Details: wamp.Dict{"message": "The host is shutting down now."}, Reason: "wamp.close.system_shutdown"}},
	{name: "GOODBYE empty details", json: `[6,{},"wamp.close.goodbye_and_out"]`, msg: &wamp.Goodbye{Reason: "wamp.close.goodbye_and_out"}},

	// Publish and subscribe
	{name: "PUBLISH", json: `[16,239714735,{},"com.myapp.mytopic1"]`, msg: &wamp.Publish{Request: 239714735, Topic: "com.myapp.mytopic1"}},
	{name: "PUBLISH args", json: `[16,239714735,{"acknowledge":true},"com.myapp.mytopic1",["Hello, world!"]]`,
		msg: &wamp.Publish{Request: 239714735, Options: wamp.Dict{"acknowledge": true}, Topic: "com.myapp.mytopic1", Arguments: wamp.List{"Hello, world!"}}},
	{name: "PUBLISH kwargs only", json: `[16,239714735,{},"com.myapp.mytopic1",[],{"color":"orange","sizes":[23,42,7]}]`,
		msg: &wamp.Publish{Request: 239714735, Topic: "com.myapp.mytopic1", ArgumentsKw: wamp.Dict{"color": "orange", "sizes": wamp.List{23, 42, 7}}}},
	{name: "PUBLISHED", json: `[17,239714735,4429313566]`, msg: &wamp.Published{Request: 239714735, Publication: 4429313566}},
	{name: "SUBSCRIBE", json: `[32,713845233,{},"com.myapp.mytopic1"]`, msg: &wamp.Subscribe{Request: 713845233, Topic: "com.myapp.mytopic1"}},
	{name: "SUBSCRIBE prefix", json: `[32,713845233,{"match":"prefix"},"com.myapp"]`,
		msg: &wamp.Subscribe{Request: 713845233, Options: wamp.Dict{"match": "prefix"}, Topic: "com.myapp"}},
	{name: "SUBSCRIBED", json: `[33,713845233,5512315355]`, msg: &wamp.Subscribed{Request: 713845233, Subscription: 5512315355}},
	{name: "UNSUBSCRIBE", json: `[34,85346237,5512315355]`, msg: &wamp.Unsubscribe{Request: 85346237, Subscription: 5512315355}},
	{name: "UNSUBSCRIBED", json: `[35,85346237]`, msg: &wamp.Unsubscribed{Request: 85346237}},
	{name: "EVENT", json: `[36,5512315355,4429313566,{}]`, msg: &wamp.Event{Subscription: 5512315355, Publication: 4429313566}},
	{name: "EVENT args", json: `[36,5512315355,4429313566,{},["Hello, world!"]]`,
		msg: &wamp.Event{Subscription: 5512315355, Publication: 4429313566, Arguments: wamp.List{"Hello, world!"}}},
	{name: "EVENT kwargs only", json: `[36,5512315355,4429313566,{},[],{"color":"orange","sizes":[23,42,7]}]`,
		msg: &wamp.Event{Subscription: 5512315355, Publication: 4429313566, ArgumentsKw: wamp.Dict{"color": "orange", "sizes": wamp.List{23, 42, 7}}}},

	// Remote procedure calls
	{name: "CALL", json: `[48,7814135,{},"com.myapp.ping"]`, msg: &wamp.Call{Request: 7814135, Procedure: "com.myapp.ping"}},
	{name: "CALL args", json: `[48,7814135,{},"com.myapp.echo",["Hello, world!"]]`,
		msg: &wamp.Call{Request: 7814135, Procedure: "com.myapp.echo", Arguments: wamp.List{"Hello, world!"}}},
	{name: "CALL kwargs only", json: `[48,7814135,{},"com.myapp.user.new",[],{"firstname":"John","surname":"Doe"}]`,
		msg: &wamp.Call{Request: 7814135, Procedure: "com.myapp.user.new", ArgumentsKw: wamp.Dict{"firstname": "John", "surname": "Doe"}}},
	{name: "CALL args and kwargs", json: `[48,7814135,{},"com.myapp.user.new",["johnny"],{"firstname":"John","surname":"Doe"}]`,
		msg: &wamp.Call{Request: 7814135, Procedure: "com.myapp.user.new", Arguments: wamp.List{"johnny"}, ArgumentsKw: wamp.Dict{"firstname": "John", "surname": "Doe"}}},
	{name: "CALL binary", json: `[48,7814135,{},"com.myapp.store",["\u0000AAEC/w==",{"nested":"\u0000AQID"}]]`,
		msg: &wamp.Call{Request: 7814135, Procedure: "com.myapp.store", Arguments: wamp.List{[]byte{0, 1, 2, 0xff}, wamp.Dict{"nested": []byte{1, 2, 3}}}}},
	{name: "CALL options", json: `[48,7814135,{"receive_progress":true,"timeout":1000,"disclose_me":true},"com.myapp.slow"]`,
		msg: &wamp.Call{Request: 7814135, Options: wamp.Dict{"receive_progress": true, "timeout": 1000, "disclose_me": true}, Procedure: "com.myapp.slow"}},
	{name: "CALL ID 2^53", json: `[48,9007199254740992,{},"com.myapp.ping"]`, msg: &wamp.Call{Request: 1 << 53, Procedure: "com.myapp.ping"}},
	{name: "CALL ID max uint64", json: `[48,18446744073709551615,{},"com.myapp.ping",[18446744073709551615,-9223372036854775808]]`,
		msg: &wamp.Call{Request: math.MaxUint64, Procedure: "com.myapp.ping", Arguments: wamp.List{uint64(math.MaxUint64), int64(math.MinInt64)}}},
	{name: "CANCEL", json: `[49,7814135,{"mode":"killnowait"}]`, msg: &wamp.Cancel{Request: 7814135, Options: wamp.Dict{"mode": "killnowait"}}},
	{name: "RESULT", json: `[50,7814135,{}]`, msg: &wamp.Result{Request: 7814135}},
	{name: "RESULT args", json: `[50,7814135,{},[30]]`, msg: &wamp.Result{Request: 7814135, Arguments: wamp.List{30}}},
	{name: "RESULT kwargs only", json: `[50,7814135,{},[],{"userid":123,"karma":10}]`,
		msg: &wamp.Result{Request: 7814135, ArgumentsKw: wamp.Dict{"userid": 123, "karma": 10}}},
	{name: "RESULT progress", json: `[50,7814135,{"progress":true},[0.5]]`,
		msg: &wamp.Result{Request: 7814135, Details: wamp.Dict{"progress": true}, Arguments: wamp.List{0.5}}},
	{name: "RESULT binary", json: `[50,7814135,{},["\u0000AQID"]]`, msg: &wamp.Result{Request: 7814135, Arguments: wamp.List{[]byte{1, 2, 3}}}},
	{name: "RESULT ID max uint64", json: `[50,18446744073709551615,{}]`, msg: &wamp.Result{Request: math.MaxUint64}},
	{name: "REGISTER", json: `[64,25349185,{},"com.myapp.myprocedure1"]`, msg: &wamp.Register{Request: 25349185, Procedure: "com.myapp.myprocedure1"}},
	{name: "REGISTER options", json: `[64,25349185,{"match":"wildcard","invoke":"roundrobin"},"com.myapp..update"]`,
		msg: &wamp.Register{Request: 25349185, Options: wamp.Dict{"match": "wildcard", "invoke": "roundrobin"}, Procedure: "com.myapp..update"}},
	{name: "REGISTERED", json: `[65,25349185,2103333224]`, msg: &wamp.Registered{Request: 25349185, Registration: 2103333224}},
	{name: "UNREGISTER", json: `[66,788923562,2103333224]`, msg: &wamp.Unregister{Request: 788923562, Registration: 2103333224}},
	{name: "UNREGISTERED", json: `[67,788923562]`, msg: &Unregistered{Request: 788923562}},
	{name: "UNREGISTERED revocation", json: `[67,0,{"registration":2103333224,"reason":"wamp.error.unregistered"}]`,
		msg: &Unregistered{Details: wamp.Dict{"registration": 2103333224, "reason": "wamp.error.unregistered"}}},
	{name: "INVOCATION", json: `[68,6131533,9823526,{}]`, msg: &wamp.Invocation{Request: 6131533, Registration: 9823526}},
	{name: "INVOCATION args", json: `[68,6131533,9823526,{"procedure":"com.myapp.a.b","caller":3335656},["Hello, world!"]]`,
		msg: &wamp.Invocation{Request: 6131533, Registration: 9823526, Details: wamp.Dict{"procedure": "com.myapp.a.b", "caller": 3335656}, Arguments: wamp.List{"Hello, world!"}}},
	{name: "INVOCATION kwargs only", json: `[68,6131533,9823526,{},[],{"firstname":"John","surname":"Doe"}]`,
		msg: &wamp.Invocation{Request: 6131533, Registration: 9823526, ArgumentsKw: wamp.Dict{"firstname": "John", "surname": "Doe"}}},
	{name: "INTERRUPT", json: `[69,6131533,{"mode":"kill"}]`, msg: &wamp.Interrupt{Request: 6131533, Options: wamp.Dict{"mode": "kill"}}},
	{name: "YIELD", json: `[70,6131533,{}]`, msg: &wamp.Yield{Request: 6131533}},
	{name: "YIELD args", json: `[70,6131533,{},["Hello, world!"]]`, msg: &wamp.Yield{Request: 6131533, Arguments: wamp.List{"Hello, world!"}}},
	{name: "YIELD kwargs only", json: `[70,6131533,{},[],{"userid":123,"karma":10}]`,
		msg: &wamp.Yield{Request: 6131533, ArgumentsKw: wamp.Dict{"userid": 123, "karma": 10}}},
	{name: "YIELD progress", json: `[70,6131533,{"progress":true},[1]]`,
		msg: &wamp.Yield{Request: 6131533, Options: wamp.Dict{"progress": true}, Arguments: wamp.List{1}}},
	{name: "ERROR", json: `[8,34,85346237,{},"wamp.error.no_such_subscription"]`,
		msg: &wamp.Error{Type: wamp.UNSUBSCRIBE, Request: 85346237, Error: "wamp.error.no_such_subscription"}},
	{name: "ERROR args and kwargs", json: `[8,68,6131533,{},"com.myapp.error.object_write_protected",["Object is write protected."],{"severity":3}]`,
		msg: &wamp.Error{Type: wamp.INVOCATION, Request: 6131533, Error: "com.myapp.error.object_write_protected",
			Arguments: wamp.List{"Object is write protected."}, ArgumentsKw: wamp.Dict{"severity": 3}}},
	{name: "ERROR kwargs only", json: `[8,48,7814135,{},"com.myapp.error.invalid",[],{"field":"age"}]`,
		msg: &wamp.Error{Type: wamp.CALL, Request: 7814135, Error: "com.myapp.error.invalid", ArgumentsKw: wamp.Dict{"field": "age"}}},

	// Payload Passthru Mode (rfc/text/advanced/payload_passthru_mode.md)
	{name: "PPT CALL", json: `[48,25471,{"ppt_scheme":"wamp","ppt_serializer":"cbor","ppt_cipher":"xsalsa20poly1305","ppt_keyid":"GTtQ37XGJO2O4R8Dvx4AUo8pe61D9evIWpKGQAPdOh0="},"com.myapp.secret_rpc_for_sensitive_data",["\u0000AQID"]]`,
		msg: &wamp.Call{Request: 25471, Options: wamp.Dict{"ppt_scheme": "wamp", "ppt_serializer": "cbor", "ppt_cipher": "xsalsa20poly1305",
			"ppt_keyid": "GTtQ37XGJO2O4R8Dvx4AUo8pe61D9evIWpKGQAPdOh0="}, Procedure: "com.myapp.secret_rpc_for_sensitive_data", Arguments: wamp.List{[]byte{1, 2, 3}}}},
	{name: "PPT INVOCATION", json: `[68,35479,3344,{"ppt_scheme":"mqtt","ppt_serializer":"native"},["\u0000bXF0dA=="]]`,
		msg: &wamp.Invocation{Request: 35479, Registration: 3344, Details: wamp.Dict{"ppt_scheme": "mqtt", "ppt_serializer": "native"}, Arguments: wamp.List{[]byte("mqtt")}}},
	{name: "PPT YIELD progress", json: `[70,87683,{"ppt_scheme":"wamp","ppt_serializer":"flatbuffers","progress":true},["\u0000AA=="]]`,
		msg: &wamp.Yield{Request: 87683, Options: wamp.Dict{"ppt_scheme": "wamp", "ppt_serializer": "flatbuffers", "progress": true}, Arguments: wamp.List{[]byte{0}}}},
	{name: "PPT RESULT", json: `[50,77133,{"ppt_scheme":"x_custom"},["\u0000"]]`,
		msg: &wamp.Result{Request: 77133, Details: wamp.Dict{"ppt_scheme": "x_custom"}, Arguments: wamp.List{[]byte{}}}},
	{name: "PPT ERROR", json: `[8,68,87683,{"ppt_scheme":"wamp","ppt_serializer":"cbor"},"com.myapp.invalid_revenue_year",["\u0000AQID"]]`,
		msg: &wamp.Error{Type: wamp.INVOCATION, Request: 87683, Details: wamp.Dict{"ppt_scheme": "wamp", "ppt_serializer": "cbor"},
			Error: "com.myapp.invalid_revenue_year", Arguments: wamp.List{[]byte{1, 2, 3}}}},
	{name: "PPT PUBLISH", json: `[16,45677,{"ppt_scheme":"wamp","ppt_serializer":"cbor"},"com.myapp.mytopic1",["\u0000AQID"]]`,
		msg: &wamp.Publish{Request: 45677, Options: wamp.Dict{"ppt_scheme": "wamp", "ppt_serializer": "cbor"}, Topic: "com.myapp.mytopic1", Arguments: wamp.List{[]byte{1, 2, 3}}}},
	{name: "PPT EVENT", json: `[36,5512315355,4429313566,{"ppt_scheme":"wamp","ppt_serializer":"flatbuffers"},["\u0000AQID"]]`,
		msg: &wamp.Event{Subscription: 5512315355, Publication: 4429313566, Details: wamp.Dict{"ppt_scheme": "wamp", "ppt_serializer": "flatbuffers"},
			Arguments: wamp.List{[]byte{1, 2, 3}}}},

	// Forms some routers send and wampkit reads (never writes).
	{name: "RESULT null kwargs", json: `[50,7814135,{},[1],null]`, msg: &wamp.Result{Request: 7814135, Arguments: wamp.List{1}}, liberal: true},
	{name: "RESULT null args", json: `[50,7814135,{},null,{"k":1}]`, msg: &wamp.Result{Request: 7814135, ArgumentsKw: wamp.Dict{"k": 1}}, liberal: true},
	{name: "EVENT empty args and kwargs", json: `[36,1,2,{},[],{}]`, msg: &wamp.Event{Subscription: 1, Publication: 2}, liberal: true},
}

// hexForms are MsgPack and CBOR frames written byte by byte, each the form
// of the named case.
var hexForms = []struct{ name, format, hex string }{
	// [48,7814135,{},"com.myapp.user.new",[],{"firstname":"John","surname":"Doe"}]
	{"CALL kwargs only", "msgpack", "96" + "30" + "ce00773bf7" + "80" + "b2" + hexOf("com.myapp.user.new") + "90" +
		"82" + "a9" + hexOf("firstname") + "a4" + hexOf("John") + "a7" + hexOf("surname") + "a3" + hexOf("Doe")},
	{"CALL kwargs only", "cbor", "86" + "1830" + "1a00773bf7" + "a0" + "72" + hexOf("com.myapp.user.new") + "80" +
		"a2" + "69" + hexOf("firstname") + "64" + hexOf("John") + "67" + hexOf("surname") + "63" + hexOf("Doe")},
	// [50,7814135,{},[bin 01 02 03]]
	{"RESULT binary", "msgpack", "94" + "32" + "ce00773bf7" + "80" + "91" + "c403" + "010203"},
	{"RESULT binary", "cbor", "84" + "1832" + "1a00773bf7" + "a0" + "81" + "43" + "010203"},
	// [50,2^64-1,{}]
	{"RESULT ID max uint64", "msgpack", "93" + "32" + "cfffffffffffffffff" + "80"},
	{"RESULT ID max uint64", "cbor", "83" + "1832" + "1bffffffffffffffff" + "a0"},
	// [68,35479,3344,{"ppt_scheme":"mqtt","ppt_serializer":"native"},[bin "mqtt"]]
	{"PPT INVOCATION", "msgpack", "95" + "44" + "cd8a97" + "cd0d10" + "82" + "aa" + hexOf("ppt_scheme") + "a4" + hexOf("mqtt") +
		"ae" + hexOf("ppt_serializer") + "a6" + hexOf("native") + "91" + "c404" + hexOf("mqtt")},
	{"PPT INVOCATION", "cbor", "85" + "1844" + "198a97" + "190d10" + "a2" + "6a" + hexOf("ppt_scheme") + "64" + hexOf("mqtt") +
		"6e" + hexOf("ppt_serializer") + "66" + hexOf("native") + "81" + "44" + hexOf("mqtt")},
	// [36,5512315355,4429313566,{},[],{"color":"orange"}] with the other
	// encoders' widths: uint64 forms for small numbers (nxt), 16-bit headers.
	{"EVENT kwargs only", "msgpack", "96" + "cf0000000000000024" + "cf00000001488f41db" + "cf000000010801f61e" + "de0000" + "dc0000" +
		"82" + "a5" + hexOf("color") + "a6" + hexOf("orange") + "a5" + hexOf("sizes") + "93" + "17" + "2a" + "07"},
	{"EVENT kwargs only", "cbor", "86" + "1824" + "1b00000001488f41db" + "1b000000010801f61e" + "bf" + "ff" + "9f" + "ff" +
		"a2" + "65" + hexOf("color") + "66" + hexOf("orange") + "65" + hexOf("sizes") + "83" + "17" + "182a" + "07"},
}

func TestSpecConformance(t *testing.T) {
	for _, c := range confCases {
		handJSON, err := strictJSON([]byte(c.json))
		if err != nil {
			t.Fatalf("%s: the hand-written form is not strict JSON: %v", c.name, err)
		}
		if !c.liberal {
			if err := specShape(handJSON); err != nil {
				t.Fatalf("%s: the hand-written form breaks the spec: %v", c.name, err)
			}
		}
		frames := map[string][]byte{
			"json":    []byte(c.json),
			"msgpack": encodeMsgPack(nil, handJSON),
			"cbor":    encodeCBOR(nil, handJSON),
		}
		for name, frame := range frames {
			checkConformance(t, c, name, frame, handJSON)
		}
	}
	for _, h := range hexForms {
		var c *confCase
		for i := range confCases {
			if confCases[i].name == h.name {
				c = &confCases[i]
			}
		}
		if c == nil {
			t.Fatalf("hex form of unknown case %q", h.name)
		}
		hand, _ := strictJSON([]byte(c.json))
		checkConformance(t, *c, h.format, unhex(t, h.hex), hand)
	}
}

// checkConformance decodes frame (c's form under serializer name) on both
// paths and requires c.msg; unless c is liberal, it encodes c.msg on both
// paths and requires the hand-written form back, spec-shaped.
func checkConformance(t *testing.T, c confCase, name string, frame []byte, hand node) {
	t.Helper()
	ser := mustSerializer(serializationsByName[name])
	json := name == "json"
	tree, err := strictParsers[name](frame)
	if err != nil {
		t.Fatalf("%s %s: the strict reader refuses the hand form: %v", c.name, name, err)
	}
	if !sameTree(tree, hand, json) {
		t.Fatalf("%s %s: the hand form reads as %s, want %s", c.name, name, tree, hand)
	}
	want := msgTree(c.msg, json)
	fast, _ := ser.Deserialize(frame)
	slow, _ := ser.deserialize(frame)
	for path, m := range map[string]wamp.Message{"serializer": fast, "fallback": slow} {
		if mf, ok := m.(*Malformed); ok {
			t.Errorf("%s %s %s: decoding failed: %v", c.name, name, path, mf.Err)
			continue
		}
		if m.MessageType() != c.msg.MessageType() {
			t.Errorf("%s %s %s: decoded %T, want %T", c.name, name, path, m, c.msg)
			continue
		}
		if got := msgTree(m, false); !sameTree(got, msgTree(c.msg, false), false) {
			t.Errorf("%s %s %s: decoded\n%s\nwant\n%s", c.name, name, path, got, msgTree(c.msg, false))
		}
	}
	if c.liberal {
		return
	}
	fastOut, err := ser.Append(nil, c.msg)
	if err != nil {
		t.Fatalf("%s %s: encode: %v", c.name, name, err)
	}
	slowOut, err := ser.serialize(c.msg)
	if err != nil {
		t.Fatalf("%s %s: fallback encode: %v", c.name, name, err)
	}
	for path, out := range map[string][]byte{"serializer": fastOut, "fallback": slowOut} {
		got, err := strictParsers[name](out)
		if err != nil {
			t.Errorf("%s %s %s: the strict reader refuses what wampkit writes: %v\n%s", c.name, name, path, err, dump(name, out))
			continue
		}
		if err := specShape(got); err != nil {
			t.Errorf("%s %s %s: not spec-shaped: %v\n%s", c.name, name, path, err, got)
		}
		if !sameTree(got, hand, json) || !sameTree(got, want, json) {
			t.Errorf("%s %s %s: wrote\n%s\nwant\n%s", c.name, name, path, got, hand)
		}
	}
}

// encodeMsgPack writes n in MessagePack's shortest forms (the format spec:
// positive and negative fixint, uint and int 8-64, float 64, fixstr and str
// 8-32, bin 8-32, fixarray and array 16/32, fixmap and map 16/32).
func encodeMsgPack(b []byte, n node) []byte {
	be := binary.BigEndian
	switch n.k {
	case nNull:
		return append(b, 0xc0)
	case nBool:
		if n.b {
			return append(b, 0xc3)
		}
		return append(b, 0xc2)
	case nUint:
		switch u := n.u; {
		case u < 0x80:
			return append(b, byte(u))
		case u <= math.MaxUint8:
			return append(b, 0xcc, byte(u))
		case u <= math.MaxUint16:
			return be.AppendUint16(append(b, 0xcd), uint16(u))
		case u <= math.MaxUint32:
			return be.AppendUint32(append(b, 0xce), uint32(u))
		default:
			return be.AppendUint64(append(b, 0xcf), u)
		}
	case nInt:
		switch i := n.i; {
		case i >= -32:
			return append(b, byte(i))
		case i >= math.MinInt8:
			return append(b, 0xd0, byte(i))
		case i >= math.MinInt16:
			return be.AppendUint16(append(b, 0xd1), uint16(i))
		case i >= math.MinInt32:
			return be.AppendUint32(append(b, 0xd2), uint32(i))
		default:
			return be.AppendUint64(append(b, 0xd3), uint64(i))
		}
	case nFloat:
		return be.AppendUint64(append(b, 0xcb), math.Float64bits(n.f))
	case nStr:
		b = mpHead(b, len(n.s), 0xa0, 32, 0xd9)
		return append(b, n.s...)
	case nBin:
		switch l := len(n.bin); {
		case l <= math.MaxUint8:
			b = append(b, 0xc4, byte(l))
		case l <= math.MaxUint16:
			b = be.AppendUint16(append(b, 0xc5), uint16(l))
		default:
			b = be.AppendUint32(append(b, 0xc6), uint32(l))
		}
		return append(b, n.bin...)
	case nList:
		b = mpHead(b, len(n.list), 0x90, 16, 0)
		for _, e := range n.list {
			b = encodeMsgPack(b, e)
		}
		return b
	}
	b = mpHead(b, len(n.dict), 0x80, 16, 0)
	for _, k := range sortedKeys(n.dict) {
		b = encodeMsgPack(b, node{k: nStr, s: k})
		b = encodeMsgPack(b, n.dict[k])
	}
	return b
}

// mpHead writes a string, array or map header: the fix form below fixMax,
// else str 8 (code8, strings only), 16 or 32.
func mpHead(b []byte, l int, fix byte, fixMax int, code8 byte) []byte {
	be := binary.BigEndian
	switch {
	case l < fixMax:
		return append(b, fix|byte(l))
	case code8 != 0 && l <= math.MaxUint8:
		return append(b, code8, byte(l))
	}
	var c16, c32 byte
	switch fix {
	case 0xa0:
		c16, c32 = 0xda, 0xdb
	case 0x90:
		c16, c32 = 0xdc, 0xdd
	default:
		c16, c32 = 0xde, 0xdf
	}
	if l <= math.MaxUint16 {
		return be.AppendUint16(append(b, c16), uint16(l))
	}
	return be.AppendUint32(append(b, c32), uint32(l))
}

// encodeCBOR writes n in CBOR's preferred serialization (RFC 8949 4.2:
// shortest argument, definite lengths); floats as 64-bit.
func encodeCBOR(b []byte, n node) []byte {
	switch n.k {
	case nNull:
		return append(b, 0xf6)
	case nBool:
		if n.b {
			return append(b, 0xf5)
		}
		return append(b, 0xf4)
	case nUint:
		return cborHeadOut(b, 0, n.u)
	case nInt:
		return cborHeadOut(b, 1, uint64(-1-n.i))
	case nFloat:
		return binary.BigEndian.AppendUint64(append(b, 0xfb), math.Float64bits(n.f))
	case nStr:
		return append(cborHeadOut(b, 3, uint64(len(n.s))), n.s...)
	case nBin:
		return append(cborHeadOut(b, 2, uint64(len(n.bin))), n.bin...)
	case nList:
		b = cborHeadOut(b, 4, uint64(len(n.list)))
		for _, e := range n.list {
			b = encodeCBOR(b, e)
		}
		return b
	}
	b = cborHeadOut(b, 5, uint64(len(n.dict)))
	for _, k := range sortedKeys(n.dict) {
		b = encodeCBOR(b, node{k: nStr, s: k})
		b = encodeCBOR(b, n.dict[k])
	}
	return b
}

func cborHeadOut(b []byte, major byte, arg uint64) []byte {
	m := major << 5
	be := binary.BigEndian
	switch {
	case arg < 24:
		return append(b, m|byte(arg))
	case arg <= math.MaxUint8:
		return append(b, m|24, byte(arg))
	case arg <= math.MaxUint16:
		return be.AppendUint16(append(b, m|25), uint16(arg))
	case arg <= math.MaxUint32:
		return be.AppendUint32(append(b, m|26), uint32(arg))
	}
	return be.AppendUint64(append(b, m|27), arg)
}

func sortedKeys(d map[string]node) []string {
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
