package router

import (
	"strings"

	"github.com/gammazero/nexus/v3/wamp"
)

// The WAMP spec lets implementations use their own Options and Details keys
// (matching _[a-z0-9_]{3,}); client/wampotel carries trace context in them
// ("_traceparent", "_tracestate"). nexus builds INVOCATION.Details from
// scratch and drops them, so the router carries them itself: a CALL with
// such keys reaches nexus with them stashed in its kwargs under carryKey
// (nexus hands a CALL's kwargs to its INVOCATION untouched), and the
// INVOCATION leaves for the callee with them moved to its Details and the
// kwargs as the caller sent them. A key nexus sets itself is not replaced.
//
// Not carried: calls of the router's own wamp.* procedures, and calls in
// Payload Passthru Mode (their kwargs must stay absent).

// carryKey is the kwargs key of the stash; no client can collide with it
// by accident, and it never leaves the router.
const carryKey = "\x00wampkit.custom_options"

// stash is what travels under carryKey: the custom options and the
// caller's own kwargs (nil when it sent none).
type stash struct {
	custom wamp.Dict
	kwargs wamp.Dict
}

// customOptions returns the CALL's implementation-specific options, nil
// when it has none.
func customOptions(opts wamp.Dict) wamp.Dict {
	var out wamp.Dict
	for k, v := range opts {
		if len(k) > 1 && k[0] == '_' {
			if out == nil {
				out = wamp.Dict{}
			}
			out[k] = v
		}
	}
	return out
}

// carryCustom returns call with its custom options stashed in a copy's
// kwargs, or call itself when there is nothing to carry.
func carryCustom(call *wamp.Call) *wamp.Call {
	if strings.HasPrefix(string(call.Procedure), "wamp.") {
		return call
	}
	if _, ppt := call.Options[wamp.OptPPTScheme]; ppt {
		return call
	}
	custom := customOptions(call.Options)
	if custom == nil {
		return call
	}
	kw := make(wamp.Dict, len(call.ArgumentsKw)+1)
	for k, v := range call.ArgumentsKw {
		kw[k] = v
	}
	kw[carryKey] = &stash{custom: custom, kwargs: call.ArgumentsKw}
	cp := *call
	cp.ArgumentsKw = kw
	return &cp
}

// deliverCustom returns inv with the stashed options moved to its Details,
// or inv itself when it carries none.
func deliverCustom(inv *wamp.Invocation) *wamp.Invocation {
	s, ok := inv.ArgumentsKw[carryKey].(*stash)
	if !ok {
		return inv
	}
	details := make(wamp.Dict, len(inv.Details)+len(s.custom))
	for k, v := range s.custom {
		details[k] = v
	}
	for k, v := range inv.Details { // nexus's own keys win
		details[k] = v
	}
	cp := *inv
	cp.Details, cp.ArgumentsKw = details, s.kwargs
	return &cp
}
