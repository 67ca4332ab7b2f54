package router_test

import (
	"strings"
	"testing"

	"github.com/gammazero/nexus/v3/wamp"

	"github.com/wampkit/wampkit/internal/router"
	"github.com/wampkit/wampkit/internal/wire"
)

const proc = "com.example.echo"

// expectRevocation expects [UNREGISTERED, 0, {registration, reason}].
func expectRevocation(t *testing.T, s *rawSession, reg wamp.ID, reason string) {
	t.Helper()
	u := expect[*wire.Unregistered](s)
	checkRevocation(t, u, reg, reason)
}

func checkRevocation(t *testing.T, u *wire.Unregistered, reg wamp.ID, reason string) {
	t.Helper()
	if u.Request != 0 {
		t.Errorf("revocation request = %d, want 0", u.Request)
	}
	if got, _ := wamp.AsID(u.Details["registration"]); got != reg {
		t.Errorf("revocation registration = %v, want %d", u.Details["registration"], reg)
	}
	got, hasReason := u.Details["reason"]
	switch {
	case reason == "" && hasReason:
		t.Errorf("revocation reason = %v, want none", got)
	case reason != "" && got != reason:
		t.Errorf("revocation reason = %v, want %q", got, reason)
	}
}

func TestRemoveCalleeRevokes(t *testing.T) {
	for _, reason := range []string{"com.example.moved", ""} {
		t.Run("reason="+reason, func(t *testing.T) {
			r := newRouter(t, router.Config{})
			admin := join(t, r, asAdmin(r))
			callee := join(t, r, joinOpts{revocation: true})
			caller := join(t, r, joinOpts{})
			reg := callee.register(proc, nil)

			args := []any{reg, callee.id}
			if reason != "" {
				args = append(args, reason)
			}
			res := admin.callOK(router.ProcRemoveCallee, args...)
			if len(res.Arguments) != 0 || len(res.ArgumentsKw) != 0 {
				t.Errorf("RESULT carries %v %v, want no payload", res.Arguments, res.ArgumentsKw)
			}
			expectRevocation(t, callee, reg, reason)
			caller.callErr(wamp.ErrNoSuchProcedure, proc)
			admin.callErr(wamp.ErrNoSuchRegistration, string(wamp.MetaProcRegGet), reg)
		})
	}
}

func TestRemoveCalleeErrors(t *testing.T) {
	r := newRouter(t, router.Config{})
	admin := join(t, r, asAdmin(r))
	callee := join(t, r, joinOpts{revocation: true})
	other := join(t, r, joinOpts{revocation: true})
	reg := callee.register(proc, nil)
	const unknownSession, unknownReg = wamp.ID(1 << 52), wamp.ID(1 << 51)

	tests := []struct {
		name string
		args []any
		uri  wamp.URI
		text string
	}{
		{"session checked first", []any{unknownReg, unknownSession}, wamp.ErrNoSuchSession, "no session"},
		{"unknown session", []any{reg, unknownSession}, wamp.ErrNoSuchSession, "no session"},
		{"unknown registration", []any{unknownReg, callee.id}, wamp.ErrNoSuchRegistration, "no registration"},
		{"not a callee", []any{reg, other.id}, wamp.ErrNoSuchRegistration, "not a callee"},
		{"missing callee", []any{reg}, wamp.ErrInvalidArgument, "wants"},
		{"bad registration", []any{"x", callee.id}, wamp.ErrInvalidArgument, "registration_id"},
		{"bad reason", []any{reg, callee.id, "not a uri"}, wamp.ErrInvalidArgument, "reason"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := admin.callErr(tt.uri, router.ProcRemoveCallee, tt.args...)
			if !strings.HasPrefix(msg, "router: ") || !strings.Contains(msg, tt.text) {
				t.Errorf("message %q: want prefix %q and %q", msg, "router: ", tt.text)
			}
		})
	}
	// Nothing was removed and nobody was told anything.
	callee.expectNothing()
	other.expectNothing()
	if got := admin.callOK(string(wamp.MetaProcRegCountCallees), reg).Arguments; len(got) != 1 || got[0] != 1 {
		t.Errorf("count_callees = %v, want [1]", got)
	}
}

func TestRemoveCalleeWithoutRevocationFeature(t *testing.T) {
	r := newRouter(t, router.Config{})
	admin := join(t, r, asAdmin(r))
	callee := join(t, r, joinOpts{revocation: false})
	caller := join(t, r, joinOpts{})
	reg := callee.register(proc, nil)

	admin.callOK(router.ProcRemoveCallee, reg, callee.id, "com.example.gone")
	callee.expectNothing()
	caller.callErr(wamp.ErrNoSuchProcedure, proc)

	// The callee, unaware, unregisters: the registration is no longer its.
	callee.send(&wamp.Unregister{Request: callee.nextID(), Registration: reg})
	if e := expect[*wamp.Error](callee); e.Error != wamp.ErrNoSuchRegistration {
		t.Errorf("UNREGISTER after removal: %s, want %s", e.Error, wamp.ErrNoSuchRegistration)
	}
}

