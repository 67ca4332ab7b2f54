//go:build interop

package interop

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wampkit/wampkit/client"
)

// The limitations of the strict peers (nxt, Autobahn|Python) and of the
// scenarios added with them (binary, progressive call invocations,
// timeout). Each names its source; each check asserts the documented
// behaviour, so it fails when the limitation goes away. They come before
// the older list in scenarios_test.go: the first that covers a scenario
// decides it.
var strictLimitations = []limitation{
	// --- whole cells ---
	{
		peer: wampyJS, role: roleCaller, router: "nxt", serializer: "msgpack", scenario: "*",
		reason: wampyNxtMsgpack, check: cannotJoin,
	},
	{
		peer: wampyJS, role: roleCallee, router: "nxt", serializer: "msgpack", scenario: "*",
		reason: wampyNxtMsgpack, check: cannotJoin,
	},

	// --- nxt ---
	nxtIgnoresCancel(roleCaller, "cancel_kill"),
	nxtIgnoresCancel(roleCaller, "cancel_killnowait"),
	nxtIgnoresCancel(roleCallee, "cancel_kill"),
	nxtIgnoresCancel(roleCallee, "cancel_killnowait"),
	{
		role: roleCaller, router: "nxt", scenario: "timeout", reason: nxtNoTimeout,
		check: func(o obs) error {
			if o.hang == nil {
				return errors.New("the wampkit handler never ran or never ended")
			}
			if o.hang.canceled {
				return fmt.Errorf("the wampkit handler was interrupted (%+v): the limitation is gone", o.hang)
			}
			return wantReportResult(o, []any{"not canceled"}, nil)
		},
	},
	{
		role: roleCallee, router: "nxt", scenario: "timeout",
		reason: nxtNoTimeout + "; the wampkit caller's own deadline (caller.Timeout: the timeout plus 250 ms) ends the " +
			"call with an error matching client.ErrTimeout and context.DeadlineExceeded and cancels it (which nxt " +
			"ignores too): the peer's handler is not interrupted",
		check: func(o obs) error {
			if !errors.Is(o.call.err, client.ErrTimeout) || !errors.Is(o.call.err, context.DeadlineExceeded) {
				return fmt.Errorf("got %v (%v), want the local deadline's error matching client.ErrTimeout and "+
					"context.DeadlineExceeded", o.call.err, o.call.result)
			}
			if max := callTimeoutFixture + timeoutSlack; o.call.elapsed > max {
				return fmt.Errorf("the call took %s, more than %s", o.call.elapsed, max)
			}
			if !o.call.returned {
				return errors.New("the peer's handler did not run to completion: did nxt interrupt it after all?")
			}
			return nil
		},
	},
	{
		role: roleCallee, router: "nxt", scenario: "progress_invocations",
		reason: "nxt forwards progressive call invocations to callees that do not announce progressive_call_invocations " +
			"(none of the three peers does; the dealer of wampproto-go, dealer.go, checks no callee feature), and it sends " +
			"the final chunk (progress false) as a new INVOCATION (`if !ok || !progress { invocationID = d.idGen.NextID()`): " +
			"the peer answers a chunk as if it were the whole call, and the wampkit caller gets that answer or nothing",
		check: func(o obs) error {
			if o.call.err == nil && o.call.result == 10 {
				return errors.New("the sum arrived whole: the limitation is gone")
			}
			if o.call.invoked == nil {
				return errors.New("the peer callee was not invoked at all")
			}
			return nil
		},
	},
	{
		peer: wampyJS, role: roleCaller, router: "nxt", scenario: "progress_invocations",
		reason: "nxt sends the final chunk of a progressive call invocation (progress false) as a new INVOCATION " +
			"(wampproto-go dealer.go: `if !ok || !progress { invocationID = d.idGen.NextID()`): the wampkit callee gets " +
			"chunks 1, 2, 3 as one call whose input never ends and chunk 4 as a call of its own, which it answers (4)",
		check: func(o obs) error { return wantReportResult(o, []any{4}, nil) },
	},

	// --- progressive call invocations, nexus ---
	{
		role: roleCallee, router: nexusRouters, scenario: "progress_invocations",
		reason: "none of the three peers announces progressive_call_invocations as a callee (Autobahn|JS lib/session.js " +
			"WAMP_FEATURES.callee, wampy dist/esm/wampy.js callee features, Autobahn|Python autobahn/wamp/role.py " +
			"DEFAULT_CLIENT_ROLES['callee']), and nexus answers a streamed call to such a callee with " +
			"wamp.error.feature_not_supported (router/dealer.go)",
		check: func(o obs) error {
			if !errors.Is(o.call.err, client.ErrFeatureNotSupported) {
				return fmt.Errorf("got %v (%v), want an error matching client.ErrFeatureNotSupported", o.call.err, o.call.result)
			}
			return nil
		},
	},
	{
		peer: wampyJS, role: roleCaller, router: nexusRouters, scenario: "progress_invocations",
		reason: "wampy's README lists progressive call invocations for callers, but its HELLO does not announce " +
			"progressive_call_invocations (dist/esm/wampy.js caller features); nexus aborts a caller that sends CALL " +
			"progress=true without it (\"Peer is trying to use Progressive Call Invocations while it was not announced\"), " +
			"and wampy then dies of an unhandled rejection (WebsocketError \"Connection closed\", wampy.js " +
			"_reject_ongoing_promises). The peer sends only the first chunk: nexus v3.3.0 panics (send on closed channel, " +
			"dealer.go:670) on chunks that arrive after the abort",
		check: func(o obs) error {
			if o.report != nil {
				return fmt.Errorf("the peer reported %v: the limitation is gone", o.report)
			}
			if s := o.peer.stderr.String(); !strings.Contains(s, "Connection closed") {
				return fmt.Errorf("wampy did not fail with \"Connection closed\": %s", lastLines(s, 5))
			}
			return nil
		},
	},
	peerCannotStream(autobahnJS, "Autobahn|JS has no API to send a progressive call invocation and does not announce "+
		"progressive_call_invocations (lib/session.js WAMP_FEATURES.caller)"),
	peerCannotStream(autobahnPy, "Autobahn|Python 22.7.1 has no API to send a progressive call invocation (CallOptions "+
		"has no progress option, its CALL message no progress attribute) and does not announce "+
		"progressive_call_invocations (autobahn/wamp/role.py DEFAULT_CLIENT_ROLES['caller'])"),

	// --- timeouts and cancels on nexus, by peer ---
	peerCalleeIgnoresTimeout(autobahnJS, "Autobahn|JS"),
	peerCalleeIgnoresTimeout(wampyJS, "wampy"),
	{
		peer: autobahnPy, role: roleCallee, router: nexusRouters, scenario: "cancel_kill",
		reason: "Autobahn|Python (asyncio) cancels the handler on INTERRUPT (autobahn/wamp/protocol.py: " +
			"txaio.cancel(invoked.on_reply)) but sends no ERROR for the interrupted invocation: a caller canceling in " +
			"mode kill waits for an answer that never comes, and wampkit's caller ends the call after its kill wait (1 s here)",
		check: func(o obs) error {
			if !errors.Is(o.call.err, client.ErrCanceled) {
				return fmt.Errorf("got %v, want an error matching client.ErrCanceled", o.call.err)
			}
			if !o.call.interrupted {
				return errors.New("the peer's handler was not interrupted")
			}
			if o.call.elapsed < killWaitFixture-100*time.Millisecond {
				return fmt.Errorf("the call ended %s after the cancel, before the kill wait: the callee answered the INTERRUPT, the limitation is gone", o.call.elapsed)
			}
			return nil
		},
	},
	pyCallerCancel("kill"),
	pyCallerCancel("killnowait"),

	// --- binary ---
	jsonBinaryCaller(autobahnJS, "binary", "Autobahn|JS's JSONSerializer (lib/serializer.js) is plain JSON.stringify"),
	jsonBinaryCaller(autobahnJS, "binary_typed", "Autobahn|JS's JSONSerializer (lib/serializer.js) is plain JSON.stringify"),
	jsonBinaryCaller(wampyJS, "binary", "wampy's JsonSerializer (dist/esm/serializers/json-serializer.js) is plain JSON.stringify"),
	jsonBinaryCaller(wampyJS, "binary_typed", "wampy's JsonSerializer (dist/esm/serializers/json-serializer.js) is plain JSON.stringify"),
}

