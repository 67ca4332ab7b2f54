package client

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	"github.com/gammazero/nexus/v3/wamp"

	"github.com/wampkit/wampkit/internal/wire"
)

// Outgoing payloads are checked on the caller's goroutine, before anything
// is queued for the transport: a value no serializer can carry (a cycle, a
// complex number, a channel, a func; NaN or an infinity under JSON) fails
// that call with ErrInvalidPayload, and a message larger than the other
// side accepts fails it with ErrMessageTooLarge. Neither reaches the
// writer goroutine, which would otherwise overflow its stack on a cycle,
// block reading a channel, or send null in place of NaN.
//
// The check is one walk over the payload that also bounds its encoded size
// from below and above (for any of the three formats). Only a message whose
// upper bound passes the limit is serialized once more to measure it
// exactly; a small call costs a type switch per value.

// maxPayloadDepth is how deeply an outgoing payload may nest (lists, maps,
// structs and pointers). Deeper is refused as ErrInvalidPayload: a cyclic
// value is nested infinitely.
const maxPayloadDepth = 128

// ErrInvalidPayload matches the error of a call, publication or answer
// whose payload (or options) no serializer can carry: a cyclic value (or one
// nested deeper than 128 levels), a complex number, a channel, a func, a map
// with keys that are not strings, or NaN or an infinity under JSON. The error says
// where (args[0].user.score). Nothing was sent; the session goes on.
var ErrInvalidPayload = errors.New("client: payload cannot be serialized")

// ErrMessageTooLarge matches the error of a message larger than the router
// accepts: the limit it announced over rawsocket (at most 2^24-1 bytes),
// 16 MiB over websocket. Nothing was sent; only that request fails. A
// callee's answer that is too large reaches its caller as
// wamp.error.runtime_error.
var ErrMessageTooLarge = errors.New("client: message too large")

// ErrSlowConsumer: progressive results arrived faster than they were read
// and overflowed the call's buffer; the call was canceled.
var ErrSlowConsumer = errors.New("client: slow consumer: buffer limit reached")

// payloadError says where in a payload a value cannot be serialized. It
// matches ErrInvalidPayload.
type payloadError struct {
	Path    string // args[1].user.tags[3]
	Problem string
}

func (e *payloadError) Error() string {
	return fmt.Sprintf("session: payload %s: %s", e.Path, e.Problem)
}

// Is makes errors.Is(err, ErrInvalidPayload) hold.
func (e *payloadError) Is(target error) bool { return target == ErrInvalidPayload }

// walker walks one message's values.
type walker struct {
	finite bool // NaN and infinities are refused (JSON)
	limit  int  // 0: no size limit
	lo, hi int  // bounds of the encoded size so far
	// approx is approxSize of what was walked (what the receiver of a
	// handed-over payload charges, handover.Give), while inexact is false:
	// values that take reflection make it inexact.
	approx  int
	inexact bool
}

// walkErr is a failure deep in a value; the path is built while unwinding.
type walkErr struct {
	path    []string // innermost first
	problem string
	large   int // > 0: the lower bound passed the limit
}

func (e *walkErr) at(step string) *walkErr {
	e.path = append(e.path, step)
	return e
}

// checkOut checks the payload and options of a message the session is about
// to send, and returns an upper bound of its encoded size, and approxSize of
// its Arguments and ArgumentsKw together (-1 when not measured). Messages
// without a payload pass.
func (s *session) checkOut(msg wamp.Message) (size, approx int, err error) {
	var (
		uri    wamp.URI
		opts   wamp.Dict
		args   wamp.List
		kwargs wamp.Dict
	)
	switch m := msg.(type) {
	case *wamp.Call:
		uri, opts, args, kwargs = m.Procedure, m.Options, m.Arguments, m.ArgumentsKw
	case *wamp.Yield:
		opts, args, kwargs = m.Options, m.Arguments, m.ArgumentsKw
	case *wamp.Publish:
		uri, opts, args, kwargs = m.Topic, m.Options, m.Arguments, m.ArgumentsKw
	case *wamp.Error:
		uri, opts, args, kwargs = m.Error, m.Details, m.Arguments, m.ArgumentsKw
	case *wamp.Register:
		uri, opts = m.Procedure, m.Options
	case *wamp.Subscribe:
		uri, opts = m.Topic, m.Options
	default:
		return 0, -1, nil
	}
	w := walker{finite: s.cfg.RejectNonFinite, limit: s.limit}
	w.add(len(uri)+16, 6*len(uri)+64) // the envelope: type, IDs, URI
	if err := w.dict(opts, 1); err != nil {
		return 0, 0, s.walkFailed(err.at("options"))
	}
	before := w.approx
	if err := w.list(args, 1); err != nil {
		return 0, 0, s.walkFailed(err.at("args"))
	}
	if err := w.dict(kwargs, 1); err != nil {
		return 0, 0, s.walkFailed(err.at("kwargs"))
	}
	approx = w.approx - before
	if w.inexact {
		approx = -1
	}
	if s.limit <= 0 || w.hi <= s.limit || s.sizer == nil {
		return w.hi, approx, nil
	}
	n, err := s.sizer.EncodedSize(msg)
	if err != nil {
		return 0, 0, fmt.Errorf("%w: %w", ErrInvalidPayload, err)
	}
	if n > s.limit {
		return 0, 0, fmt.Errorf("%w: %v of %d bytes, the limit is %d", ErrMessageTooLarge, msg.MessageType(), n, s.limit)
	}
	return n, approx, nil
}