// metaObserver subscribes to the unregister/delete meta events.
type metaObserver struct {
	s      *rawSession
	topics map[wamp.ID]string
}

func observe(t *testing.T, r *router.Router) *metaObserver {
	o := &metaObserver{s: join(t, r, joinOpts{}), topics: map[wamp.ID]string{}}
	for _, topic := range []wamp.URI{wamp.MetaEventRegOnUnregister, wamp.MetaEventRegOnDelete} {
		o.topics[o.s.subscribe(string(topic))] = string(topic)
	}
	return o
}

// next returns the next event as "topic session registration".
func (o *metaObserver) next(t *testing.T) (topic string, session, reg wamp.ID) {
	t.Helper()
	ev := expect[*wamp.Event](o.s)
	if len(ev.Arguments) != 2 {
		t.Fatalf("meta event args = %v, want [session, registration]", ev.Arguments)
	}
	session, _ = wamp.AsID(ev.Arguments[0])
	reg, _ = wamp.AsID(ev.Arguments[1])
	return o.topics[ev.Subscription], session, reg
}

func (o *metaObserver) expectEvent(t *testing.T, topic wamp.URI, session, reg wamp.ID) {
	t.Helper()
	gt, gs, gr := o.next(t)
	if gt != string(topic) || gs != session || gr != reg {
		t.Errorf("event %s(%d, %d), want %s(%d, %d)", gt, gs, gr, topic, session, reg)
	}
}

func TestRemoveCalleeMetaEventOrder(t *testing.T) {
	r := newRouter(t, router.Config{})
	admin := join(t, r, asAdmin(r))
	obs := observe(t, r)
	a := join(t, r, joinOpts{revocation: true})
	b := join(t, r, joinOpts{revocation: true})
	shared := wamp.Dict{"invoke": "roundrobin"}
	reg := a.register(proc, shared)
	if got := b.register(proc, shared); got != reg {
		t.Fatalf("shared registration %d, want %d", got, reg)
	}

	admin.callOK(router.ProcRemoveCallee, reg, a.id)
	admin.callOK(router.ProcRemoveCallee, reg, b.id)
	// a was not the last callee: no on_delete before b's removal.
	obs.expectEvent(t, wamp.MetaEventRegOnUnregister, a.id, reg)
	obs.expectEvent(t, wamp.MetaEventRegOnUnregister, b.id, reg)
	obs.expectEvent(t, wamp.MetaEventRegOnDelete, b.id, reg)
	obs.s.expectNothing()
}

func TestRemoveCalleeSharedKeepsRouting(t *testing.T) {
	r := newRouter(t, router.Config{})
	admin := join(t, r, asAdmin(r))
	a := join(t, r, joinOpts{revocation: true})
	b := join(t, r, joinOpts{revocation: true})
	caller := join(t, r, joinOpts{})
	shared := wamp.Dict{"invoke": "roundrobin"}
	reg := a.register(proc, shared)
	b.register(proc, shared)

	admin.callOK(router.ProcRemoveCallee, reg, a.id, "com.example.drain")
	expectRevocation(t, a, reg, "com.example.drain")
	for i := range 3 {
		req := caller.startCall(proc, i)
		inv := expect[*wamp.Invocation](b)
		b.send(&wamp.Yield{Request: inv.Request, Options: wamp.Dict{}, Arguments: inv.Arguments})
		res := expect[*wamp.Result](caller)
		if res.Request != req || len(res.Arguments) != 1 {
			t.Fatalf("call %d: RESULT %+v", i, res)
		}
	}
	a.expectNothing()
}

func TestRemoveCalleeAuthorization(t *testing.T) {
	tests := []struct {
		name  string
		cfg   router.Config
		admin func(r *router.Router) joinOpts
		want  wamp.URI // "" for success
	}{
		{"anonymous refused", router.Config{}, func(*router.Router) joinOpts { return joinOpts{} }, wamp.ErrNotAuthorized},
		{"admin ticket allowed", router.Config{}, asAdmin, ""},
		{"custom ticket allowed", router.Config{AdminAuthID: "ops", AdminTicket: "s3cret", AdminRole: "ops", AdminRoles: []string{"ops"}}, asAdmin, ""},
		{"admin roles emptied", router.Config{AdminRoles: []string{}}, asAdmin, wamp.ErrNotAuthorized},
		{"trusted in-process allowed", router.Config{TrustInProcess: true}, func(*router.Router) joinOpts { return joinOpts{} }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRouter(t, tt.cfg)
			caller := join(t, r, tt.admin(r))
			callee := join(t, r, joinOpts{revocation: true})
			reg := callee.register(proc, nil)
			if tt.want != "" {
				caller.callErr(tt.want, router.ProcRemoveCallee, reg, callee.id)
				callee.expectNothing()
				return
			}
			caller.callOK(router.ProcRemoveCallee, reg, callee.id)
			expectRevocation(t, callee, reg, "")
		})
	}
}
