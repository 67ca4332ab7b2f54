package callee

import (
	"container/list"
	"context"
	"sync"
)

// gate is a FIFO counting semaphore whose waiters can give up: it bounds
// the handlers of one registration (see [Concurrency]).
type gate struct {
	mu      sync.Mutex
	free    int
	waiters list.List // of chan struct{}, closed when handed a slot
}

func newGate(n int) *gate { return &gate{free: n} }

// acquire takes a slot, waiting in arrival order. It fails with ctx's error
// when ctx has ended by the time a slot is free; the slot is then not taken.
func (g *gate) acquire(ctx context.Context) error {
	g.mu.Lock()
	if g.free > 0 && g.waiters.Len() == 0 {
		g.free--
		g.mu.Unlock()
		return nil
	}
	ready := make(chan struct{})
	el := g.waiters.PushBack(ready)
	g.mu.Unlock()
	select {
	case <-ready:
	case <-ctx.Done():
	}
	if ctx.Err() == nil {
		return nil
	}
	// Canceled, perhaps just as the slot came: a canceled invocation never
	// runs, so a slot handed over is passed on.
	g.mu.Lock()
	select {
	case <-ready: // handed a slot while giving up: pass it on
		g.mu.Unlock()
		g.release()
	default:
		g.waiters.Remove(el)
		g.mu.Unlock()
	}
	return ctx.Err()
}

// release frees a slot, handing it to the oldest waiter if there is one.
func (g *gate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if front := g.waiters.Front(); front != nil {
		g.waiters.Remove(front)
		close(front.Value.(chan struct{}))
		return
	}
	g.free++
}
