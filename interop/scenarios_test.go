//go:build interop

package interop

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/wampkit/wampkit/client"
)

// The roles of the independent peer in a cell.
const (
	roleCaller = "caller" // the peer calls wampkit callees
	roleCallee = "callee" // wampkit callers call the peer
	roleMeta   = "meta"   // the peer reads the registration meta API
)

// Serializers each peer speaks over websocket that wampkit and the routers
// speak too (all three peers have all three; Autobahn|Python also has UBJSON
// and FlatBuffers, which neither wampkit nor the routers speak).
var peerSerializers = map[string][]string{
	autobahnJS: {"json", "msgpack", "cbor"},
	wampyJS:    {"json", "msgpack", "cbor"},
	autobahnPy: {"json", "msgpack", "cbor"},
}

// The procedures every callee of the suite provides (wampkit's in
// wampkit_callee_test.go, the peers' in js/), under the cell's prefix.
//
//	add(a, b)                 -> a+b              positional arguments
//	greet(name=, greeting=)   -> "Hello, Ada!"    keyword arguments
//	echo(*args, **kwargs)     -> args, kwargs     every JSON type, 2^40
//	countdown(n)              -> progress n..1, then "liftoff"
//	fail()                    -> ERROR com.example.error.custom ["custom failure", 42] {code: 7, detail: "x"}
//	fail_kw()                 -> ERROR com.example.error.custom [] {code: 7, detail: "x"}
//	bytes(b)                  -> [b, the callee's type name for b]  binary
//	bytes_typed(b)            -> reversed b (wampkit callee only: typed []byte in and out)
//	sum(n...) streamed        -> the sum of the chunks of a progressive call invocation
//	hang(mode)                -> waits (to be canceled or timed out)
const errCustomURI = "com.example.error.custom"

var (
	errCustomArgs   = []any{"custom failure", 42}
	errCustomKwargs = map[string]any{"code": 7, "detail": "x"}
)

// echoFixture is what echo scenarios send and expect back unchanged.
var echoFixture = client.Payload{
	Args:   []any{1, -2, 3.5, "s", true, nil, []any{1, "x"}, map[string]any{"k": "v"}, int64(1) << 40},
	Kwargs: map[string]any{"a": 1, "b": []any{true}},
}

// binaryFixture is what binary scenarios send: a zero byte first (which a
// JSON string would mistake for the binary marker), high bytes, text.
var binaryFixture = []byte{0x00, 0x01, 0x02, 0x7f, 0x80, 0xfe, 0xff, 'w', 'a', 'm', 'p', 0x00}

// callTimeoutFixture is the call timeout of the wampkit caller's timeout
// scenario (the peers ask for 500 ms); the callee's handler takes 1500 ms.
const callTimeoutFixture = 400 * time.Millisecond

// timeoutSlack is how much longer than callTimeoutFixture a timed-out call
// may take on a loaded machine. The error says who ended the call (the
// router's wamp.error.timeout, or wampkit's own deadline); a call that
// waited for the handler would have got its result instead.
const timeoutSlack = 2 * time.Second

// kwargsOnlyFixture is what kwargs_only scenarios send and expect back.
var kwargsOnlyFixture = map[string]any{"name": "Ada", "n": 2}

// peerBinaryType is the type each peer's own binary value has: Python's
// bytes, JavaScript's Uint8Array (node's Buffer is one).
var peerBinaryType = map[string]string{autobahnJS: "Uint8Array", wampyJS: "Uint8Array", autobahnPy: "bytes"}

func echoFixtureJSON() string {
	b, err := json.Marshal(map[string]any{"args": echoFixture.Args, "kwargs": echoFixture.Kwargs})
	if err != nil {
		panic(err)
	}
	return string(b)
}

// obs is what was observed of one scenario.
type obs struct {
	cell cell // where (set by judge)
	// the peer process, when the whole cell is covered by a limitation
	peer *peerProc
	// caller cells: the peer's report of the scenario (nil when missing),
	// and for cancel scenarios what the wampkit handler saw.
	report event
	hang   *hangSeen
	// callee cells: what the wampkit caller saw.
	call goCall
	// meta cells: the registrations and wampkit's metaclient view of them.
	meta *metaRun
}

