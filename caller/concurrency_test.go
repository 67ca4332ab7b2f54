package caller_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/wampkit/wampkit/caller"
	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest"
)

// TestManyConcurrentCallsAnsweredOnce: 10,000 calls from 256 workers on one
// client; each is answered exactly once, with its own answer.
func TestManyConcurrentCallsAnsweredOnce(t *testing.T) {
	r := wamptest.NewRouter(t)
	srv, c := r.Local(t), r.Local(t)
	// 10,000 calls under -race on a loaded two-core machine take longer
	// than wamptest.Context's 10 s; the test is about each call being
	// answered exactly once, not about speed.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const n, workers = 10000, 256
	served := make([]atomic.Int32, n)
	raw(t, srv, "com.example.id", func(_ context.Context, inv *client.Invocation) (client.Payload, error) {
		served[num(inv.Payload().Args[0])].Add(1)
		return inv.Payload(), nil
	}, client.RegisterOptions{})
	id := caller.New[int, int](c, "com.example.id")

	answers := make([]atomic.Int32, n)
	var failures atomic.Int64
	var firstErr atomic.Value
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				got, err := id.Call(ctx, i)
				if err != nil || got != i {
					failures.Add(1)
					firstErr.CompareAndSwap(nil, fmt.Sprintf("call %d: got %d, %v", i, got, err))
					continue
				}
				answers[i].Add(1)
			}
		}()
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()

	assert.Zero(t, failures.Load(), "first failure: %v", firstErr.Load())
	for i := range n {
		if answers[i].Load() != 1 || served[i].Load() != 1 {
			t.Fatalf("call %d: answered %d times, served %d times", i, answers[i].Load(), served[i].Load())
		}
	}
}
