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
//
// A session holds a registration at most once: the router refuses a second
// REGISTER of what the session holds (see refuseDuplicate).
// All fields are guarded by Router.mu.
type tracker struct {
	regs         map[wamp.ID]regKey   // registrations this session holds
	procs        map[regKey]wamp.ID   // the inverse of regs
	pendingReg   map[wamp.ID]regKey   // REGISTER requests awaiting REGISTERED/ERROR
	pendingUnreg map[wamp.ID]int      // client UNREGISTER requests awaiting their reply
	injected     map[wamp.ID]*removal // router's private UNREGISTER request IDs
	nextPrivate  wamp.ID              // counts down from 2^53
	settled      chan struct{}        // closed when pendingReg empties; nil if unwatched
	pendingSub   map[wamp.ID]struct{} // SUBSCRIBE requests for exact on_unregister
	unregSubs    map[wamp.ID]struct{} // this session's exact on_unregister subscriptions
	// pendingUnsub: UNSUBSCRIBE requests awaiting their reply, with the
	// subscription each ends (an UNSUBSCRIBED drops it from unregSubs).
	pendingUnsub map[wamp.ID]wamp.ID
}

func newTracker() tracker {
	return tracker{
		regs:         map[wamp.ID]regKey{},
		procs:        map[regKey]wamp.ID{},
		pendingReg:   map[wamp.ID]regKey{},
		pendingUnreg: map[wamp.ID]int{},
		injected:     map[wamp.ID]*removal{},
		nextPrivate:  wamp.MaxID,
		pendingSub:   map[wamp.ID]struct{}{},
		unregSubs:    map[wamp.ID]struct{}{},
		pendingUnsub: map[wamp.ID]wamp.ID{},
	}
}

// settledChan returns a channel closed once no REGISTER awaits its reply.
func (t *tracker) settledChan() <-chan struct{} {
	if t.settled == nil {
		t.settled = make(chan struct{})
	}
	return t.settled
}

// regKey is what nexus keeps one registration for: a procedure and its
// match policy ("" and unknown policies are exact, as nexus reads them).
type regKey struct {
	procedure wamp.URI
	match     string
}

func keyOf(m *wamp.Register) regKey {
	match, _ := wamp.AsString(m.Options[wamp.OptMatch])
	if match != wamp.MatchPrefix && match != wamp.MatchWildcard {
		match = wamp.MatchExact
	}
	return regKey{procedure: m.Procedure, match: match}
}

// registering reports whether a REGISTER for key awaits its reply.
func (t *tracker) registering(key regKey) bool {
	for _, k := range t.pendingReg {
		if k == key {
			return true
		}
	}
	return false
}

// regReplied ends REGISTER req; ok is false if it was not pending.
func (t *tracker) regReplied(req wamp.ID) (key regKey, ok bool) {
	if key, ok = t.pendingReg[req]; !ok {
		return key, false
	}
	delete(t.pendingReg, req)
	if len(t.pendingReg) == 0 && t.settled != nil {
		close(t.settled)
		t.settled = nil
	}
	return key, true
}

func (t *tracker) addReg(reg wamp.ID, key regKey) {
	t.regs[reg] = key
	t.procs[key] = reg
}

// dropReg forgets registration reg, reporting whether the session held it.
func (t *tracker) dropReg(reg wamp.ID) bool {
	key, ok := t.regs[reg]
	if ok {
		delete(t.regs, reg)
		delete(t.procs, key)
	}
	return ok
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
		if refusal := t.refuseDuplicate(c.id, m); refusal != nil {
			return refusal, true
		}
		t.pendingReg[m.Request] = keyOf(m)
	case *wamp.Unregister:
		return r.observeUnregister(c, m)
	case *wamp.Subscribe:
		if m.Topic == wamp.MetaEventRegOnUnregister {
			if match, _ := m.Options["match"].(string); match == "" || match == wamp.MatchExact {
				t.pendingSub[m.Request] = struct{}{}
			}
		}
	case *wamp.Unsubscribe:
		// Every one, not only those of unregSubs: nexus may answer a
		// SUBSCRIBE the router has yet to see answered before it reads an
		// UNSUBSCRIBE of the subscription (a client can guess the ID).
		t.pendingUnsub[m.Request] = m.Subscription
	}
	return nil, false
}

// refuseDuplicate answers a REGISTER of what session id already holds, or
// is still registering, with procedure_already_exists, as the spec has a
// Dealer answer a REGISTER of a procedure already registered. Under a shared
// invocation policy nexus would instead add the session as a second callee
// of its own registration; its dealer keeps the session's registrations as
// a set, so when the session leaves it removes only one of the two, and the
// procedure stays registered to a session that is gone (calls to it are
// never answered). inbound waits for pending REGISTERs first (awaitSettled),
// so "still registering" means the reply did not come within
// settleTimeout; the router then refuses rather than risk the double entry.
func (t *tracker) refuseDuplicate(id wamp.ID, m *wamp.Register) *wamp.Error {
	key := keyOf(m)
	var why string
	if reg, held := t.procs[key]; held {
		why = fmt.Sprintf("router: session %d already holds registration %d of %s (match %s)", id, reg, key.procedure, key.match)
	} else if t.registering(key) {
		why = fmt.Sprintf("router: session %d is still registering %s (match %s)", id, key.procedure, key.match)
	} else {
		return nil
	}
	return &wamp.Error{
		Type:      wamp.REGISTER,
		Request:   m.Request,
		Details:   wamp.Dict{},
		Error:     wamp.ErrProcedureAlreadyExists,
		Arguments: wamp.List{why},
	}
}

// awaitRegistering waits for the replies to this session's REGISTERs in
// flight when one is for what m registers: whether m is a duplicate depends
// on its answer. nexus has answered it already (it handles a REGISTER before
// reading the next message); the wait is for pumpOut to read the answer.
// Only pumpIn calls it, before taking inMu.
func (c *conn) awaitRegistering(m *wamp.Register) {
	c.r.mu.Lock()
	pending := c.track.registering(keyOf(m))
	c.r.mu.Unlock()
	if pending {
		c.r.awaitSettled(c.r.ctx, c)
	}
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
	switch {
	case t.dropReg(m.Registration):
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
		if key, ok := t.regReplied(m.Request); ok {
			t.addReg(m.Registration, key)
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
	case *wamp.Unsubscribed:
		if sub, ok := t.pendingUnsub[m.Request]; ok {
			delete(t.pendingUnsub, m.Request)
			delete(t.unregSubs, sub)
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
	case wamp.UNSUBSCRIBE:
		delete(t.pendingUnsub, m.Request)
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
		if _, ok := c.track.regs[reg]; ok {
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