// hangSeen is what the wampkit hang handler saw of a call.
type hangSeen struct {
	mode     string
	canceled bool // its context ended (INTERRUPT) before 5 seconds passed
}

// goCall is what a wampkit caller saw of one call to a peer callee.
type goCall struct {
	result      any
	progress    []any
	err         error
	elapsed     time.Duration // from the cancel to the call's end (cancel)
	invoked     event         // the peer's report of the invocation, if any
	returned    bool          // the peer's handler ran to completion (cancel, timeout)
	interrupted bool          // the peer reported its handler interrupted (cancel, timeout)
}

type scenarioDef struct {
	name  string
	check func(o obs) error
}

// limitation is a known limitation of a peer or a router: the cells and
// scenario it covers, why (in the peer's own words where it has any), and a
// check that it behaves exactly as documented. An empty peer, router or
// serializer matches every one; scenario "*" is every scenario of the cell
// (the peer cannot join at all).
type limitation struct {
	peer, role, router, serializer, scenario string
	reason                                   string
	check                                    func(o obs) error
}

// nexusRouters in a limitation's router field means both nexus-based
// routers: the reference router and nexusd.
const nexusRouters = "nexus"

func (l limitation) covers(c cell, scenario string) bool {
	router := l.router == "" || l.router == c.router || (l.router == nexusRouters && (c.router == "ref" || c.router == "nexusd"))
	return (l.peer == "" || l.peer == c.peer) && l.role == c.role && router &&
		(l.serializer == "" || l.serializer == c.serializer) &&
		(l.scenario == scenario || l.scenario == "*")
}

// findLimitation returns the limitation that covers the scenario: one that
// covers the whole cell (the peer cannot join) if any, else the first in the
// list, which has the more specific ones first.
func findLimitation(c cell, scenario string) (limitation, bool) {
	for _, l := range limitations {
		if l.scenario == "*" && l.covers(c, scenario) {
			return l, true
		}
	}
	for _, l := range limitations {
		if l.covers(c, scenario) {
			return l, true
		}
	}
	return limitation{}, false
}

// --- scenarios in which the peer calls wampkit callees ---

var callerScenarios = []scenarioDef{
	{"add", func(o obs) error { return wantReportResult(o, []any{5}, nil) }},
	{"greet", func(o obs) error { return wantReportResult(o, []any{"Hello, Ada!"}, nil) }},
	{"echo", func(o obs) error { return wantReportResult(o, echoFixture.Args, echoFixture.Kwargs) }},
	{"invalid_argument", func(o obs) error {
		e, err := reportError(o)
		if err != nil {
			return err
		}
		if e.URI != client.ErrInvalidArgument.URI || e.Kwargs["got"] != "x" || e.Kwargs["want"] == nil {
			return fmt.Errorf("got %+v, want %s with kwargs got=\"x\" and want", e, client.ErrInvalidArgument.URI)
		}
		return nil
	}},
	{"progress", func(o obs) error {
		if err := wantReportResult(o, []any{"liftoff"}, nil); err != nil {
			return err
		}
		want := []any{}
		for i := 3; i > 0; i-- {
			want = append(want, map[string]any{"args": []any{i}, "kwargs": map[string]any{}})
		}
		if !equalJSON(o.report["progress"], want) {
			return fmt.Errorf("progress %v, want %v", o.report["progress"], want)
		}
		return nil
	}},
	{"error", func(o obs) error {
		e, err := reportError(o)
		if err != nil {
			return err
		}
		return wantCustomError(e)
	}},
	{"kwargs_only", func(o obs) error { return wantReportResult(o, nil, kwargsOnlyFixture) }},
	{"error_kwargs_only", func(o obs) error {
		e, err := reportError(o)
		if err != nil {
			return err
		}
		return wantCustomErrorKwargsOnly(e)
	}},
	{"binary", func(o obs) error { return wantPeerGotBytes(o, binaryFixture, "[]uint8") }},
	{"binary_typed", func(o obs) error { return wantPeerGotBytes(o, reversed(binaryFixture), "") }},
	{"progress_invocations", func(o obs) error { return wantReportResult(o, []any{10}, nil) }},
	{"timeout", func(o obs) error {
		e, err := reportError(o)
		if err != nil {
			return err
		}
		if e.URI != client.ErrTimeout.URI {
			return fmt.Errorf("peer got %+v, want %s", e, client.ErrTimeout.URI)
		}
		return wantHandlerCanceled(o, "timeout")
	}},
	// Payload Passthru Mode: the peer serializes {args, kwargs} itself
	// (ppt_scheme mqtt, ppt_serializer msgpack), the wampkit callee gets a
	// client.Passthru and answers it unchanged, the peer unpacks it.
	{"ppt", func(o obs) error { return wantReportResult(o, pptFixture.Args, pptFixture.Kwargs) }},
	{"cancel_kill", wantCanceledBoth("kill")},
	{"cancel_killnowait", wantCanceledBoth("killnowait")},
	{"after_cancel", func(o obs) error { return wantReportResult(o, []any{2}, nil) }},
}