func (s *session) walkFailed(e *walkErr) error {
	if e.large > 0 {
		return fmt.Errorf("%w: at least %d bytes, the limit is %d", ErrMessageTooLarge, e.large, s.limit)
	}
	var b strings.Builder
	for i := len(e.path) - 1; i >= 0; i-- {
		if len(e.path)-i > 8 { // a cycle's path says nothing more
			b.WriteString("...")
			break
		}
		b.WriteString(e.path[i])
	}
	return &payloadError{Path: b.String(), Problem: e.problem}
}

func (w *walker) add(lo, hi int) { w.lo, w.hi = w.lo+lo, w.hi+hi }

// over reports whether the lower bound passed the limit: the walk stops
// there, which also bounds its work on a value that shares sub-values many
// times over.
func (w *walker) over() *walkErr {
	if w.limit > 0 && w.lo > w.limit {
		return &walkErr{large: w.lo}
	}
	return nil
}

func (w *walker) list(l []any, depth int) *walkErr {
	if l == nil {
		w.approx += 2
		return nil
	}
	if depth > maxPayloadDepth {
		return &walkErr{problem: fmt.Sprintf("nested more than %d levels deep (a cyclic value?)", maxPayloadDepth)}
	}
	w.add(1, 9+len(l))
	w.approx += 2 + len(l)
	for i, v := range l {
		if err := w.value(v, depth+1); err != nil {
			return err.at("[" + strconv.Itoa(i) + "]")
		}
	}
	return w.over()
}

func (w *walker) dict(d map[string]any, depth int) *walkErr {
	if d == nil {
		w.approx += 2
		return nil
	}
	if depth > maxPayloadDepth {
		return &walkErr{problem: fmt.Sprintf("nested more than %d levels deep (a cyclic value?)", maxPayloadDepth)}
	}
	w.add(1, 9+2*len(d))
	w.approx += 2
	for k, v := range d {
		w.add(len(k)+1, 6*len(k)+9)
		w.approx += len(k) + 4
		if err := w.value(v, depth+1); err != nil {
			return err.at(key(k))
		}
	}
	return w.over()
}

func key(k string) string {
	if k != "" && strings.IndexFunc(k, func(r rune) bool {
		return !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) < 0 {
		return "." + k
	}
	return "[" + strconv.Quote(k) + "]"
}

// value checks one value: the types the codec and the decoders produce take
// a type switch, anything else reflection.
func (w *walker) value(v any, depth int) *walkErr {
	switch x := v.(type) {
	case nil:
		w.add(1, 5)
		w.approx++
	case string:
		w.add(len(x)+1, 6*len(x)+9)
		w.approx += len(x) + 2
	case bool:
		w.add(1, 5)
		w.approx++
	case int, int64, int32, int16, int8, uint, uint64, uint32, uint16, uint8, wamp.ID:
		w.add(1, 21)
		w.approx += 8
	case float64:
		w.approx += 8
		return w.float(x)
	case float32:
		w.approx += 8
		return w.float(float64(x))
	case []byte:
		w.add(len(x)+1, 2*len(x)+16)
		w.approx += len(x) + 2
	case []any:
		return w.list(x, depth)
	case wamp.List:
		return w.list(x, depth)
	case map[string]any:
		return w.dict(x, depth)
	case wamp.Dict:
		return w.dict(x, depth)
	default:
		w.inexact = true
		return w.reflect(reflect.ValueOf(v), depth)
	}
	return nil
}

func (w *walker) float(f float64) *walkErr {
	if w.finite && (math.IsNaN(f) || math.IsInf(f, 0)) {
		return &walkErr{problem: fmt.Sprintf("%v cannot be sent as JSON (use MsgPack or CBOR, or send it as a string)", f)}
	}
	w.add(1, 32)
	return nil
}

func (w *walker) reflect(v reflect.Value, depth int) *walkErr {
	if depth > maxPayloadDepth {
		return &walkErr{problem: fmt.Sprintf("nested more than %d levels deep (a cyclic value?)", maxPayloadDepth)}
	}
	t := v.Type()
	switch v.Kind() {
	case reflect.Bool:
		w.add(1, 5)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		w.add(1, 21)
	case reflect.Float32, reflect.Float64:
		return w.float(v.Float())
	case reflect.String:
		w.add(v.Len()+1, 6*v.Len()+9)
	case reflect.Interface, reflect.Pointer:
		if v.IsNil() {
			w.add(1, 5)
			return nil
		}
		return w.reflect(v.Elem(), depth+1)
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			w.add(1, 5)
			return nil
		}
		if t.Elem().Kind() == reflect.Uint8 {
			w.add(v.Len()+1, 2*v.Len()+16)
			return nil
		}
		w.add(1, 9+v.Len())
		for i := range v.Len() {
			if err := w.reflect(v.Index(i), depth+1); err != nil {
				return err.at("[" + strconv.Itoa(i) + "]")
			}
		}
	case reflect.Map:
		return w.reflectMap(v, depth)
	case reflect.Struct:
		return w.reflectStruct(v, depth)
	default: // complex numbers, channels, funcs, unsafe pointers
		return &walkErr{problem: fmt.Sprintf("a %s cannot be serialized", t)}
	}
	return w.over()
}

