// Package payload is where the typed packages (callee, caller) apply the
// payload convention to a [client.Payload], so that [codec], which maps Go
// values to arguments, knows nothing of client:
//
//   - a client.Payload, or what a *client.Payload points to, is sent as it
//     is (Payload Passthru Mode included); any other value as codec.Encode
//     maps it;
//   - a client.Payload target takes the received payload as it is; a
//     *client.Payload target stays nil when the payload carries nothing and
//     points to a copy otherwise; any other target is decoded by the rule
//     in use, and a payload in Payload Passthru Mode cannot be decoded into
//     it: that is an error matching [client.ErrPassthru].
//
// The functions are safe for concurrent use.
package payload

import (
	"fmt"
	"reflect"
	"sync"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/codec"
	"github.com/wampkit/wampkit/internal/kithook"
	"github.com/wampkit/wampkit/internal/outgoing"
	"github.com/wampkit/wampkit/internal/wire"
)

// Encode gives the payload that sends v.
func Encode(v any) (client.Payload, error) {
	switch p := v.(type) {
	case client.Payload:
		return p, nil
	case *client.Payload:
		if p == nil {
			return client.Payload{}, nil
		}
		return *p, nil
	}
	args, kwargs, err := codec.Encode(v)
	if err != nil {
		return client.Payload{}, err
	}
	return client.Payload{Args: args, Kwargs: kwargs}, nil
}

// DecodeArgs decodes p into dst, a non-nil pointer, by the callee-side
// rule ([codec.DecodeArgs]).
func DecodeArgs(p client.Payload, dst any, opts ...codec.Option) error {
	if done, err := decodeWithoutRule(&p, dst, opts); done {
		return err
	}
	return codec.DecodeArgs(p.Args, p.Kwargs, dst, opts...)
}

// DecodeResult decodes p into dst, a non-nil pointer, by the caller-side
// rule ([codec.DecodeResult]).
func DecodeResult(p client.Payload, dst any, opts ...codec.Option) error {
	if done, err := decodeWithoutRule(&p, dst, opts); done {
		return err
	}
	return codec.DecodeResult(p.Args, p.Kwargs, dst, opts...)
}

// decodeWithoutRule decodes p into dst where neither side's rule is
// needed (done): a client.Payload target or a payload in Payload
// Passthru Mode (decodeRaw), a twin (takeTwin), an object kept undecoded
// (decodeDirect, which otherwise reads it into values in p for the rule).
func decodeWithoutRule(p *client.Payload, dst any, opts []codec.Option) (done bool, err error) {
	if done, err := decodeRaw(*p, dst); done {
		return true, err
	}
	if takeTwin(p.Args, p.Kwargs, dst, opts) {
		return true, nil
	}
	return decodeDirect(p, dst, opts)
}

// decodeDirect decodes a payload whose one object the wire peer kept
// undecoded (args=[wire.Raw], see client: session.keepsRaw) straight into dst
// when the direct decoder takes it (done); else it reads the object into
// values in p, for the codec's rule, with dst zeroed. Bytes that do not
// decode are an error matching client.ErrProtocol.
func decodeDirect(p *client.Payload, dst any, opts []codec.Option) (done bool, err error) {
	raw, ok := wire.RawArg(p.Args)
	if !ok {
		return false, nil
	}
	if p.Kwargs == nil && len(opts) == 0 && codec.DirectTarget(dst) {
		rd := readers.Get().(*wire.RawReader)
		raw.Reader(rd)
		ok := codec.DecodeDirect(rd, dst)
		*rd = wire.RawReader{} // holds nothing of the payload while pooled
		readers.Put(rd)
		if ok {
			return true, nil
		}
		reflect.ValueOf(dst).Elem().SetZero()
	}
	if err := readBack(p); err != nil {
		return true, err
	}
	return false, nil
}

// readers keeps RawReaders between decodes: one given to the codec as a
// Source escapes, and would be an allocation every decode.
var readers = sync.Pool{New: func() any { return new(wire.RawReader) }}

// readBack reads p's kept object into values. Bytes that do not decode
// are an error matching client.ErrProtocol.
func readBack(p *client.Payload) error {
	args, err := wire.Unraw(p.Args)
	if err != nil {
		return fmt.Errorf("%w: the arguments do not decode: %w", client.ErrProtocol, err)
	}
	p.Args = args
	return nil
}

// decodeRaw applies the package rule to client.Payload targets and to a p
// in Payload Passthru Mode; done is false when the codec's rule applies.
// (Direct codec calls and a copy of p made only for a **client.Payload keep
// the common path free of allocations.)
func decodeRaw(p client.Payload, dst any) (done bool, err error) {
	switch dst.(type) {
	case *client.Payload, **client.Payload:
		if _, ok := wire.RawArg(p.Args); ok { // values, for the application
			if err := readBack(&p); err != nil {
				return true, err
			}
		}
	}
	switch d := dst.(type) {
	case *client.Payload:
		if d != nil {
			*d = p
			return true, nil
		}
	case **client.Payload:
		if d != nil {
			*d = nil
			if !p.IsZero() {
				c := p
				*d = &c
			}
			return true, nil
		}
	}
	if p.Passthru != nil {
		return true, fmt.Errorf("%w (ppt_scheme %q) cannot be decoded into %s: take a client.Payload",
			client.ErrPassthru, p.Passthru.Scheme, targetType(dst))
	}
	return false, nil
}

