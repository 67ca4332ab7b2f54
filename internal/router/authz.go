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
	default:
		return false
	}
	return true
}
