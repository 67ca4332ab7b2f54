package router

import (
	"time"

	"github.com/gammazero/nexus/v3/wamp"
)

// revocations remembers, for a short while, why remove_callee removed a
// callee, so that the wamp.registration.on_unregister event nexus then
// publishes can carry the reason: as the keyword argument "reason", beside
// the spec's positional [session, registration]. (The spec's event has no
// reason; a subscriber that reads only the positional arguments sees the
// spec's event.) Guarded by Router.mu.
type revocations map[revokedKey]revokedReason

type revokedKey struct{ session, reg wamp.ID }

type revokedReason struct {
	reason string
	at     time.Time
}

// revocationMemory is how long a reason waits for its event; nexus
// publishes on_unregister right after the injected UNREGISTER.
const revocationMemory = 10 * time.Second

// note records a removal's reason; r.mu is held.
func (r *Router) noteRevocation(session, reg wamp.ID, reason string) {
	if reason == "" {
		return
	}
	now := time.Now()
	if r.revoked == nil {
		r.revoked = revocations{}
	}
	for k, v := range r.revoked { // few: removals are rare
		if now.Sub(v.at) > revocationMemory {
			delete(r.revoked, k)
		}
	}
	r.revoked[revokedKey{session, reg}] = revokedReason{reason: reason, at: now}
}

// withRevocationReason returns ev with the removal's reason when it is an
// on_unregister event (an exact subscription of c's, or a pattern one whose
// details name the topic) about a recent remove_callee; else ev. The event
// nexus hands every subscriber is shared, so a copy carries the reason.
// r.mu is held.
func (r *Router) withRevocationReason(c *conn, ev *wamp.Event) *wamp.Event {
	if len(r.revoked) == 0 || len(ev.Arguments) < 2 {
		return ev
	}
	_, exact := c.track.unregSubs[ev.Subscription]
	if topic, _ := wamp.AsURI(ev.Details["topic"]); !exact && topic != wamp.MetaEventRegOnUnregister {
		return ev
	}
	session, ok1 := wamp.AsID(ev.Arguments[0])
	reg, ok2 := wamp.AsID(ev.Arguments[1])
	why, found := r.revoked[revokedKey{session, reg}]
	if !ok1 || !ok2 || !found {
		return ev
	}
	kw := make(wamp.Dict, len(ev.ArgumentsKw)+1)
	for k, v := range ev.ArgumentsKw {
		kw[k] = v
	}
	kw["reason"] = why.reason
	cp := *ev
	cp.ArgumentsKw = kw
	return &cp
}
