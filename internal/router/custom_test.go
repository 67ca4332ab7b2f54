package router_test

import (
	"testing"

	"github.com/gammazero/nexus/v3/wamp"

	"github.com/wampkit/wampkit/internal/router"
)

// Implementation-specific CALL options (_[a-z0-9_]{3,}, where client/wampotel
// carries trace context) reach the callee in the INVOCATION's Details, with
// the caller's kwargs untouched; nexus alone would drop them.
func TestCustomCallOptionsReachInvocationDetails(t *testing.T) {
	r := newRouter(t, router.Config{})
	callee := join(t, r, joinOpts{})
	caller := join(t, r, joinOpts{})
	callee.register("com.example.traced", nil)

	for _, tc := range []struct {
		name   string
		kwargs wamp.Dict
	}{{"no kwargs", nil}, {"kwargs", wamp.Dict{"k": "v"}}} {
		t.Run(tc.name, func(t *testing.T) {
			req := caller.nextID()
			caller.send(&wamp.Call{Request: req, Procedure: "com.example.traced", Arguments: wamp.List{1},
				ArgumentsKw: tc.kwargs, Options: wamp.Dict{
					"_traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
					"_tracestate":  "k=v", "timeout": 0}})
			inv := expect[*wamp.Invocation](callee)
			if got := inv.Details["_traceparent"]; got != "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" {
				t.Errorf("_traceparent in INVOCATION.Details = %v", got)
			}
			if got := inv.Details["_tracestate"]; got != "k=v" {
				t.Errorf("_tracestate in INVOCATION.Details = %v", got)
			}
			if _, ok := inv.Details["timeout"]; ok {
				t.Errorf("an option the spec defines was copied: %v", inv.Details)
			}
			if len(inv.ArgumentsKw) != len(tc.kwargs) || (tc.kwargs != nil && inv.ArgumentsKw["k"] != "v") {
				t.Errorf("kwargs reached the callee as %v, want %v", inv.ArgumentsKw, tc.kwargs)
			}
			callee.send(&wamp.Yield{Request: inv.Request, ArgumentsKw: inv.ArgumentsKw})
			res := expect[*wamp.Result](caller)
			if len(res.ArgumentsKw) != len(tc.kwargs) {
				t.Errorf("result kwargs %v", res.ArgumentsKw)
			}
		})
	}

	// A call without custom options is delivered as nexus makes it.
	caller.startCall("com.example.traced", 2)
	inv := expect[*wamp.Invocation](callee)
	for k := range inv.Details {
		if k[0] == '_' {
			t.Errorf("unexpected custom key %q", k)
		}
	}
	if inv.ArgumentsKw != nil {
		t.Errorf("kwargs %v", inv.ArgumentsKw)
	}
}
