package router

import "github.com/gammazero/nexus/v3/wamp"

// UnregSubsOf returns how many exact on_unregister subscriptions the router
// tracks for session id (-1: no such session).
func (r *Router) UnregSubsOf(id wamp.ID) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.sessions[id]
	if c == nil {
		return -1
	}
	return len(c.track.unregSubs)
}
