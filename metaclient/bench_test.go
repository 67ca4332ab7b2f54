package metaclient

import (
	"testing"

	"github.com/wampkit/wampkit/client"
)

// BenchmarkRegistryApply measures how many lifecycle events per second the
// registry applies (create, two callees added, two removed, delete).
func BenchmarkRegistryApply(b *testing.B) {
	r := &Registry{regs: map[client.ID]*RegistrationInfo{}, changes: make(chan Change, 1)}
	b.ReportAllocs()
	events := 0
	for i := range b.N {
		id := client.ID(i + 1)
		for _, e := range []metaEvt{
			{kind: Created, session: 1, regID: id, reg: Registration{ID: id, URI: "com.bench.p", Match: Exact, Invoke: RoundRobin}},
			{kind: CalleeAdded, session: 1, regID: id},
			{kind: CalleeAdded, session: 2, regID: id},
			{kind: CalleeRemoved, session: 1, regID: id},
			{kind: CalleeRemoved, session: 2, regID: id},
			{kind: Deleted, session: 2, regID: id},
		} {
			r.mu.Lock()
			r.apply(e)
			r.mu.Unlock()
			events++
		}
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}