// pptFixture is what the ppt scenario sends inside its passthru payload.
var pptFixture = client.Payload{Args: []any{1, "x"}, Kwargs: map[string]any{"k": "v"}}

// wantPeerGotBytes: the peer's call gave a value of its own binary type
// holding want, and (goType not empty) the wampkit callee got the peer's
// value as goType.
func wantPeerGotBytes(o obs, want []byte, goType string) error {
	args, _, err := reportResult(o)
	if err != nil {
		return err
	}
	seen, _ := o.report["seen"].([]any)
	if len(seen) == 0 {
		return fmt.Errorf("the peer got no result arguments (%v)", args)
	}
	if err := wantBinarySeen(o.cell.peer, seen[0]); err != nil {
		return fmt.Errorf("result: %w", err)
	}
	if d, _ := seen[0].(map[string]any); d["hex"] != hex.EncodeToString(want) {
		return fmt.Errorf("result bytes %v, want %x", d["hex"], want)
	}
	if goType != "" && (len(args) < 2 || args[1] != goType) {
		return fmt.Errorf("the wampkit callee got the peer's binary value as %v, want %s", args[1:], goType)
	}
	return nil
}

// wantBinarySeen: a peer's description of a value (js/common.mjs and
// py/autobahn_peer.py describe) says it has the peer's binary type.
func wantBinarySeen(peer string, seen any) error {
	d, _ := seen.(map[string]any)
	if d["type"] != peerBinaryType[peer] {
		return fmt.Errorf("the peer got %v (%v), want its binary type %s", d["type"], d["value"], peerBinaryType[peer])
	}
	return nil
}

func wantCustomErrorKwargsOnly(e remoteErr) error {
	if e.URI != errCustomURI || len(e.Args) != 0 || !equalJSON(nonNil(e.Kwargs), errCustomKwargs) {
		return fmt.Errorf("got error %+v, want %s [] %v", e, errCustomURI, errCustomKwargs)
	}
	return nil
}

// wantCanceledBoth: the peer's call ends with wamp.error.canceled and the
// wampkit handler's context was canceled (the INTERRUPT arrived).
func wantCanceledBoth(mode string) func(o obs) error {
	return func(o obs) error {
		e, err := reportError(o)
		if err != nil {
			return err
		}
		if e.URI != client.ErrCanceled.URI {
			return fmt.Errorf("peer got %+v, want %s", e, client.ErrCanceled.URI)
		}
		return wantHandlerCanceled(o, mode)
	}
}

func wantHandlerCanceled(o obs, mode string) error {
	if o.hang == nil {
		return fmt.Errorf("the wampkit handler for mode %s never ran or never ended", mode)
	}
	if !o.hang.canceled {
		return fmt.Errorf("the wampkit handler's context was not canceled (mode %s)", mode)
	}
	return nil
}

// --- scenarios in which wampkit callers call the peer ---