func init() {
	strict := append([]limitation(nil), strictLimitations...)
	strict = append(strict, jsonBinaryCallee(autobahnJS, "Autobahn|JS's JSONSerializer (lib/serializer.js) is "+
		"JSON.stringify/JSON.parse with an optional application replacer/reviver and no binary convention")...)
	strict = append(strict, jsonBinaryCallee(wampyJS, "wampy's JsonSerializer (dist/esm/serializers/json-serializer.js) "+
		"is plain JSON.stringify/JSON.parse with no binary convention")...)
	limitations = append(strict, limitations...)
}

const wampyNxtMsgpack = "wampy decodes MsgPack with msgpackr's unpack and its default options " +
	"(dist/esm/serializers/msgpack-serializer.js), which makes a 64-bit integer encoding a BigInt; nxt encodes " +
	"integers in 64 bits, so WELCOME's message type arrives as 2n, which wampy's dispatch does not take for WELCOME " +
	"(\"Received message \\\"2\\\" before session was established\"): wampy never joins"

// cannotJoin: the peer exited with wampy's protocol violation for nxt's
// 64-bit WELCOME.
func cannotJoin(o obs) error {
	if o.peer == nil {
		return errors.New("no peer process")
	}
	select {
	case <-o.peer.done:
	case <-time.After(5 * time.Second):
		return errors.New("the peer is still running: did it join after all?")
	}
	if s := o.peer.stderr.String(); !strings.Contains(s, `Received message "2" before session was established`) {
		return fmt.Errorf("the peer failed otherwise: %s", lastLines(s, 5))
	}
	return nil
}

