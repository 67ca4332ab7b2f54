// Package wamptest is wampkit's own test helpers, on top of the public test
// kit (client/wamptest), which holds the router: NewRouter here is the kit's
// router with conveniences for the SDK's tests (connecting over every
// transport and serializer, Local, WS, Attach for ConnectLocal),
// and Restartable, Faulty and Proxy put the fault machinery the kit uses
// (internal/netfault) in front of one client or one address. Everything is
// cleaned up with t.Cleanup, so that goleak finds nothing left.
//
//	func TestX(t *testing.T) {
//		r := wamptest.NewRouter(t)
//		for _, tr := range wamptest.Transports() {
//			t.Run(tr.Name, func(t *testing.T) {
//				c := r.Connect(t, tr)
//				...
//			})
//		}
//	}
//
// Tests that show how a user tests their code use client/wamptest itself.
package wamptest
