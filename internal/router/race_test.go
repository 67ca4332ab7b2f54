package router_test

import (
	"fmt"
	"testing"

	"github.com/gammazero/nexus/v3/wamp"

	"github.com/wampkit/wampkit/internal/router"
	"github.com/wampkit/wampkit/internal/wire"
)

// TestRemoveCalleeRightAfterOnRegister removes a callee as soon as
// on_register announces it, while its REGISTERED reply may still be on the
// way: the router must wait for it rather than answer "not a callee".
func TestRemoveCalleeRightAfterOnRegister(t *testing.T) {
	r := newRouter(t, router.Config{})
	admin := join(t, r, asAdmin(r))
	admin.subscribe(string(wamp.MetaEventRegOnRegister))
	for i := range 20 {
		callee := join(t, r, joinOpts{revocation: true})
		callee.send(&wamp.Register{Request: callee.nextID(), Options: wamp.Dict{}, Procedure: proc})
		ev := expect[*wamp.Event](admin)
		sess, _ := wamp.AsID(ev.Arguments[0])
		reg, _ := wamp.AsID(ev.Arguments[1])
		if sess != callee.id {
			t.Fatalf("round %d: on_register for session %d, want %d", i, sess, callee.id)
		}
		admin.callOK(router.ProcRemoveCallee, reg, callee.id)
		if got := expect[*wamp.Registered](callee).Registration; got != reg {
			t.Fatalf("round %d: REGISTERED %d, want %d", i, got, reg)
		}
		expectRevocation(t, callee, reg, "")
		callee.leave()
	}
}

// TestRemoveCalleeRacesClientUnregister lets the callee unregister while the
// admin removes it: exactly one of the two wins, and on_unregister is
// published once.
func TestRemoveCalleeRacesClientUnregister(t *testing.T) {
	r := newRouter(t, router.Config{})
	admin := join(t, r, asAdmin(r))
	obs := observe(t, r)
	for i := range 20 {
		callee := join(t, r, joinOpts{revocation: true})
		reg := callee.register(proc, nil)
		unreq := callee.nextID()
		callee.send(&wamp.Unregister{Request: unreq, Registration: reg})
		adminWon := !isError(admin.call(router.ProcRemoveCallee, reg, callee.id))

		switch m := expect[wamp.Message](callee).(type) {
		case *wamp.Unregistered: // the client's own UNREGISTER went first
			if adminWon || m.Request != unreq {
				t.Fatalf("round %d: admin won, yet client got %s", i, describe(m))
			}
		case *wire.Unregistered: // the removal went first
			if !adminWon {
				t.Fatalf("round %d: admin lost, yet callee got a revocation", i)
			}
			checkRevocation(t, m, reg, "")
			if e := expect[*wamp.Error](callee); e.Request != unreq || e.Error != wamp.ErrNoSuchRegistration {
				t.Fatalf("round %d: client UNREGISTER answered %s", i, describe(e))
			}
		default:
			t.Fatalf("round %d: callee got %s", i, describe(m))
		}
		obs.expectEvent(t, wamp.MetaEventRegOnUnregister, callee.id, reg)
		obs.expectEvent(t, wamp.MetaEventRegOnDelete, callee.id, reg)
		callee.leave()
	}
	obs.s.expectNothing()
}

// TestRemoveCalleeRacesLeave lets the callee leave while the admin removes
// it: the answer is success or no_such_session, never a hang.
func TestRemoveCalleeRacesLeave(t *testing.T) {
	r := newRouter(t, router.Config{})
	admin := join(t, r, asAdmin(r))
	for i := range 20 {
		callee := join(t, r, joinOpts{revocation: true})
		reg := callee.register(fmt.Sprintf("%s.%d", proc, i), nil)
		go callee.peer.Close()
		switch m := admin.call(router.ProcRemoveCallee, reg, callee.id).(type) {
		case *wamp.Result:
		case *wamp.Error:
			if m.Error != wamp.ErrNoSuchSession {
				t.Fatalf("round %d: %s", i, describe(m))
			}
		}
		callee.leaveOnce.Do(func() {})
	}
}

func isError(m wamp.Message) bool {
	_, ok := m.(*wamp.Error)
	return ok
}

func TestAdminOnlyAndReadOnlyMeta(t *testing.T) {
	for _, restrict := range []bool{false, true} {
		r := newRouter(t, router.Config{RestrictReadOnlyMeta: restrict})
		anon := join(t, r, joinOpts{})
		admin := join(t, r, asAdmin(r))
		victim := join(t, r, joinOpts{})

		anon.callErr(wamp.ErrNotAuthorized, string(wamp.MetaProcSessionKill), victim.id)
		for _, p := range []wamp.URI{wamp.MetaProcRegList, wamp.MetaProcSessionCount, wamp.MetaProcSubList} {
			if restrict {
				anon.callErr(wamp.ErrNotAuthorized, string(p))
			} else {
				anon.callOK(string(p))
			}
			admin.callOK(string(p))
		}
		admin.callOK(string(wamp.MetaProcSessionKill), victim.id)
		if g := expect[*wamp.Goodbye](victim); g.Reason != wamp.CloseNormal {
			t.Errorf("killed session GOODBYE %s", g.Reason)
		}
	}
}