// targetType names the type dst points to.
func targetType(dst any) string {
	t := reflect.TypeOf(dst)
	if t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return fmt.Sprint(t)
}

// EncodeFresh is Encode for a payload that goes into one message without
// any application code seeing it (a typed Call's arguments, a typed
// handler's answer, before any interceptor). b.Fresh reports that the
// codec made all of it (codec.EncodeFresh): it may then be marked frozen
// (FreezeCall, FreezeAnswer), and the in-process link may hand it to its
// receiver without a copy (internal/handover); what the codec measured of
// it (b.Measured) is then not walked again before it is sent. The caller
// must not modify it, nor hand it to code that may. With twin (the payload
// may be handed over in process: CallTwin, AnswerTwin), for the plainest
// structs it also records the payload's twin (see twin.go), which a typed
// decoder handed this very payload over the in-process link takes instead
// of decoding it.
func EncodeFresh(v any, twin bool) (p client.Payload, b outgoing.Built, err error) {
	switch v.(type) {
	case client.Payload, *client.Payload:
		p, err = Encode(v)
		return p, outgoing.Built{}, err
	}
	args, kwargs, b, err := codec.EncodeFresh(v)
	if err != nil {
		return client.Payload{}, outgoing.Built{}, err
	}
	if twin {
		recordTwin(v, args, kwargs, b)
	}
	return client.Payload{Args: args, Kwargs: kwargs}, b, nil
}

// EncodeDirect is EncodeFresh written straight into the serialization of
// the sink that sink gives (see codec.EncodeDirect): args=[raw], one
// wire.Raw value. sink is asked only for a v of a type the path takes
// (Direct). ok is false where that path does not take v (a type it does
// not take, a nil sink, a value it declines): then EncodeFresh is the way.
func EncodeDirect(sink func() *wire.Sink, v any) (p client.Payload, b outgoing.Built, ok bool) {
	if !Direct(v) {
		return client.Payload{}, outgoing.Built{}, false
	}
	s := sink()
	if s == nil || !codec.EncodeDirect(s, v) {
		return client.Payload{}, outgoing.Built{}, false
	}
	raw, ok := s.Raw()
	if !ok {
		return client.Payload{}, outgoing.Built{}, false
	}
	// The list around it adds one byte ('[' and ']' in JSON).
	n := raw.Len()
	b = outgoing.Built{Fresh: true, Measured: true, Direct: true,
		Measure: outgoing.Measure{Lo: n + 1, Hi: n + 2, Inexact: true}}
	return client.Payload{Args: []any{raw}}, b, true
}

// Direct reports whether EncodeDirect may take v, by its type: a struct
// sent as one object, not a client.Payload.
func Direct(v any) bool {
	switch v.(type) {
	case client.Payload, *client.Payload:
		return false
	}
	return codec.DirectCandidate(v)
}

// CallSink returns what gives a Sink for the arguments of a call through
// c, or nil (kithook.CallSink).
func CallSink(c *client.Client) func() *wire.Sink {
	return func() *wire.Sink { return kithook.CallSink.(func(*client.Client) *wire.Sink)(c) }
}

// CallTwin reports whether a typed call's arguments through c may be
// handed over in process (kithook.CallTwin): then EncodeFresh may make
// their twin.
func CallTwin(c *client.Client) bool {
	return kithook.CallTwin.(func(*client.Client) bool)(c)
}

// AnswerTwin is CallTwin for the answer to inv (kithook.AnswerTwin).
func AnswerTwin(inv *client.Invocation) bool {
	return kithook.AnswerTwin.(func(*client.Invocation) bool)(inv)
}

// AnswerSink returns what gives a Sink for the answer to inv, or nil
// (kithook.AnswerSink).
func AnswerSink(inv *client.Invocation) func() *wire.Sink {
	return func() *wire.Sink { return kithook.AnswerSink.(func(*client.Invocation) *wire.Sink)(inv) }
}

// DirectInput reports whether a handler that decodes its input into a T
// (DecodeArgs of Slot.InvocationPayload) may be handed a received object
// undecoded: T copies what it keeps and the direct decoder takes it.
func DirectInput[T any]() bool {
	t := reflect.TypeFor[T]()
	return codec.Copies(t) && codec.DirectTarget(reflect.New(t).Interface())
}

// TypedInput returns opts marked for a handler that reads its input only
// through DecodeArgs (kithook.TypedInput).
func TypedInput(opts client.RegisterOptions) client.RegisterOptions {
	return kithook.TypedInput.(func(client.RegisterOptions) client.RegisterOptions)(opts)
}

// FreezeCall returns req with its payload, which EncodeFresh built fresh
// (b), marked frozen.
func FreezeCall(req client.CallRequest, b outgoing.Built) client.CallRequest {
	return kithook.FreezeCall.(func(client.CallRequest, outgoing.Built) client.CallRequest)(req, b)
}

// FreezeAnswer marks p, the answer inv's handler returns, which
// EncodeFresh built fresh (b), as frozen.
func FreezeAnswer(inv *client.Invocation, p client.Payload, b outgoing.Built) {
	kithook.FreezeAnswer.(func(*client.Invocation, client.Payload, outgoing.Built))(inv, p, b)
}