const nxtNoCancel = "nxt announces the dealer feature call_canceling (wampproto-go acceptor.go RouterRoles) but ignores " +
	"CANCEL: xconn-go's Realm.ReceiveMessage (realm.go) has no case for it and returns \"unknown message type\", which " +
	"server.go only logs at trace level. The callee is never interrupted and the caller gets no ERROR from the router"

const nxtNoTimeout = "nxt ignores CALL.Options.timeout: the dealer of wampproto-go (dealer.go) reads only " +
	"receive_progress and progress from CALL options (and nxt does not announce call_timeout)"

// nxtIgnoresCancel: a canceled call goes on. Peer caller: the wampkit
// handler ran its 5 s uninterrupted and no wamp.error.canceled reached the
// peer from the router. Wampkit caller: the call ends locally (at once in
// killnowait, after the kill wait in kill) and the peer's handler runs to
// completion.
func nxtIgnoresCancel(role, scenario string) limitation {
	return limitation{
		role: role, router: "nxt", scenario: scenario, reason: nxtNoCancel,
		check: func(o obs) error {
			if role == roleCaller {
				if o.hang == nil {
					return errors.New("the wampkit handler never ran or never ended")
				}
				if o.hang.canceled {
					return fmt.Errorf("the wampkit handler was interrupted (%+v): the limitation is gone", o.hang)
				}
				if e, err := reportError(o); err == nil && e.URI == client.ErrCanceled.URI {
					return errors.New("the peer got wamp.error.canceled from the router: the limitation is gone")
				}
				return nil
			}
			if !errors.Is(o.call.err, client.ErrCanceled) {
				return fmt.Errorf("got %v, want an error matching client.ErrCanceled", o.call.err)
			}
			if !o.call.returned {
				return errors.New("the peer's handler did not run to completion: did nxt interrupt it after all?")
			}
			if scenario == "cancel_kill" && o.call.elapsed < killWaitFixture-100*time.Millisecond {
				return fmt.Errorf("the call ended %s after the cancel, before the kill wait: nxt answered the CANCEL", o.call.elapsed)
			}
			return nil
		},
	}
}

// peerCannotStream: the peer reported it has no way to stream a call's
// input and does not announce the feature.
func peerCannotStream(peer, reason string) limitation {
	return limitation{
		peer: peer, role: roleCaller, scenario: "progress_invocations", reason: reason,
		check: func(o obs) error {
			if o.report == nil || o.report["unsupported"] != true {
				return fmt.Errorf("the peer reported %v, want unsupported", o.report)
			}
			if o.report["announced"] != false {
				return errors.New("the peer announces progressive_call_invocations: the limitation is gone")
			}
			return nil
		},
	}
}

