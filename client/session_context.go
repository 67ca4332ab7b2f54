package client

import (
	"context"
	"time"
)

// engineInvocation implements context.Context, so that a handler's context costs
// no allocation until someone waits on it: Done makes its channel on first
// use. It also implements the AfterFunc method that the context package
// looks for, so contexts derived from it need no goroutine.

// engineInvocationKey finds the engineInvocation behind a handler's context.
type engineInvocationKey struct{}

// engineFromContext returns the invocation whose handler ctx belongs to (ctx
// itself or a context derived from it).
func engineFromContext(ctx context.Context) (*engineInvocation, bool) {
	inv, ok := ctx.Value(engineInvocationKey{}).(*engineInvocation)
	return inv, ok
}

// Deadline implements context.Context: the forwarded call timeout.
func (inv *engineInvocation) Deadline() (time.Time, bool) {
	return inv.deadline, !inv.deadline.IsZero()
}

// Done implements context.Context.
func (inv *engineInvocation) Done() <-chan struct{} {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	if inv.done == nil {
		inv.done = make(chan struct{})
		if inv.err != nil {
			close(inv.done)
		}
	}
	return inv.done
}

// Err implements context.Context.
func (inv *engineInvocation) Err() error {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	return inv.err
}

// Value implements context.Context.
func (inv *engineInvocation) Value(key any) any {
	if key == (engineInvocationKey{}) {
		return inv
	}
	return nil
}

type afterFunc struct{ f func() }

// AfterFunc arranges for f to run in its own goroutine once the context is
// canceled, like context.AfterFunc; stop unschedules it.
func (inv *engineInvocation) AfterFunc(f func()) (stop func() bool) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	if inv.err != nil {
		go f()
		return func() bool { return false }
	}
	a := &afterFunc{f: f}
	if inv.afterFuncs == nil {
		inv.afterFuncs = map[*afterFunc]struct{}{}
	}
	inv.afterFuncs[a] = struct{}{}
	return func() bool {
		inv.mu.Lock()
		defer inv.mu.Unlock()
		_, ok := inv.afterFuncs[a]
		delete(inv.afterFuncs, a)
		return ok
	}
}

// cancelWith cancels the context with err (once).
func (inv *engineInvocation) cancelWith(err error) {
	inv.mu.Lock()
	if inv.err != nil {
		inv.mu.Unlock()
		return
	}
	inv.err = err
	if inv.done != nil {
		close(inv.done)
	}
	fns := inv.afterFuncs
	inv.afterFuncs = nil
	timer := inv.timer
	inv.mu.Unlock()
	if timer != nil {
		timer.Stop()
	}
	for a := range fns {
		go a.f()
	}
}

var _ context.Context = (*engineInvocation)(nil)
