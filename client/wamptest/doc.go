// Package wamptest tests code written with wampkit without a router
// process: it runs wampkit's reference router in the test's process, as
// net/http/httptest runs an HTTP server.
//
// [NewRouter] starts a router with a fresh realm for one test and closes it
// when the test ends; [Router.Connect] connects clients in process and
// closes them first. The router is a complete one: the registration meta
// API with wamp.registration.remove_callee and registration revocation
// ([Router.Admin] connects a session allowed to remove callees), shared
// registrations, progressive results, publish and subscribe. Code that
// takes a router URL reaches it over websocket ([Router.URL]) or rawsocket
// ([Router.RawSocketURL]) on 127.0.0.1.
//
//	func TestAdd(t *testing.T) {
//		r := wamptest.NewRouter(t)
//		ctx := t.Context()
//		svc := r.Connect(t)
//		if _, err := callee.Register(ctx, svc, "com.example.add", add); err != nil {
//			t.Fatal(err)
//		}
//		sum, err := caller.Call[int](ctx, r.Connect(t), "com.example.add", caller.Args(2, 3))
//		if err != nil || sum != 5 {
//			t.Fatalf("add(2, 3) = %d, %v", sum, err)
//		}
//	}
//
// Reconnect logic is tested with injected faults, on every connection of
// every transport at once: [Router.Drop] cuts the connections as a network
// failure would ([Router.DropClient]: one in-process client's only),
// [Router.Stall] holds their traffic until [Router.Resume],
// [Router.Delay] adds latency, and [Router.Restart] restarts the router
// behind the same URLs.
//
// A callee connected in process receives the Go types and values it
// receives over websocket or rawsocket, with any serializer (int64 for an
// int8 sent, a copy it may change freely): what passes in a test passes in
// production. Everything the package starts ends with
// [Router.Close] (at cleanup for [NewRouter]), so tests stay clean under
// go.uber.org/goleak; each cleanup is bounded, so a test never hangs on a
// router or a client that does not close. Programs and Example functions,
// which have no testing.TB, use [StartRouter] and [Router.Dial].
package wamptest
