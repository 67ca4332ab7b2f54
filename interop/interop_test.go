//go:build interop

package interop

import (
	"os"
	"testing"
)

// TestInterop runs the matrix: every peer in both roles, through both
// routers, with every serializer the peer speaks, plus the meta-API cells;
// then prints the matrix. Cells run in parallel (go test -parallel bounds
// how many node peers run at once).
func TestInterop(t *testing.T) {
	m := newMatrix()
	routers := []testRouter{startReference(t), startNexusd(t), startNxt(t)}
	t.Run("matrix", func(t *testing.T) {
		for _, peer := range []string{autobahnJS, wampyJS, autobahnPy} {
			for _, role := range []string{roleCaller, roleCallee} {
				for _, rt := range routers {
					for _, s := range peerSerializers[peer] {
						c := cell{peer: peer, role: role, router: rt.name, serializer: s}
						t.Run(c.name(), func(t *testing.T) {
							t.Parallel()
							if role == roleCaller {
								runCallerCell(t, m, c, rt)
							} else {
								runCalleeCell(t, m, c, rt)
							}
						})
					}
				}
			}
		}
		ref := routers[0]
		for _, s := range peerSerializers[autobahnJS] {
			c := cell{peer: autobahnJS, role: roleMeta, router: ref.name, serializer: s}
			t.Run(c.name(), func(t *testing.T) {
				t.Parallel()
				runMetaCell(t, m, c, ref)
			})
		}
	})
	pass, expected, failed := m.print(os.Stdout)
	t.Logf("interop: %d pass, %d expected, %d fail", pass, expected, failed)
	if failed > 0 && !t.Failed() {
		t.Error("interop: failures in the matrix")
	}
}
