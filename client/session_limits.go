package client

import (
	"sync"

	"github.com/gammazero/nexus/v3/wamp"
)

// Error URIs the session answers with at its bounds.
const (
	// uriUnavailable answers an INVOCATION refused because the session
	// already runs sessionConfig.MaxInvocations handlers, or holds
	// sessionConfig.InputBytes of invocation input. It is the spec's URI for a
	// callee that cannot take an invocation now (a dealer may reroute it).
	uriUnavailable = "wamp.error.unavailable"
	// uriInputOverflow answers a progressive invocation whose streamed
	// input chunks arrived faster than the handler took them, past
	// sessionConfig.InputBytes.
	uriInputOverflow = "wampkit.error.input_overflow"
)

// resultSize approximates what a RESULT holds in memory (see approxSize).
func resultSize(m *wamp.Result) int {
	return 16 + approxSize(m.Details) + approxSize(m.Arguments) + approxSize(m.ArgumentsKw)
}

// invocationSize approximates what an INVOCATION holds in memory.
// For a handed-over payload the sender measured Arguments and ArgumentsKw
// while checking them (walker.approx): not walked again.
func invocationSize(m *wamp.Invocation, h handed) int {
	if h.shared && h.size >= 0 {
		return 24 + approxSize(m.Details) + h.size
	}
	return 24 + approxSize(m.Details) + approxSize(m.Arguments) + approxSize(m.ArgumentsKw)
}

// maxEndedStreams bounds the set of streamed invocations that ended (or were
// refused) before their final input chunk.
const maxEndedStreams = 4096

// endedStreams remembers the request IDs of progressive invocations that
// ended before their final chunk, so that the chunks still coming are
// dropped instead of starting new invocations. Oldest first out at the bound.
type endedStreams struct {
	mu    sync.Mutex
	ids   map[wamp.ID]struct{}
	order []wamp.ID
}

func (e *endedStreams) add(id wamp.ID) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ids == nil {
		e.ids = map[wamp.ID]struct{}{}
	}
	if _, ok := e.ids[id]; ok {
		return
	}
	for len(e.ids) >= maxEndedStreams && len(e.order) > 0 {
		delete(e.ids, e.order[0])
		e.order = e.order[1:]
	}
	e.ids[id] = struct{}{}
	e.order = append(e.order, id)
}

// take reports whether id is an ended stream; its final chunk (more false)
// forgets it.
func (e *endedStreams) take(id wamp.ID, more bool) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.ids[id]; !ok {
		return false
	}
	if !more {
		delete(e.ids, id)
		for i, o := range e.order {
			if o == id {
				e.order = append(e.order[:i], e.order[i+1:]...)
				break
			}
		}
	}
	return true
}
