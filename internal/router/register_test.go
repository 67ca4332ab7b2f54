package router_test

import (
	"testing"

	"github.com/gammazero/nexus/v3/wamp"

	"github.com/wampkit/wampkit/internal/router"
)

// TestDuplicateRegisterRefused registers a shared procedure twice from one
// session: nexus would add the session as a second callee of the same
// registration and, when the session leaves, remove only one of the two,
// leaving the procedure registered to a session that is gone (calls to it
// went unanswered). The router refuses the second REGISTER as the spec's
// procedure_already_exists, so the session's leaving deletes the
// registration.
func TestDuplicateRegisterRefused(t *testing.T) {
	shared := wamp.Dict{"invoke": "roundrobin"}
	tests := []struct {
		name string
		// pipelined sends the second REGISTER before the first's reply
		// has been read.
		pipelined bool
	}{
		{"after REGISTERED", false},
		{"pipelined", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRouter(t, router.Config{})
			obs := observe(t, r)
			caller := join(t, r, joinOpts{})
			callee := join(t, r, joinOpts{revocation: true})

			first, second := callee.nextID(), callee.nextID()
			callee.send(&wamp.Register{Request: first, Options: shared, Procedure: proc})
			if !tt.pipelined {
				expect[*wamp.Registered](callee)
			}
			callee.send(&wamp.Register{Request: second, Options: shared, Procedure: proc})
			var reg wamp.ID
			if tt.pipelined {
				reg = expect[*wamp.Registered](callee).Registration
			}
			e := expect[*wamp.Error](callee)
			if e.Type != wamp.REGISTER || e.Request != second || e.Error != wamp.ErrProcedureAlreadyExists {
				t.Fatalf("second REGISTER answered %s, want ERROR %s for request %d", describe(e), wamp.ErrProcedureAlreadyExists, second)
			}
			if reg == 0 {
				reg = caller.callOK(string(wamp.MetaProcRegLookup), proc).Arguments[0].(wamp.ID)
			}

			callee.leave()
			obs.expectEvent(t, wamp.MetaEventRegOnUnregister, callee.id, reg)
			obs.expectEvent(t, wamp.MetaEventRegOnDelete, callee.id, reg)
			caller.callErr(wamp.ErrNoSuchProcedure, proc)
		})
	}
}

// TestRegisterWhatIsNotHeld registers again what the session does not hold
// (any more): nexus decides, the router does not refuse. Each case has a
// URI of its own: a session that left may still hold its registrations for
// a moment (nexus drops them on its own goroutine), and the next case must
// not meet them.
func TestRegisterWhatIsNotHeld(t *testing.T) {
	r := newRouter(t, router.Config{})
	admin := join(t, r, asAdmin(r))
	other := join(t, r, joinOpts{})
	other.register(proc+".taken", wamp.Dict{"invoke": "roundrobin"})

	tests := []struct {
		name string
		// before leaves the session holding nothing for the REGISTER of
		// uri with options.
		before  func(t *testing.T, s *rawSession, uri wamp.URI)
		uri     wamp.URI
		options wamp.Dict
	}{
		{"after UNREGISTER", func(t *testing.T, s *rawSession, uri wamp.URI) {
			reg := s.register(string(uri), nil)
			s.send(&wamp.Unregister{Request: s.nextID(), Registration: reg})
			expect[*wamp.Unregistered](s)
		}, proc + ".unregistered", nil},
		{"after remove_callee", func(t *testing.T, s *rawSession, uri wamp.URI) {
			reg := s.register(string(uri), nil)
			admin.callOK(router.ProcRemoveCallee, reg, s.id)
			expectRevocation(t, s, reg, "")
		}, proc + ".removed", nil},
		{"same URI, other match", func(t *testing.T, s *rawSession, uri wamp.URI) {
			s.register(string(uri), nil)
		}, proc + ".matched", wamp.Dict{"match": "prefix"}},
		{"pipelined after a refused REGISTER", func(t *testing.T, s *rawSession, uri wamp.URI) {
			// nexus refuses the first (invoke policy conflict); the second,
			// sent before that answer is read, matches and must pass.
			s.send(&wamp.Register{Request: s.nextID(), Options: wamp.Dict{"invoke": "random"}, Procedure: uri})
		}, proc + ".taken", wamp.Dict{"invoke": "roundrobin"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := join(t, r, joinOpts{revocation: true})
			tt.before(t, s, tt.uri)
			options := tt.options
			if options == nil {
				options = wamp.Dict{}
			}
			req := s.nextID()
			s.send(&wamp.Register{Request: req, Options: options, Procedure: tt.uri})
			for {
				switch m := expect[wamp.Message](s).(type) {
				case *wamp.Registered:
					if m.Request == req {
						s.leave()
						return
					}
				case *wamp.Error:
					if m.Request == req {
						t.Fatalf("REGISTER refused: %s", describe(m))
					}
				default:
					t.Fatalf("got %s", describe(m))
				}
			}
		})
	}
}