// peerCalleeIgnoresTimeout: nexus times the call out as a killnowait
// cancel; the peer, which neither announces call_canceling nor handles
// INTERRUPT, runs its handler to completion.
func peerCalleeIgnoresTimeout(peer, name string) limitation {
	return limitation{
		peer: peer, role: roleCallee, router: nexusRouters, scenario: "timeout",
		reason: name + " callees neither announce call_canceling nor handle INTERRUPT: nexus ends the timed-out call " +
			"with wamp.error.timeout at once, and the callee runs its handler to completion",
		check: func(o obs) error {
			if !errors.Is(o.call.err, client.ErrTimeout) {
				return fmt.Errorf("got %v (%v), want an error matching client.ErrTimeout", o.call.err, o.call.result)
			}
			if max := callTimeoutFixture + timeoutSlack; o.call.elapsed > max {
				return fmt.Errorf("the call took %s, more than %s", o.call.elapsed, max)
			}
			if !o.call.returned {
				return errors.New("the peer's handler did not run to completion: was it interrupted after all?")
			}
			return nil
		},
	}
}

// pyCallerCancel: Autobahn|Python resolves a canceled call locally.
func pyCallerCancel(mode string) limitation {
	return limitation{
		peer: autobahnPy, role: roleCaller, router: nexusRouters, scenario: "cancel_" + mode,
		reason: "Autobahn|Python cancels a call by canceling its future (autobahn/wamp/protocol.py call(): the " +
			"canceller sends CANCEL without a mode, so the router's default, killnowait on nexus, applies whatever " +
			"mode was wanted); the future ends at once with asyncio's CancelledError instead of the router's " +
			"wamp.error.canceled, and the session stays open. The INTERRUPT reaches the wampkit callee",
		check: func(o obs) error {
			if err := wantHandlerCanceled(o, mode); err != nil {
				return err
			}
			if o.report == nil {
				return errors.New("the peer reported nothing for this scenario")
			}
			if e, _ := o.report["error"].(map[string]any); !strings.HasPrefix(fmt.Sprint(e["local"]), "CancelledError") {
				return fmt.Errorf("peer got %v, want its local CancelledError", o.report["error"])
			}
			if o.report["session_open_after"] != true {
				return errors.New("the Autobahn|Python session did not stay open")
			}
			return nil
		},
	}
}

// jsonBinaryCallee: a JS peer's JSON serializer has no binary convention,
// so the callee gets the spec's string form ("\x00" + base64, exactly what
// wampkit must send) and answers it as a string, which wampkit decodes
// back to []byte.
func jsonBinaryCallee(peer, reason string) []limitation {
	check := func(o obs) error {
		if o.call.err != nil {
			return o.call.err
		}
		d, _ := o.call.invoked["seen"].(map[string]any)
		want := "\x00" + base64.StdEncoding.EncodeToString(binaryFixture)
		if d["type"] != "string" || d["value"] != want {
			return fmt.Errorf("the peer got %v %q, want the string %q (the spec's binary form)", d["type"], d["value"], want)
		}
		var got []byte
		switch r := o.call.result.(type) {
		case client.Payload:
			if len(r.Args) > 0 {
				got, _ = r.Args[0].([]byte)
			}
		case []byte:
			got = r
		}
		if !bytes.Equal(got, binaryFixture) {
			return fmt.Errorf("the string did not come back to wampkit as []byte %x: %v", binaryFixture, o.call.result)
		}
		return nil
	}
	reason += ": the peer sees a []byte as the spec's string form \"\\u0000\" + base64 and answers it as a string, " +
		"which wampkit decodes back to []byte"
	return []limitation{
		{peer: peer, role: roleCallee, serializer: "json", scenario: "binary", reason: reason, check: check},
		{peer: peer, role: roleCallee, serializer: "json", scenario: "binary_typed", reason: reason, check: check},
	}
}

