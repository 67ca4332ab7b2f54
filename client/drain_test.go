package client_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/callee"
	callerpkg "github.com/wampkit/wampkit/caller"
	"github.com/wampkit/wampkit/client"
	kit "github.com/wampkit/wampkit/client/wamptest"
)

// drainCallee counts one callee's invocations.
type drainCallee struct {
	c                           *client.Client
	started, finished, inflight atomic.Int64
}

// A rolling restart of one of two callees of a shared roundrobin
// registration under steady load loses no call: Drain withdraws the
// registration, lets the invocations in flight on the drained callee
// finish and answer, and the router sends the rest to the other callee.
func TestDrainUnderLoadLosesNoCall(t *testing.T) {
	leakCheck(t)
	r := kit.NewRouter(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var a, b drainCallee
	for _, d := range []*drainCallee{&a, &b} {
		d.c = dial(t, r.URL())
		_, err := callee.Register(ctx, d.c, "test.drain.work", func(ctx context.Context, in int) (int, error) {
			d.started.Add(1)
			d.inflight.Add(1)
			defer d.inflight.Add(-1)
			select {
			case <-time.After(20 * time.Millisecond): // keep invocations in flight
			case <-ctx.Done():
				return 0, ctx.Err()
			}
			d.finished.Add(1)
			return in, nil
		}, callee.Invoke(callee.RoundRobin))
		require.NoError(t, err)
	}
	cl := dial(t, r.URL())

	const calls, workers = 300, 8
	next := make(chan int)
	var failed atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				got, err := callerpkg.Call[int](ctx, cl, "test.drain.work", i)
				if err != nil || got != i {
					failed.Add(1)
					t.Errorf("call %d: got %d, %v", i, got, err)
				}
			}
		}()
	}

	var inflightAtDrain, startedAtDrain int64
	var drainErr error
	drained := make(chan struct{})
	tick := time.NewTicker(2 * time.Second / calls)
	for i := range calls {
		<-tick.C
		next <- i
		if i == calls/3 {
			go func() {
				defer close(drained)
				// Drain while an invocation runs on a (bounded wait).
				for deadline := time.Now().Add(5 * time.Second); a.inflight.Load() == 0 && time.Now().Before(deadline); {
					time.Sleep(time.Millisecond)
				}
				inflightAtDrain, startedAtDrain = a.inflight.Load(), a.started.Load()
				dctx, dcancel := context.WithTimeout(ctx, 10*time.Second)
				defer dcancel()
				drainErr = a.c.Drain(dctx)
			}()
		}
	}
	tick.Stop()
	close(next)
	wg.Wait()
	<-drained

	require.NoError(t, drainErr)
	assert.Zero(t, failed.Load(), "calls failed")
	assert.Equal(t, client.Closed, a.c.State())
	assert.Positive(t, inflightAtDrain, "Drain began with an invocation in flight on the drained callee")
	assert.GreaterOrEqual(t, a.started.Load(), startedAtDrain)
	assert.Equal(t, a.started.Load(), a.finished.Load(), "every invocation on the drained callee ran to the end")
	assert.Equal(t, int64(calls), a.finished.Load()+b.finished.Load())
	assert.Greater(t, b.finished.Load(), int64(calls/2), "the other callee took the calls after the drain")
	t.Logf("drained callee: %d invocations (%d in flight at Drain); other callee: %d", a.finished.Load(), inflightAtDrain, b.finished.Load())
}

// Drain whose ctx ends with an invocation still running interrupts it,
// closes the client anyway and says so.
func TestDrainContextEndsInterruptsAndCloses(t *testing.T) {
	leakCheck(t)
	r := kit.NewRouter(t)
	ctx := ctxT(t)
	c := dial(t, r.URL())
	running := make(chan struct{})
	_, err := c.Register(ctx, "test.drain.slow", func(hctx context.Context, _ *client.Invocation) (client.Payload, error) {
		close(running)
		<-hctx.Done()
		return client.Payload{}, hctx.Err()
	}, nil)
	require.NoError(t, err)
	cl := dial(t, r.URL())
	callErr := make(chan error, 1)
	go func() {
		_, err := cl.Call(ctx, client.CallRequest{Procedure: "test.drain.slow"}, nil)
		callErr <- err
	}()
	<-running
	dctx, dcancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer dcancel()
	err = c.Drain(dctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), "client: drain: invocations still running")
	assert.Equal(t, client.Closed, c.State())
	select {
	case err := <-callErr:
		assert.Error(t, err, "the interrupted call fails")
	case <-ctx.Done():
		t.Fatal("the interrupted call was never answered")
	}
}
