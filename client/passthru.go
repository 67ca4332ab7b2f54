package client

import (
	"errors"
	"fmt"

	"github.com/gammazero/nexus/v3/wamp"
)

// Passthru is a payload in Payload Passthru Mode (PPT, the WAMP spec's
// advanced feature "payload_passthru_mode"): bytes that the router forwards
// without looking into them, with attributes that say what they are. The
// application serializes, and may encrypt, the bytes itself; wampkit never
// decodes them.
//
// On the wire the bytes are the only element of Arguments, and Scheme,
// Serializer, Cipher and KeyID travel as the ppt_scheme, ppt_serializer,
// ppt_cipher and ppt_keyid options (CALL, YIELD, PUBLISH) or details
// (INVOCATION, RESULT, EVENT, ERROR).
//
// Set [Payload.Passthru] (or [Error.Passthru]) to send one with the raw API:
// [Client.Call], [Client.StartCall] and a streamed call's chunks
// ([PendingCall.Send], [PendingCall.SendFinal]), an [InvocationHandler]'s
// result, progressive results ([Invocation.Progress]) or error,
// [Client.Publish]. A received message that carries ppt_scheme comes with
// Passthru set and no Args or Kwargs (results, progressive or not,
// invocations and their streamed input chunks, events, errors). One that
// carries ppt_scheme but not exactly one binary argument (or has keyword
// arguments) is refused with an error matching [ErrProtocol]: the call
// fails, the invocation is answered with wamp.error.invalid_argument, the
// input chunk is an error from [Invocation.NextInput], the event is dropped
// and logged; it is never handed on as something else. The typed packages (callee, caller) hand a
// Passthru on only to a client.Payload (the In or Out type, or a result
// returned as a client.Payload); decoding one into any other type fails with
// an error matching [ErrPassthru].
//
// The router must support PPT; nexus does (and refuses it from a client that
// does not announce the feature, which wampkit does).
type Passthru struct {
	// Scheme is ppt_scheme, required: "mqtt", "wamp" (end-to-end
	// encryption), or an application's own ("x_my_ppt").
	Scheme string
	// Serializer is ppt_serializer: "native", "json", "msgpack", "cbor",
	// "flatbuffers", or "" when not given.
	Serializer string
	// Cipher is ppt_cipher ("xsalsa20poly1305", "aes256gcm"), "" when the
	// payload is not encrypted.
	Cipher string
	// KeyID is ppt_keyid, the key the payload was encrypted with, or "".
	KeyID string
	// Payload is the binary payload.
	Payload []byte
}

// ErrPassthru: a payload in Payload Passthru Mode reached a place that only
// takes arguments and keyword arguments (a typed decode or encode).
var ErrPassthru = errors.New("client: payload in Payload Passthru Mode (PPT)")

// The PPT option and detail keys.
const (
	pptScheme     = "ppt_scheme"
	pptSerializer = "ppt_serializer"
	pptCipher     = "ppt_cipher"
	pptKeyID      = "ppt_keyid"
)

// onWire gives what p travels as: its Args, Kwargs and opts as they are,
// or in Payload Passthru Mode the passthru argument, no Kwargs, and a copy
// of opts (the message's options or details) with p's attributes (see
// Passthru.wire, whose error it returns).
func (p Payload) onWire(opts wamp.Dict) (args []any, kwargs map[string]any, out wamp.Dict, err error) {
	if p.Passthru == nil {
		return p.Args, p.Kwargs, opts, nil
	}
	args, out, err = p.Passthru.wire(p.Args, p.Kwargs, opts)
	return args, nil, out, err
}

// wire checks p and gives what it travels as: the Arguments, and a copy of
// opts (the message's options or details) with its attributes added. args
// and kwargs are what else the message would carry: they must be empty.
func (p *Passthru) wire(args []any, kwargs map[string]any, opts wamp.Dict) ([]any, wamp.Dict, error) {
	if p.Scheme == "" {
		return nil, nil, fmt.Errorf("%w: Passthru.Scheme (ppt_scheme) is required", ErrInvalidOption)
	}
	if len(args) > 0 || len(kwargs) > 0 {
		return nil, nil, fmt.Errorf("%w: a Passthru payload goes without Args and Kwargs (%d and %d given)",
			ErrInvalidOption, len(args), len(kwargs))
	}
	out := make(wamp.Dict, len(opts)+4)
	for k, v := range opts {
		out[k] = v
	}
	out[pptScheme] = p.Scheme
	for k, v := range map[string]string{pptSerializer: p.Serializer, pptCipher: p.Cipher, pptKeyID: p.KeyID} {
		if v != "" {
			out[k] = v
		}
	}
	b := p.Payload
	if b == nil {
		b = []byte{} // binary, never null
	}
	return []any{b}, out, nil
}

// payloadFrom reads a received message's arguments: a PPT message (details
// carry ppt_scheme) gives a Payload with Passthru set, after checking its
// shape; what is names the message in the error.
func payloadFrom(what string, args []any, kwargs map[string]any, details map[string]any) (Payload, error) {
	p, err := passthruFrom(what, args, kwargs, details)
	if err != nil || p != nil {
		return Payload{Passthru: p}, err
	}
	return Payload{Args: args, Kwargs: kwargs}, nil
}

// passthruFrom returns the Passthru of a received message, nil when it is
// not in PPT, or an error matching ErrProtocol when it claims PPT in a form
// that is not.
func passthruFrom(what string, args []any, kwargs map[string]any, details map[string]any) (*Passthru, error) {
	raw, ok := details[pptScheme]
	if !ok {
		return nil, nil
	}
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s in Payload Passthru Mode: %s", ErrProtocol, what, fmt.Sprintf(format, a...))
	}
	p := &Passthru{}
	for k, dst := range map[string]*string{pptScheme: &p.Scheme, pptSerializer: &p.Serializer, pptCipher: &p.Cipher, pptKeyID: &p.KeyID} {
		v, ok := details[k]
		if !ok {
			continue
		}
		s, isString := v.(string)
		if !isString {
			return nil, bad("%s is %T, not a string", k, v)
		}
		*dst = s
	}
	if p.Scheme == "" {
		return nil, bad("empty ppt_scheme (raw %v)", raw)
	}
	if len(args) != 1 || len(kwargs) != 0 {
		return nil, bad("ppt_scheme %q needs exactly one binary argument and no keyword arguments, got %d arguments and %d keyword arguments",
			p.Scheme, len(args), len(kwargs))
	}
	b, isBinary := args[0].([]byte)
	if !isBinary {
		return nil, bad("ppt_scheme %q: the argument is %T, not binary", p.Scheme, args[0])
	}
	p.Payload = b
	return p, nil
}