// jsonBinaryCaller: a JS peer's JSON serializer sends a Buffer as
// JSON.stringify does ({"type": "Buffer", "data": [...]}), which wampkit
// receives as an object.
func jsonBinaryCaller(peer, scenario, reason string) limitation {
	return limitation{
		peer: peer, role: roleCaller, serializer: "json", scenario: scenario,
		reason: reason + ": a Buffer goes out as {\"type\": \"Buffer\", \"data\": [...]}, which wampkit receives as an object " +
			"(a typed []byte parameter answers wamp.error.invalid_argument)",
		check: func(o obs) error {
			if scenario == "binary" {
				args, _, err := reportResult(o)
				if err != nil {
					return err
				}
				if len(args) < 2 || args[1] != "map[string]interface {}" {
					return fmt.Errorf("the wampkit callee got %v, want map[string]interface {}", args)
				}
				return nil
			}
			e, err := reportError(o)
			if err != nil {
				return err
			}
			if e.URI != client.ErrInvalidArgument.URI {
				return fmt.Errorf("got %+v, want %s", e, client.ErrInvalidArgument.URI)
			}
			return nil
		},
	}
}

func init() {
	limitations = append([]limitation{
		{
			peer: autobahnJS, role: roleCaller, scenario: "ppt",
			reason: "Autobahn|JS has no Payload Passthru Mode: no API for it, and lib/session.js WAMP_FEATURES announces no " +
				"payload_passthru_mode",
			check: func(o obs) error {
				if o.report == nil || o.report["unsupported"] != true || o.report["announced"] != false {
					return fmt.Errorf("the peer reported %v, want unsupported and not announced", o.report)
				}
				return nil
			},
		},
		{
			peer: wampyJS, role: roleCaller, router: "nxt", scenario: "ppt",
			reason: "nxt does not announce payload_passthru_mode (wampproto-go acceptor.go RouterRoles), and wampy refuses " +
				"to send PPT to a router without it (PPTNotSupportedError)",
			check: func(o obs) error {
				if e, _ := o.report["error"].(map[string]any); !strings.Contains(fmt.Sprint(e["local"]), "PPTNotSupportedError") {
					return fmt.Errorf("peer got %v, want its local PPTNotSupportedError", o.report)
				}
				return nil
			},
		},
		{
			peer: wampyJS, role: roleCaller, serializer: "json", scenario: "ppt",
			reason: "wampy's JsonSerializer (dist/esm/serializers/json-serializer.js) is plain JSON.stringify: the binary " +
				"passthru payload goes out as {\"type\": \"Buffer\", \"data\": [...]}, not binary, and wampkit refuses an " +
				"INVOCATION that claims PPT without a binary argument (wamp.error.invalid_argument), as it must",
			check: func(o obs) error {
				e, err := reportError(o)
				if err != nil {
					return err
				}
				if e.URI != client.ErrInvalidArgument.URI || !strings.Contains(fmt.Sprint(e.Args), "not binary") {
					return fmt.Errorf("got %+v, want %s saying the argument is not binary", e, client.ErrInvalidArgument.URI)
				}
				return nil
			},
		},
		{
			peer: autobahnPy, role: roleCaller, scenario: "ppt",
			reason: "Autobahn|Python 22.7.1 speaks the pre-PPT \"payload transparency\" draft: a payload codec's bytes go as " +
				"the bare Arguments element (not a list) with enc_algo/enc_serializer options (autobahn/wamp/message.py " +
				"Call.marshal), and it announces payload_transparency, not payload_passthru_mode (role.py). No router " +
				"here takes that for PPT: nexus decodes the bytes as a list (MsgPack, CBOR: the wampkit callee gets plain " +
				"arguments) or drops the message (JSON), nxt drops the connection; the call is never a PPT call",
			check: func(o obs) error {
				if o.report == nil {
					return errors.New("the peer reported nothing for this scenario")
				}
				if args, _, err := reportResult(o); err == nil {
					if len(args) == 0 || args[0] != "not ppt" {
						return fmt.Errorf("the peer got %v: did the wampkit callee get a passthru payload after all?", args)
					}
					return nil
				}
				if e, _ := o.report["error"].(map[string]any); !strings.HasPrefix(fmt.Sprint(e["local"]), "TimeoutError") {
					return fmt.Errorf("peer got %v, want \"not ppt\" or no answer", o.report["error"])
				}
				return nil
			},
		},
	}, limitations...)
}
