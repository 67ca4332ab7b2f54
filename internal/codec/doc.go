// Package codec is wampkit's one mapping between Go values and WAMP
// positional and keyword arguments (args and kwargs). The callee, caller and
// metaclient packages use it, so every typed API follows the same rules.
// It imports neither client nor the typed packages: a client.Payload, which
// is arguments already, is recognised before codec is asked (see
// internal/payload).
//
// # Go to WAMP
//
// [Encode] turns a value into arguments: nil sends none; a struct with positional fields (`wamp:"#0"`,
// `wamp:"#1"`, ...) sends those as args and its other fields as kwargs; any
// other value v is sent as args=[v]. Values are first made plain
// ([EncodeValue]) so that the JSON, MsgPack and CBOR serializers all see the
// same thing: structs become map[string]any, time.Time an RFC 3339 string,
// encoding.TextMarshaler types their text, []byte stays []byte.
//
// # WAMP to Go
//
// [DecodeArgs] is the callee-side rule, [DecodeResult] the caller-side rule
// and [DecodeValue] decodes one value. Struct fields are named on the wire by
// their `wamp` tag, else their `json` tag, else the Go field name; keys match
// that name exactly, and as a fallback a key matches a wire or Go field name
// case-insensitively. Embedded structs are flattened as by encoding/json.
// Tag options: `wamp:"name,required"` makes a missing or null field an error,
// `wamp:"#1"` takes positional argument 1, `wamp:"name,#1"` takes positional
// argument 1 or keyword "name" (so one struct accepts positional arguments,
// keyword arguments or a single positional object; such fields are encoded by
// name, so the struct travels as one object), "omitempty" and "omitzero" (in
// either tag) skip empty fields when encoding, "-" skips the field. As in
// encoding/json an empty name keeps the default one: `wamp:",#1"` takes
// positional argument 1 or the keyword of the json tag or Go field name. A
// position is #0 to #255, one per field; a tag that breaks this is an error
// of every Encode and Decode of the struct.
//
// Numbers convert between kinds only when no value is lost: 3.0 fits an int
// but 3.5 does not, 300 does not fit an int8, -1 no uint, 2^53+1 no float64.
// A float64 going into a float32 rounds to the nearest float32 (JSON cannot
// carry a float32 exactly) but must be in range. Any integer width MsgPack
// produces is accepted; uint64 stays exact. time.Time accepts RFC 3339 with
// or without fractional seconds, with Z or an offset, the offset without a
// colon that nexus writes ("2006-01-02T15:04:05-0700"), no zone (UTC), and
// time.Time values (MsgPack and CBOR timestamps). []byte accepts []byte and,
// for JSON, base64 strings with or without the WAMP "\x00" prefix. An `any`
// target receives the value as decoded, with map[any]any turned into
// map[string]any throughout; it may share memory with the input. Null leaves
// any target at its zero value. encoding.TextUnmarshaler types decode from
// strings.
//
// Unknown keyword arguments and object keys are ignored unless [Strict] is
// given. Every failure is a [*DecodeError] naming the path, the wanted Go
// type and the received value:
//
//	codec: decode "user.tags[2]": want int, got "x" (string)
//
// Decode and encode plans are built once per Go type and cached; all
// functions are safe for concurrent use.
//
// # Example
//
//	type Add struct {
//		A    int    `wamp:"#0"`
//		B    int    `wamp:"#1"`
//		Note string `json:"note,omitempty"`
//	}
//	args, kwargs, _ := codec.Encode(Add{A: 1, B: 2, Note: "hi"})
//	// args = [1 2], kwargs = map[note:hi]
//	var in Add
//	err := codec.DecodeArgs(args, kwargs, &in)
package codec
