package metaclient

import (
	"testing"

	"github.com/wampkit/wampkit/client"
)

// BenchmarkRegistryApply measures how many lifecycle events per second the
// registry applies: a registration's whole life (create, two callees added,
// two removed, delete). "apply" starts from decoded events; "event" starts
// from the client's *client.Event, as the subscription delivers it.
func BenchmarkRegistryApply(b *testing.B) {
	b.Run("apply", func(b *testing.B) {
		r := benchRegistry()
		life := lifecycle(1)
		b.ReportAllocs()
		events := 0
		for range b.N {
			for _, e := range life {
				r.mu.Lock()
				r.apply(e)
				r.mu.Unlock()
				events++
			}
		}
		b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("event", func(b *testing.B) {
		r := benchRegistry()
		life := lifecycleEvents(1) // deleted at the end, so it can live again
		b.ReportAllocs()
		events := 0
		for range b.N {
			for _, ev := range life {
				r.onEvent(ev)
				events++
			}
		}
		b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
	})
}

func benchRegistry() *Registry {
	return &Registry{m: New(nil), regs: map[client.ID]*RegistrationInfo{}, changes: make(chan Change), pendingWake: make(chan struct{}, 1)}
}

func lifecycle(id client.ID) []Event {
	return []Event{
		{Kind: Created, Session: 1, Registration: Registration{ID: id, URI: "com.bench.p", Match: Exact, Invoke: RoundRobin}},
		{Kind: CalleeAdded, Session: 1, Registration: Registration{ID: id}},
		{Kind: CalleeAdded, Session: 2, Registration: Registration{ID: id}},
		{Kind: CalleeRemoved, Session: 1, Registration: Registration{ID: id}},
		{Kind: CalleeRemoved, Session: 2, Registration: Registration{ID: id}},
		{Kind: Deleted, Session: 2, Registration: Registration{ID: id}},
	}
}

func lifecycleEvents(id uint64) []*client.Event {
	ev := func(topic string, args ...any) *client.Event {
		return &client.Event{Payload: client.Payload{Args: args}, Details: map[string]any{"topic": topic}}
	}
	details := map[string]any{"id": id, "uri": "com.bench.p", "match": "", "invoke": "roundrobin",
		"created": "2026-03-03T09:16:37-1000"}
	return []*client.Event{
		ev(TopicOnCreate, uint64(1), details),
		ev(TopicOnRegister, uint64(1), id),
		ev(TopicOnRegister, uint64(2), id),
		ev(TopicOnUnregist, uint64(1), id),
		ev(TopicOnUnregist, uint64(2), id),
		ev(TopicOnDelete, uint64(2), id),
	}
}
