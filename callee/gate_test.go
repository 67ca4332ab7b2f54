package callee

import (
	"context"
	"testing"
	"time"
)

// waitQueued waits until g has n waiters.
func waitQueued(t *testing.T, g *gate, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		g.mu.Lock()
		got := g.waiters.Len()
		g.mu.Unlock()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d waiters, want %d", got, n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestGateFIFOAndCancel(t *testing.T) {
	g := newGate(1)
	ctx := context.Background()
	if err := g.acquire(ctx); err != nil {
		t.Fatal(err)
	}
	order := make(chan int, 3)
	canceled, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	for i := range 3 {
		c := ctx
		if i == 1 {
			c = canceled
		}
		go func() {
			if err := g.acquire(c); err != nil {
				errc <- err
				return
			}
			order <- i
		}()
		waitQueued(t, g, i+1) // queue them in a known order
	}
	cancel()
	if err := <-errc; err != context.Canceled {
		t.Fatalf("canceled waiter: %v", err)
	}
	waitQueued(t, g, 2)
	for _, want := range []int{0, 2} {
		g.release()
		if got := <-order; got != want {
			t.Fatalf("slot went to waiter %d, want %d", got, want)
		}
	}
	g.release()
	if g.free != 1 || g.waiters.Len() != 0 {
		t.Errorf("free %d, waiters %d after all releases; want 1 and 0", g.free, g.waiters.Len())
	}
}
