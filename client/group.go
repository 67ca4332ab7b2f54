package client

import (
	"context"
	"sync"
)

// group counts goroutines like a sync.WaitGroup, and can be waited for
// under a context without a helper goroutine: Idle is a channel closed
// while the count is zero, so a wait is a select. (A WaitGroup waited for
// under a context needs a goroutine blocked in Wait, which outlives the
// wait when the context ends first.) The zero value is an empty group.
type group struct {
	mu   sync.Mutex
	n    int
	idle chan struct{} // made by Idle while n > 0, for its waiters; closed (and dropped) when n drops to zero
}

// alwaysIdle is the Idle channel of a group with nothing to wait for.
var alwaysIdle = func() chan struct{} { ch := make(chan struct{}); close(ch); return ch }()

// Add adds d to the count, as WaitGroup.Add does.
func (g *group) Add(d int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	was := g.n
	g.n += d
	switch {
	case g.n < 0:
		panic("client: group count below zero")
	case was > 0 && g.n == 0 && g.idle != nil:
		close(g.idle)
		g.idle = nil
	}
}

// Done subtracts one.
func (g *group) Done() { g.Add(-1) }

// Idle returns a channel that is closed once the count is zero (at once if
// it is zero now).
func (g *group) Idle() <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.n == 0 {
		return alwaysIdle
	}
	if g.idle == nil { // made on demand: a count that rises and falls unwatched (a handler per call) allocates nothing
		g.idle = make(chan struct{})
	}
	return g.idle
}

// Wait waits until the count is zero or ctx ends (then it returns ctx's
// error; nothing is left waiting).
func (g *group) Wait(ctx context.Context) error {
	select {
	case <-g.Idle():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