var calleeScenarios = []scenarioDef{
	{"add", func(o obs) error { return wantGoResult(o, 5) }},
	{"greet", func(o obs) error { return wantGoResult(o, "Hello, Ada!") }},
	{"echo", func(o obs) error {
		if o.call.err != nil {
			return o.call.err
		}
		p, _ := o.call.result.(client.Payload)
		if !equalJSON(p.Args, echoFixture.Args) || !equalJSON(nonNil(p.Kwargs), echoFixture.Kwargs) {
			return fmt.Errorf("echo gave %v %v, want %v %v", p.Args, p.Kwargs, echoFixture.Args, echoFixture.Kwargs)
		}
		return nil
	}},
	{"progress", func(o obs) error {
		if err := wantGoResult(o, "liftoff"); err != nil {
			return err
		}
		if !equalJSON(o.call.progress, []any{3, 2, 1}) {
			return fmt.Errorf("progress %v, want [3 2 1]", o.call.progress)
		}
		return nil
	}},
	{"error", func(o obs) error {
		var e *client.Error
		if !errors.As(o.call.err, &e) {
			return fmt.Errorf("got %v (%v), want a *client.Error", o.call.err, o.call.result)
		}
		return wantCustomError(remoteErr{URI: e.URI, Args: e.Args, Kwargs: e.Kwargs})
	}},
	{"kwargs_only", func(o obs) error {
		if o.call.err != nil {
			return o.call.err
		}
		p, _ := o.call.result.(client.Payload)
		if len(p.Args) != 0 || !equalJSON(nonNil(p.Kwargs), kwargsOnlyFixture) {
			return fmt.Errorf("got %v %v, want [] %v", p.Args, p.Kwargs, kwargsOnlyFixture)
		}
		return nil
	}},
	{"error_kwargs_only", func(o obs) error {
		var e *client.Error
		if !errors.As(o.call.err, &e) {
			return fmt.Errorf("got %v (%v), want a *client.Error", o.call.err, o.call.result)
		}
		return wantCustomErrorKwargsOnly(remoteErr{URI: e.URI, Args: e.Args, Kwargs: e.Kwargs})
	}},
	{"binary", func(o obs) error {
		if o.call.err != nil {
			return o.call.err
		}
		if err := wantInvokedBytes(o); err != nil {
			return err
		}
		p, _ := o.call.result.(client.Payload)
		if len(p.Args) != 2 {
			return fmt.Errorf("got %v, want [bytes, type]", p.Args)
		}
		if b, ok := p.Args[0].([]byte); !ok || !bytes.Equal(b, binaryFixture) {
			return fmt.Errorf("the bytes came back as %T %v, want []byte %x", p.Args[0], p.Args[0], binaryFixture)
		}
		return nil
	}},
	{"binary_typed", func(o obs) error {
		if o.call.err != nil {
			return o.call.err
		}
		if err := wantInvokedBytes(o); err != nil {
			return err
		}
		if b, _ := o.call.result.([]byte); !bytes.Equal(b, binaryFixture) {
			return fmt.Errorf("got %x, want %x", b, binaryFixture)
		}
		return nil
	}},
	{"progress_invocations", func(o obs) error { return wantGoResult(o, 10) }},
	{"timeout", func(o obs) error {
		if !errors.Is(o.call.err, client.ErrTimeout) {
			return fmt.Errorf("got %v (%v), want an error matching client.ErrTimeout", o.call.err, o.call.result)
		}
		if max := callTimeoutFixture + timeoutSlack; o.call.elapsed > max {
			return fmt.Errorf("the call took %s, more than %s", o.call.elapsed, max)
		}
		if o.call.returned {
			return errors.New("the peer's handler was not interrupted: it ran to completion")
		}
		return nil
	}},
	// What a callee that supports call canceling gives: the caller's call
	// ends with wamp.error.canceled and the handler is interrupted.
	{"cancel_killnowait", wantInterrupted},
	{"cancel_kill", wantInterrupted},
	{"after_cancel", func(o obs) error { return wantGoResult(o, 2) }},
	{"leave", func(o obs) error {
		if o.call.err != nil {
			return o.call.err
		}
		if o.call.result != true {
			return errors.New("the peer's session was not open any more when it was told to leave")
		}
		return nil
	}},
}

