package router

import (
	"fmt"
	"maps"

	"github.com/gammazero/nexus/v3/wamp"

	"github.com/wampkit/wampkit/internal/wire"
)

// featureRevocation is the registration_revocation feature key.
const featureRevocation = "registration_revocation"

// tracker follows one session's registrations as nexus sees them at the
// point where it reads the session's next inbound message: REGISTERED
// replies add, forwarded UNREGISTERs remove. It is exact whenever no
// REGISTER is awaiting its reply (nexus handles REGISTER synchronously, so
// the reply is already queued by the time nexus reads the next message).
// All fields are guarded by Router.mu.
type tracker struct {
	regs         map[wamp.ID]int      // registration -> times this session holds it
	pendingReg   map[wamp.ID]struct{} // REGISTER requests awaiting REGISTERED/ERROR
	pendingUnreg map[wamp.ID]int      // client UNREGISTER requests awaiting their reply
	injected     map[wamp.ID]*removal // router's private UNREGISTER request IDs
	nextPrivate  wamp.ID              // counts down from 2^53
	settled      chan struct{}        // closed when pendingReg empties; nil if unwatched
	pendingSub   map[wamp.ID]struct{} // SUBSCRIBE requests for exact on_unregister
	unregSubs    map[wamp.ID]struct{} // this session's exact on_unregister subscriptions
}

func newTracker() tracker {
	return tracker{
		regs:         map[wamp.ID]int{},
		pendingReg:   map[wamp.ID]struct{}{},
		pendingUnreg: map[wamp.ID]int{},
		injected:     map[wamp.ID]*removal{},
		nextPrivate:  wamp.MaxID,
		pendingSub:   map[wamp.ID]struct{}{},
		unregSubs:    map[wamp.ID]struct{}{},
	}
}

// settledChan returns a channel closed once no REGISTER awaits its reply.
func (t *tracker) settledChan() <-chan struct{} {
	if t.settled == nil {
		t.settled = make(chan struct{})
	}
	return t.settled
}

func (t *tracker) regReplied(req wamp.ID) bool {
	if _, ok := t.pendingReg[req]; !ok {
		return false
	}
	delete(t.pendingReg, req)
	if len(t.pendingReg) == 0 && t.settled != nil {
		close(t.settled)
		t.settled = nil
	}
	return true
}

func (t *tracker) unregReplied(req wamp.ID) {
	if t.pendingUnreg[req] <= 1 {
		delete(t.pendingUnreg, req)
		return
	}
	t.pendingUnreg[req]--
}

// privateID returns a request ID that no reply this session awaits uses.
func (t *tracker) privateID() wamp.ID {
	for {
		id := t.nextPrivate
		t.nextPrivate--
		if t.nextPrivate == 0 {
			t.nextPrivate = wamp.MaxID
		}
		_, client := t.pendingUnreg[id]
		_, ours := t.injected[id]
		if !client && !ours {
			return id
		}
	}
}

// observeIn notes a client message about to reach nexus; c.inMu is held.
// When consumed is true msg is not forwarded: the router answers it, now
// with reply if non-nil, else later.
func (r *Router) observeIn(c *conn, msg wamp.Message) (reply wamp.Message, consumed bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := &c.track
	switch m := msg.(type) {
	case *wamp.Hello:
		c.revocation = announcesRevocation(m.Details)
		c.progressiveCalls = announces(m.Details, wamp.RoleCaller, featureProgressiveCalls)
	case *wamp.Register:
		t.pendingReg[m.Request] = struct{}{}
	case *wamp.Unregister:
		return r.observeUnregister(c, m)
	case *wamp.Subscribe:
		if m.Topic == wamp.MetaEventRegOnUnregister {
			if match, _ := m.Options["match"].(string); match == "" || match == wamp.MatchExact {
				t.pendingSub[m.Request] = struct{}{}
			}
		}
	}
	return nil, false
}