func (w *walker) reflectMap(v reflect.Value, depth int) *walkErr {
	if v.IsNil() {
		w.add(1, 5)
		return nil
	}
	if kt := v.Type().Key(); kt.Kind() != reflect.String {
		return &walkErr{problem: fmt.Sprintf("a map with %s keys cannot be serialized (WAMP dictionaries have string keys)", kt)}
	}
	w.add(1, 9+2*v.Len())
	it := v.MapRange()
	for it.Next() {
		k := it.Key().String()
		w.add(len(k)+1, 6*len(k)+9)
		if err := w.reflect(it.Value(), depth+1); err != nil {
			return err.at(key(k))
		}
	}
	return w.over()
}

func (w *walker) reflectStruct(v reflect.Value, depth int) *walkErr {
	t := v.Type()
	w.add(1, 9+2*t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() || f.Tag.Get("json") == "-" || f.Tag.Get("codec") == "-" {
			continue // the encoders skip it
		}
		w.add(len(f.Name)+1, 6*len(f.Name)+9)
		if err := w.reflect(v.Field(i), depth+1); err != nil {
			return err.at("." + f.Name)
		}
	}
	return w.over()
}

// onUnsent is told by the transport, on its writer goroutine, of a message
// that was not sent (it could not be serialized, or was larger than the
// router accepts): the request it belongs to fails with that error, alone.
// It must not block: anything to send goes from a goroutine of its own.
func (s *session) onUnsent(msg wamp.Message, err error) {
	err = unsentError(err)
	s.log.Warn("wamp message not sent", "type", msg.MessageType(), "error", err)
	switch m := msg.(type) {
	case *wamp.Call:
		s.mu.Lock()
		c, ok := s.calls[m.Request]
		delete(s.calls, m.Request)
		s.mu.Unlock()
		if !ok {
			return
		}
		if m != &c.msg { // a later chunk: the router has the call
			s.goSend(func() { c.sendCancel() })
		}
		c.fail(err)
	case *wamp.Yield:
		s.goSend(func() { _ = s.sendNow(unsentAnswer(m.Request, err)) })
	case *wamp.Error:
		if m.Type == wamp.INVOCATION && len(m.Arguments)+len(m.ArgumentsKw) > 0 {
			s.goSend(func() { _ = s.sendNow(unsentAnswer(m.Request, err)) })
		}
	case *wamp.Publish:
		s.failPending(m.Request, err)
	case *wamp.Register:
		s.failPending(m.Request, err)
	case *wamp.Subscribe:
		s.failPending(m.Request, err)
	}
}

// unsentError is the transport's reason for not sending a message as the
// session's error: ErrMessageTooLarge or ErrInvalidPayload.
func unsentError(err error) error {
	var tooLarge *wire.TooLargeError
	if errors.As(err, &tooLarge) {
		return fmt.Errorf("%w: %w", ErrMessageTooLarge, err)
	}
	return fmt.Errorf("%w: %w", ErrInvalidPayload, err)
}

// unsentAnswer is the ERROR that replaces an invocation's answer that could
// not be sent, so that the caller does not wait for it.
func unsentAnswer(req wamp.ID, err error) *wamp.Error {
	return &wamp.Error{Type: wamp.INVOCATION, Request: req, Details: wamp.Dict{}, Error: "wamp.error.runtime_error",
		Arguments: wamp.List{"wampkit: the callee's answer could not be sent: " + err.Error()}}
}

// goSend runs f (which sends) on a goroutine that Drain waits for.
func (s *session) goSend(f func()) {
	s.handlers.Add(1)
	go func() {
		defer s.handlers.Done()
		f()
	}()
}

// failPending ends a pending request with err, without a reply.
func (s *session) failPending(id wamp.ID, err error) {
	s.mu.Lock()
	p, ok := s.pending[id]
	delete(s.pending, id)
	s.mu.Unlock()
	if ok {
		p.err = err
		close(p.ch)
	}
}
