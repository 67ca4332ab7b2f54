package client

import (
	"context"
	"testing"
	"time"
)

// TestGroupIdle: Idle is closed at once on an empty group, a channel taken
// while the count is above zero is closed when it drops to zero (and not
// before), Wait ends with its context when the count stays up, and a count
// that rises and falls with nobody waiting (a handler per call) allocates
// nothing.
func TestGroupIdle(t *testing.T) {
	var g group
	select {
	case <-g.Idle():
	default:
		t.Fatal("an empty group is not idle")
	}
	g.Add(2)
	idle := g.Idle()
	if g.Idle() != idle {
		t.Fatal("two waiters of one busy spell got different channels")
	}
	g.Done()
	select {
	case <-idle:
		t.Fatal("idle closed with one left")
	default:
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := g.Wait(ctx); err != context.DeadlineExceeded {
		t.Fatalf("Wait on a busy group: %v", err)
	}
	g.Done()
	select {
	case <-idle:
	case <-time.After(5 * time.Second):
		t.Fatal("idle not closed when the count reached zero")
	}
	if err := g.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	g.Add(1)
	if next := g.Idle(); next == idle {
		t.Fatal("a new busy spell reuses the closed channel")
	}
	g.Done()
	if n := testing.AllocsPerRun(100, func() { g.Add(1); g.Done() }); n != 0 {
		t.Errorf("an unwatched Add and Done allocate %v times", n)
	}
}