// observeUnregister drops the registration from the session's set. An
// UNREGISTER for a registration the session does not hold is answered here
// with no_such_registration, as Crossbar does: nexus would answer
// UNREGISTERED and publish a spurious on_unregister (or, for a callee removed
// by remove_callee, do so on a registration it no longer holds).
//
// When a remove_callee of that registration is still under way, the answer
// waits until the revocation is delivered, so the client sees them in the
// order they happened.
func (r *Router) observeUnregister(c *conn, m *wamp.Unregister) (wamp.Message, bool) {
	t := &c.track
	switch n := t.regs[m.Registration]; {
	case n > 1:
		t.regs[m.Registration] = n - 1
	case n == 1:
		delete(t.regs, m.Registration)
	case len(t.pendingReg) == 0 && c.id != 0:
		refusal := &wamp.Error{
			Type:      wamp.UNREGISTER,
			Request:   m.Request,
			Details:   wamp.Dict{},
			Error:     wamp.ErrNoSuchRegistration,
			Arguments: wamp.List{fmt.Sprintf("router: session %d holds no registration %d", c.id, m.Registration)},
		}
		for _, rm := range t.injected {
			if rm.reg == m.Registration {
				rm.trailing = append(rm.trailing, refusal)
				return nil, true
			}
		}
		return refusal, true
	}
	t.pendingUnreg[m.Request]++
	return nil, false
}

// observeOut notes a message from nexus for the client and returns what to
// deliver in its place (nil: nothing) and what to do once delivered.
func (r *Router) observeOut(c *conn, msg wamp.Message) (wamp.Message, func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := &c.track
	switch m := msg.(type) {
	case *wamp.Welcome:
		c.id = m.ID
		c.authrole, _ = wamp.AsString(m.Details["authrole"])
		r.sessions[m.ID] = c
		return &wamp.Welcome{ID: m.ID, Details: withRevocation(m.Details)}, nil
	case *wamp.Registered:
		if t.regReplied(m.Request) {
			t.regs[m.Registration]++
		}
	case *wamp.Unregistered:
		if rm := t.injected[m.Request]; rm != nil {
			delete(t.injected, m.Request)
			return rm.replied(c, m.Request, "")
		}
		t.unregReplied(m.Request)
	case *wamp.Error:
		return r.observeError(c, m)
	case *wamp.Subscribed:
		if _, ok := t.pendingSub[m.Request]; ok {
			delete(t.pendingSub, m.Request)
			t.unregSubs[m.Subscription] = struct{}{}
		}
	case *wamp.Event:
		return r.withRevocationReason(c, m), nil
	case *wamp.Invocation:
		return deliverCustom(m), nil
	}
	return msg, nil
}

func (r *Router) observeError(c *conn, m *wamp.Error) (wamp.Message, func()) {
	t := &c.track
	switch m.Type {
	case wamp.SUBSCRIBE:
		delete(t.pendingSub, m.Request)
	case wamp.REGISTER:
		t.regReplied(m.Request)
	case wamp.UNREGISTER:
		if rm := t.injected[m.Request]; rm != nil {
			delete(t.injected, m.Request)
			return rm.replied(c, m.Request, m.Error)
		}
		t.unregReplied(m.Request)
	}
	return m, nil
}

// registrationKnown reports whether any session holds registration reg;
// r.mu is held.
func (r *Router) registrationKnown(reg wamp.ID) bool {
	for _, c := range r.sessions {
		if c.track.regs[reg] > 0 {
			return true
		}
	}
	return false
}

// announcesRevocation reports whether HELLO.Details announce
// roles.callee.features.registration_revocation = true.
func announcesRevocation(details wamp.Dict) bool {
	return announces(details, wamp.RoleCallee, featureRevocation)
}

// featureProgressiveCalls is the progressive_call_invocations feature key.
const featureProgressiveCalls = "progressive_call_invocations"

// announces reports whether HELLO.Details announce
// roles.<role>.features.<feature> = true.
func announces(details wamp.Dict, role, feature string) bool {
	d := details
	for _, k := range []string{"roles", role, "features"} {
		var ok bool
		if d, ok = wire.AsDict(d[k]); !ok {
			return false
		}
	}
	v, _ := d[feature].(bool)
	return v
}

// withRevocation returns a copy of WELCOME.Details (or router features) with
// roles.dealer.features.registration_revocation = true. nexus shares its
// role dictionaries between sessions, so every level is copied.
func withRevocation(details wamp.Dict) wamp.Dict {
	out := maps.Clone(details)
	if out == nil {
		out = wamp.Dict{}
	}
	roles := cloneDict(out["roles"])
	dealer := cloneDict(roles[wamp.RoleDealer])
	features := cloneDict(dealer["features"])
	features[featureRevocation] = true
	dealer["features"] = features
	roles[wamp.RoleDealer] = dealer
	out["roles"] = roles
	return out
}

func cloneDict(v any) wamp.Dict {
	d, _ := wire.AsDict(v)
	out := make(wamp.Dict, len(d)+1)
	maps.Copy(out, d)
	return out
}
