// Package wamptest is wampkit's test kit: it starts a router per test,
// connects clients over every transport and serializer, and cleans up with
// t.Cleanup so that goleak finds nothing left.
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
package wamptest
