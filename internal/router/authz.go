package router

import (
	"fmt"
	"strings"

	"github.com/gammazero/nexus/v3/wamp"
)

// adminOnly lists the procedures only [Config.AdminRoles] may call, besides
// [ProcRemoveCallee]: the ones that act on other sessions.
var adminOnly = map[wamp.URI]bool{
	wamp.MetaProcSessionKill:           true,
	wamp.MetaProcSessionKillByAuthid:   true,
	wamp.MetaProcSessionKillByAuthrole: true,
	wamp.MetaProcSessionKillAll:        true,
	wamp.MetaProcSessionModifyDetails:  true,
}

// readOnlyMeta reports whether proc is a read-only meta procedure, the ones
// [Config.RestrictReadOnlyMeta] closes to non-admins. The testament
// procedures act on the caller's own session and stay open.
func readOnlyMeta(proc wamp.URI) bool {
	switch proc {
	case wamp.MetaProcSessionAddTestament, wamp.MetaProcSessionFlushTestaments:
		return false
	}
	for _, p := range []string{"wamp.registration.", "wamp.subscription.", "wamp.session."} {
		if strings.HasPrefix(string(proc), p) {
			return true
		}
	}
	return false
}

// intercept answers the CALLs the router handles itself or refuses, and
// reports whether it did; other CALLs go on to nexus. A CALL to
// remove_callee never reaches nexus, which would answer no_such_procedure.
func (c *conn) intercept(call *wamp.Call) bool {
	r := c.r
	r.mu.Lock()
	welcomed, role := c.id != 0, c.authrole
	r.mu.Unlock()
	if !welcomed {
		return false // a CALL before WELCOME is nexus's protocol violation to handle
	}
	admin := r.cfg.isAdmin(role)
	proc := call.Procedure
	switch {
	case proc == ProcRemoveCallee && admin:
		c.startRemoveCallee(call)
	case proc == ProcRemoveCallee, adminOnly[proc] && !admin,
		r.cfg.RestrictReadOnlyMeta && readOnlyMeta(proc) && !admin:
		c.sendLocal(callError(call, wamp.ErrNotAuthorized,
			fmt.Sprintf("router: authrole %q may not call %s", role, proc)))
	case proc == wamp.MetaProcSessionAddTestament && !admin:
		if why := c.refuseTestament(call); why != "" {
			c.sendLocal(callError(call, wamp.ErrNotAuthorized, why))
			return true
		}
		return false
	case proc == wamp.MetaProcSessionFlushTestaments:
		if scope, ok := testamentScope(call.ArgumentsKw); ok {
			r.mu.Lock()
			c.testaments[scope] = 0 // nexus flushes that scope only
			r.mu.Unlock()
		}
		return false
	default:
		return false
	}
	return true
}

// refusePublish refuses a PUBLISH to a topic in the wamp.* namespace from a
// session outside [Config.AdminRoles], and reports whether it did. Those
// topics carry the router's meta events (wamp.session.on_join,
// wamp.registration.on_unregister...): a client's publication there would
// be a forged meta event, which subscribers such as metaclient trust. The
// refusal is an ERROR wamp.error.not_authorized when the publisher asked for
// an acknowledgement (the spec answers an unacknowledged PUBLISH with
// nothing), and the event goes nowhere either way.
func (c *conn) refusePublish(pub *wamp.Publish) bool {
	if !strings.HasPrefix(string(pub.Topic), "wamp.") {
		return false
	}
	r := c.r
	r.mu.Lock()
	welcomed, role := c.id != 0, c.authrole
	r.mu.Unlock()
	if !welcomed || r.cfg.isAdmin(role) {
		return false // before WELCOME, nexus's protocol violation to handle
	}
	r.log.Debug("router: refused PUBLISH to a meta topic", "session", c.sessionID(), "topic", pub.Topic, "authrole", role)
	if ack, _ := pub.Options[wamp.OptAcknowledge].(bool); ack {
		c.sendLocal(&wamp.Error{Type: wamp.PUBLISH, Request: pub.Request, Details: wamp.Dict{},
			Error:     wamp.ErrNotAuthorized,
			Arguments: wamp.List{fmt.Sprintf("router: authrole %q may not publish to %s (the router's meta events)", role, pub.Topic)}})
	}
	return true
}

// maxTestaments bounds the testaments a session outside [Config.AdminRoles]
// may leave: nexus keeps every one until the session leaves, and publishes
// them all then.
const maxTestaments = 64

// refuseTestament says why a testament (wamp.session.add_testament) from a
// session outside [Config.AdminRoles] is refused, "" when it is not: nexus
// publishes a testament from the router's own meta session when its
// session leaves, so one to a topic in the wamp.* namespace would be a
// forged meta event (see refusePublish); and a session may leave at most
// maxTestaments of them (flush_testaments starts the count again).
func (c *conn) refuseTestament(call *wamp.Call) string {
	if len(call.Arguments) > 0 {
		// As nexus reads it: a string, a wamp.URI, or binary.
		if topic, ok := wamp.AsURI(call.Arguments[0]); ok && strings.HasPrefix(string(topic), "wamp.") {
			return fmt.Sprintf("router: a testament may not publish to %s, in the router's namespace", topic)
		}
	}
	scope, ok := testamentScope(call.ArgumentsKw)
	if !ok {
		return "" // nexus refuses it
	}
	c.r.mu.Lock()
	defer c.r.mu.Unlock()
	if c.testaments[scope] >= maxTestaments {
		return fmt.Sprintf("router: a session may leave at most %d testaments of scope %s", maxTestaments, testamentScopes[scope])
	}
	c.testaments[scope]++
	return ""
}

// testamentScopes names the scopes by testamentScope's numbers.
var testamentScopes = [2]string{"destroyed", "detached"}

// testamentScope returns the scope a testament call names ("destroyed"
// unless it says "detached"), as nexus reads it; ok is false for a scope
// nexus refuses.
func testamentScope(kwargs wamp.Dict) (scope int, ok bool) {
	s, _ := wamp.AsString(kwargs["scope"])
	switch s {
	case "", "destroyed":
		return 0, true
	case "detached":
		return 1, true
	}
	return 0, false
}
