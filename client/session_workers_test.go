package client

import (
	"context"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/wamp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// Handlers run on pooled goroutines: the pool never makes one handler wait
// for another, and none of its goroutines outlives the session.
func TestHandlerPoolRunsAllAtOnceAndEndsWithSession(t *testing.T) {
	// What exists before the test (other tests' leftovers in their last
	// moments, the runtime's own) is not this test's business.
	ignore := goleak.IgnoreCurrent()
	f := joinFake(t, sessionConfig{})
	const n = 300 // more than the pool keeps idle
	started, release := make(chan struct{}, n), make(chan struct{})
	f.register("com.app.block", 1, func(context.Context, *Invocation) (engineResult, error) {
		started <- struct{}{}
		<-release
		return engineResult{}, nil
	}, nil)
	for i := range n {
		f.send(&wamp.Invocation{Request: wamp.ID(i + 1), Registration: 1, Details: wamp.Dict{}})
	}
	for i := range n {
		select {
		case <-started:
		case <-time.After(5 * time.Second):
			t.Fatalf("only %d of %d handlers started: the pool serialized them", i, n)
		}
	}
	close(release)
	for range n {
		f.expect(wamp.YIELD)
	}
	// After the burst, with up to 256 idle workers waiting, sequential
	// invocations are each answered in turn.
	for i := range 50 {
		f.send(&wamp.Invocation{Request: wamp.ID(n + i + 1), Registration: 1, Details: wamp.Dict{}})
		select {
		case <-started:
		case <-time.After(5 * time.Second):
			t.Fatalf("sequential invocation %d did not start", i)
		}
		y, _ := f.expect(wamp.YIELD).(*wamp.Yield)
		require.NotNil(t, y)
		assert.Equal(t, wamp.ID(n+i+1), y.Request)
	}

	go f.drain()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, f.sess.Close(ctx), "Close waits for the idle workers to end")
	// Once Close returned, none of the session's goroutines (workers,
	// read loop) is left: goleak retries while the last ones unwind.
	goleak.VerifyNone(t, ignore)
}