// wantInvokedBytes: the peer callee got the wampkit caller's []byte as a
// value of its own binary type.
func wantInvokedBytes(o obs) error {
	if o.call.invoked == nil {
		return errors.New("the peer did not report the invocation")
	}
	if err := wantBinarySeen(o.cell.peer, o.call.invoked["seen"]); err != nil {
		return fmt.Errorf("argument: %w", err)
	}
	if d, _ := o.call.invoked["seen"].(map[string]any); d["hex"] != hex.EncodeToString(binaryFixture) {
		return fmt.Errorf("the peer got bytes %v, want %x", d["hex"], binaryFixture)
	}
	return nil
}

func wantInterrupted(o obs) error {
	if !errors.Is(o.call.err, client.ErrCanceled) {
		return fmt.Errorf("got %v, want an error matching client.ErrCanceled", o.call.err)
	}
	if o.call.returned {
		return errors.New("the peer's handler was not interrupted: it ran to completion")
	}
	return nil
}

// --- known limitations ---

var limitations = []limitation{
	{
		peer: autobahnJS, role: roleCallee, router: nexusRouters, scenario: "progress",
		reason: "Autobahn|JS callees do not announce call_canceling, and nexus forwards receive_progress only to callees " +
			"announcing progressive_call_results and call_canceling: the callee is not asked for progress and the " +
			"wampkit caller gets the final result only",
		check: finalOnlyNoProgress,
	},
	{
		peer: wampyJS, role: roleCallee, router: nexusRouters, scenario: "progress",
		reason: "wampy callees announce neither progressive_call_results nor call_canceling, so nexus does not forward " +
			"receive_progress: the callee is not asked for progress and the wampkit caller gets the final result only",
		check: finalOnlyNoProgress,
	},
	calleeIgnoresInterrupt(autobahnJS, "Autobahn|JS", "killnowait"),
	calleeIgnoresInterrupt(autobahnJS, "Autobahn|JS", "kill"),
	calleeIgnoresInterrupt(wampyJS, "wampy", "killnowait"),
	calleeIgnoresInterrupt(wampyJS, "wampy", "kill"),
}

// calleeIgnoresInterrupt is the expected result of canceling a call to a
// peer callee in mode kill or killnowait when the peer (named name) neither
// announces call_canceling nor handles INTERRUPT.
func calleeIgnoresInterrupt(peer, name, mode string) limitation {
	return limitation{
		peer: peer, role: roleCallee, router: nexusRouters, scenario: "cancel_" + mode,
		reason: name + " callees neither announce call_canceling nor handle INTERRUPT: nexus cancels any mode as skip, " +
			"the wampkit caller gets wamp.error.canceled at once, the callee runs to completion and its late YIELD is dropped",
		check: skipCancel,
	}
}

func init() {
	// Declared here rather than in the literal above because the check
	// refers to helpers defined below.
	limitations = append(limitations, limitation{
		peer: autobahnJS, role: roleCaller, router: nexusRouters, scenario: "cancel_killnowait",
		reason: "Autobahn|JS rejects a call canceled in mode skip or killnowait locally with Error(\"Cancelled\") and forgets it " +
			"(crossbario/autobahn-js#371); the router's wamp.error.canceled for it then counts as \"CALL-ERROR received for " +
			"non-pending request ID\", a protocol violation, and Autobahn|JS drops its own connection. The INTERRUPT still " +
			"reaches the wampkit callee, whose handler's context is canceled",
		check: func(o obs) error {
			if err := wantHandlerCanceled(o, "killnowait"); err != nil {
				return err
			}
			if o.report == nil {
				return errors.New("the peer reported nothing for this scenario")
			}
			e, _ := o.report["error"].(map[string]any)
			if e["uri"] != "Cancelled" {
				return fmt.Errorf("peer got %v, want its local rejection \"Cancelled\"", o.report["error"])
			}
			if o.report["session_open_after"] != false {
				return errors.New("the Autobahn|JS session stayed open: the limitation is gone")
			}
			// Autobahn|JS loses the violation's text on the way to its
			// on_internal_error handler (it calls its Error constructor
			// without new), which leaves it on globalThis.error.
			if s, _ := o.report["global_error"].(string); !strings.Contains(s, "non-pending request") {
				return fmt.Errorf("no protocol violation seen in Autobahn|JS (globalThis.error %q, internal errors %v)",
					s, o.report["internal_errors"])
			}
			return nil
		},
	})
}

