// Package router is wampkit's reference WAMP router: the nexus router
// (github.com/gammazero/nexus/v3/router), wrapped and completed where nexus
// stops short of what the SDK's tests and examples need.
//
// What the wrapper adds:
//
//   - wamp.registration.remove_callee [registration_id, callee_session_id,
//     reason?], with Crossbar's errors and check order: unknown session
//     (wamp.error.no_such_session) first, then unknown registration, then a
//     session that is not a callee of it (both
//     wamp.error.no_such_registration). The callee is removed as if it had
//     unregistered, so on_unregister (and on_delete for the last callee) are
//     published and a shared registration keeps routing to the others.
//   - Registration revocation: the removed callee receives
//     [UNREGISTERED, 0, {"registration": id, "reason": reason}] only if its
//     HELLO announced roles.callee.features.registration_revocation, and the
//     WELCOME announces the feature for the dealer. The on_unregister event
//     of a removal carries the reason as the keyword argument "reason"
//     (beside the spec's positional [session, registration]), for watchers
//     (metaclient's UnregisterEvent.Reason, inspect -watch).
//   - Access control: remove_callee and the wamp.session.kill* procedures are
//     for [Config.AdminRoles] only; the read-only meta procedures are open
//     unless [Config.RestrictReadOnlyMeta].
//   - One realm (default "realm1") with anonymous sessions, caller disclosure
//     allowed, and one admin user authenticating with WAMP-Ticket (a random
//     ticket unless [Config.AdminTicket] sets one: there is no default
//     secret).
//   - Meta topics are the router's: a PUBLISH to wamp.* from a session
//     outside [Config.AdminRoles] is refused (a forged meta event).
//   - Malformed transport input at any stage ends that connection only
//     (nexus's rawsocket transport hands over a nil message for a reserved
//     frame type, which nexus itself would dereference).
//   - Websocket and rawsocket listeners (JSON, MsgPack, CBOR) whose
//     goroutines, like every other the router starts, end in [Router.Close].
//     They serialize with wampkit's Serializer (internal/wire), so what the
//     router sends is spec-shaped: no null where the spec has a list or a
//     dictionary, binary in the spec's JSON form.
//
// How: every attached peer is wrapped in a pair of pumps that nexus sees as
// the client. They follow each session's registrations from its REGISTER,
// REGISTERED and UNREGISTER messages, answer remove_callee themselves, and
// remove a callee by injecting an UNREGISTER into its own inbound stream
// under a private request ID, swallowing nexus's reply. nexus thus does the
// real unregistering and publishes the meta events itself. One more nexus
// divergence is fixed on the way: an UNREGISTER for a registration the
// session does not hold is answered wamp.error.no_such_registration (nexus
// would answer UNREGISTERED and publish a spurious on_unregister). And a
// REGISTER of a procedure (and match policy) the session already holds is
// answered wamp.error.procedure_already_exists: under a shared invocation
// policy nexus would add the session as a second callee, and remove only one
// of the two when the session leaves.
//
// A test starts a router on ephemeral loopback ports and closes it at the end:
//
//	r, err := router.Start(router.Config{})
//	if err != nil {
//		t.Fatal(err)
//	}
//	t.Cleanup(func() { _ = r.Close() })
//	url := r.WebsocketURL()              // ws://127.0.0.1:PORT/ws
//	authid, ticket := r.AdminCredentials() // "admin" and a random ticket
//
// In-process sessions join through [Router.Attach]; by default they
// authenticate like network clients ([Config.TrustInProcess] changes that).
//
// The router never prints. Logs, nexus's included, go to [Config.Logger].
package router
