package router_test

import (
	"testing"

	"github.com/gammazero/nexus/v3/wamp"

	"github.com/wampkit/wampkit/internal/router"
)

// TestOnUnregisterSubscriptionsAreForgotten subscribes to on_unregister and
// unsubscribes again, a few times: the router's record of the session's
// subscriptions (kept to add a remove_callee's reason to the events) goes
// back to empty each time, and a subscription made afterwards still gets the
// reason.
func TestOnUnregisterSubscriptionsAreForgotten(t *testing.T) {
	r := newRouter(t, router.Config{})
	admin := join(t, r, asAdmin(r))
	watcher := join(t, r, joinOpts{})
	callee := join(t, r, joinOpts{revocation: true})

	for i := range 3 {
		sub := watcher.subscribe(string(wamp.MetaEventRegOnUnregister))
		if again := watcher.subscribe(string(wamp.MetaEventRegOnUnregister)); again != sub {
			t.Fatalf("round %d: second SUBSCRIBE got subscription %d, want %d", i, again, sub)
		}
		if got := r.UnregSubsOf(watcher.id); got != 1 {
			t.Fatalf("round %d: %d on_unregister subscriptions tracked while subscribed, want 1", i, got)
		}
		req := watcher.nextID()
		watcher.send(&wamp.Unsubscribe{Request: req, Subscription: sub})
		if u := expect[*wamp.Unsubscribed](watcher); u.Request != req {
			t.Fatalf("round %d: UNSUBSCRIBED for request %d, want %d", i, u.Request, req)
		}
		if got := r.UnregSubsOf(watcher.id); got != 0 {
			t.Fatalf("round %d: %d on_unregister subscriptions tracked after UNSUBSCRIBED, want 0", i, got)
		}
	}

	sub := watcher.subscribe(string(wamp.MetaEventRegOnUnregister))
	reg := callee.register(proc, nil)
	admin.callOK(router.ProcRemoveCallee, reg, callee.id, "com.example.moved")
	ev := expect[*wamp.Event](watcher)
	if ev.Subscription != sub || ev.ArgumentsKw["reason"] != "com.example.moved" {
		t.Errorf("on_unregister event %+v, want subscription %d with reason com.example.moved", ev, sub)
	}
}