// finalOnlyNoProgress: the callee was not asked for progress, no progress
// reached the caller, the final result did.
func finalOnlyNoProgress(o obs) error {
	if err := wantGoResult(o, "liftoff"); err != nil {
		return err
	}
	if len(o.call.progress) != 0 {
		return fmt.Errorf("got progress %v: the limitation is gone", o.call.progress)
	}
	if o.call.invoked == nil {
		return errors.New("the peer did not report the invocation")
	}
	if o.call.invoked["receive_progress"] != false {
		return fmt.Errorf("the peer callee was asked for progress (%v): the limitation is gone", o.call.invoked)
	}
	return nil
}

// skipCancel: the call ended with wamp.error.canceled well before the
// callee's 1500ms handler finished, and the callee was not interrupted.
func skipCancel(o obs) error {
	if !errors.Is(o.call.err, client.ErrCanceled) {
		return fmt.Errorf("got %v, want an error matching client.ErrCanceled", o.call.err)
	}
	if o.call.elapsed > time.Second {
		return fmt.Errorf("the call took %s to end after the cancel: it waited for the callee", o.call.elapsed)
	}
	if !o.call.returned {
		return errors.New("the peer's handler did not run to completion: was it interrupted after all?")
	}
	return nil
}

// --- helpers ---

type remoteErr struct {
	URI    string
	Args   []any
	Kwargs map[string]any
}

func wantCustomError(e remoteErr) error {
	if e.URI != errCustomURI || !equalJSON(e.Args, errCustomArgs) || !equalJSON(nonNil(e.Kwargs), errCustomKwargs) {
		return fmt.Errorf("got error %+v, want %s %v %v", e, errCustomURI, errCustomArgs, errCustomKwargs)
	}
	return nil
}

// reportResult returns the result a peer reported, failing when it got an
// error or reported nothing.
func reportResult(o obs) (args []any, kwargs map[string]any, err error) {
	if o.report == nil {
		return nil, nil, errors.New("the peer reported nothing for this scenario")
	}
	if e, ok := o.report["error"]; ok {
		return nil, nil, fmt.Errorf("the peer got an error: %v", e)
	}
	res, _ := o.report["result"].(map[string]any)
	args, _ = res["args"].([]any)
	kwargs, _ = res["kwargs"].(map[string]any)
	return args, kwargs, nil
}

func wantReportResult(o obs, args []any, kwargs map[string]any) error {
	gotArgs, gotKwargs, err := reportResult(o)
	if err != nil {
		return err
	}
	if !equalJSON(nonNilSlice(gotArgs), nonNilSlice(args)) || !equalJSON(nonNil(gotKwargs), nonNil(kwargs)) {
		return fmt.Errorf("peer got %v %v, want %v %v", gotArgs, gotKwargs, args, kwargs)
	}
	return nil
}

// reportError returns the remote error a peer reported.
func reportError(o obs) (remoteErr, error) {
	if o.report == nil {
		return remoteErr{}, errors.New("the peer reported nothing for this scenario")
	}
	e, ok := o.report["error"].(map[string]any)
	if !ok {
		return remoteErr{}, fmt.Errorf("the peer got no error but %v", o.report["result"])
	}
	uri, _ := e["uri"].(string)
	if uri == "" {
		return remoteErr{}, fmt.Errorf("the peer failed locally: %v", e["local"])
	}
	args, _ := e["args"].([]any)
	kwargs, _ := e["kwargs"].(map[string]any)
	return remoteErr{URI: uri, Args: args, Kwargs: kwargs}, nil
}

func wantGoResult(o obs, want any) error {
	if o.call.err != nil {
		return o.call.err
	}
	if o.call.result != want {
		return fmt.Errorf("got %v (%T), want %v", o.call.result, o.call.result, want)
	}
	return nil
}

// equalJSON compares two values as JSON documents (numbers by value).
func equalJSON(a, b any) bool {
	return reflect.DeepEqual(jsonValue(a), jsonValue(b))
}

func jsonValue(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("unmarshalable %T: %v", v, err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return err.Error()
	}
	return out
}

func nonNil(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

func nonNilSlice(s []any) []any {
	if s == nil {
		return []any{}
	}
	return s
}
