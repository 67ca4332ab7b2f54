package metaclient

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/wampkit/wampkit/client"
)

// Bondy may never publish on_delete: the last callee's on_unregister
// deletes the registration from the view (with a Deleted notification),
// and an on_delete that does follow (nexus, Crossbar) changes nothing.
func TestRegistryDeletesWithoutOnDelete(t *testing.T) {
	for _, withOnDelete := range []bool{false, true} {
		r := &Registry{regs: map[client.ID]*RegistrationInfo{}, pendingWake: make(chan struct{}, 1)}
		reg := Registration{ID: 7, URI: "com.x", Match: Exact, Invoke: RoundRobin}
		r.apply(Event{Kind: Created, Session: 1, Registration: reg})
		r.apply(Event{Kind: CalleeAdded, Session: 1, Registration: Registration{ID: 7}})
		r.apply(Event{Kind: CalleeAdded, Session: 2, Registration: Registration{ID: 7}})
		r.apply(Event{Kind: CalleeRemoved, Session: 1, Registration: Registration{ID: 7}})
		info, ok := r.regs[7]
		assert.True(t, ok, "one callee left: the registration stays")
		assert.Equal(t, []client.ID{2}, info.Callees)
		r.apply(Event{Kind: CalleeRemoved, Session: 2, Registration: Registration{ID: 7}})
		if withOnDelete {
			r.apply(Event{Kind: Deleted, Session: 2, Registration: Registration{ID: 7}})
		}
		assert.Empty(t, r.regs, "the last callee left: the registration is gone")
		var kinds []ChangeKind
		for _, c := range r.pending {
			kinds = append(kinds, c.Kind)
		}
		assert.Equal(t, []ChangeKind{Created, CalleeAdded, CalleeAdded, CalleeRemoved, CalleeRemoved, Deleted}, kinds)
		assert.Equal(t, "com.x", r.pending[len(r.pending)-1].URI)
	}
}
