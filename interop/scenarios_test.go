//go:build interop

package interop

import (
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

// Serializers each peer speaks over websocket (both have all three).
var peerSerializers = map[string][]string{
	autobahnJS: {"json", "msgpack", "cbor"},
	wampyJS:    {"json", "msgpack", "cbor"},
}

// The procedures every callee of the suite provides (wampkit's in
// wampkit_callee_test.go, the peers' in js/), under the cell's prefix.
//
//	add(a, b)                 -> a+b              positional arguments
//	greet(name=, greeting=)   -> "Hello, Ada!"    keyword arguments
//	echo(*args, **kwargs)     -> args, kwargs     every JSON type, 2^40
//	countdown(n)              -> progress n..1, then "liftoff"
//	fail()                    -> ERROR com.example.error.custom ["custom failure", 42] {code: 7, detail: "x"}
//	hang(mode)                -> waits (to be canceled)
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

func echoFixtureJSON() string {
	b, err := json.Marshal(map[string]any{"args": echoFixture.Args, "kwargs": echoFixture.Kwargs})
	if err != nil {
		panic(err)
	}
	return string(b)
}

// obs is what was observed of one scenario.
type obs struct {
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
	result   any
	progress []any
	err      error
	elapsed  time.Duration // from the cancel to the call's end (cancel)
	invoked  event         // the peer's report of the invocation, if any
	returned bool          // the peer's handler ran to completion (cancel)
}

type scenarioDef struct {
	name  string
	check func(o obs) error
}

// limitation is a known limitation of a peer: the scenario it covers, why,
// and a check that it behaves exactly as documented.
type limitation struct {
	peer, role, scenario string
	reason               string
	check                func(o obs) error
}

func findLimitation(c cell, scenario string) (limitation, bool) {
	for _, l := range limitations {
		if l.peer == c.peer && l.role == c.role && l.scenario == scenario {
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
	{"cancel_kill", wantCanceledBoth("kill")},
	{"cancel_killnowait", wantCanceledBoth("killnowait")},
	{"after_cancel", func(o obs) error { return wantReportResult(o, []any{2}, nil) }},
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
		peer: autobahnJS, role: roleCallee, scenario: "progress",
		reason: "Autobahn|JS callees do not announce call_canceling, and nexus forwards receive_progress only to callees " +
			"announcing progressive_call_results and call_canceling: the callee is not asked for progress and the " +
			"wampkit caller gets the final result only",
		check: finalOnlyNoProgress,
	},
	{
		peer: wampyJS, role: roleCallee, scenario: "progress",
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
		peer: peer, role: roleCallee, scenario: "cancel_" + mode,
		reason: name + " callees neither announce call_canceling nor handle INTERRUPT: nexus cancels any mode as skip, " +
			"the wampkit caller gets wamp.error.canceled at once, the callee runs to completion and its late YIELD is dropped",
		check: skipCancel,
	}
}

func init() {
	// Declared here rather than in the literal above because the check
	// refers to helpers defined below.
	limitations = append(limitations, limitation{
		peer: autobahnJS, role: roleCaller, scenario: "cancel_killnowait",
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
