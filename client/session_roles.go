package client

import "github.com/gammazero/nexus/v3/wamp"

// clientRoles is the roles dictionary announced in HELLO: only features this
// engine really implements.
func clientRoles() wamp.Dict {
	feat := func(names ...string) wamp.Dict {
		f := wamp.Dict{}
		for _, n := range names {
			f[n] = true
		}
		return wamp.Dict{"features": f}
	}
	return wamp.Dict{
		"caller": feat("progressive_call_results", "call_canceling", "progressive_call_invocations",
			"caller_identification", "call_timeout", "payload_passthru_mode"),
		"callee": feat("progressive_call_results", "call_canceling", "progressive_call_invocations",
			"pattern_based_registration", "shared_registration", "caller_identification",
			"call_timeout", "registration_revocation", "payload_passthru_mode"),
		"publisher": feat("publisher_identification", "subscriber_blackwhite_listing", "publisher_exclusion",
			"payload_passthru_mode"),
		"subscriber": feat("pattern_based_subscription", "publisher_identification", "payload_passthru_mode"),
	}
}

// noOptions is the empty options dictionary of messages that carry none. It
// is shared and never written to: neither this engine nor routers modify a
// message's options.
var noOptions = wamp.Dict{}

// progressOptions are the options of every progressive YIELD and of every
// streamed input chunk but the last, shared like noOptions: one map per
// chunk was two allocations.
var progressOptions = wamp.Dict{wamp.OptProgress: true}
