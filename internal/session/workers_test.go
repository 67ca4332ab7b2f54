package session_test

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/wamp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/internal/session"
)

// Handlers run on pooled goroutines: the pool never makes one handler wait
// for another, and none of its goroutines outlives the session.
func TestHandlerPoolRunsAllAtOnceAndEndsWithSession(t *testing.T) {
	f := joinFake(t, session.Config{})
	const n = 300 // more than the pool keeps idle
	started, release := make(chan struct{}, n), make(chan struct{})
	f.register("com.app.block", 1, func(context.Context, *session.Invocation) (session.Result, error) {
		started <- struct{}{}
		<-release
		return session.Result{}, nil
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
	// Sequential invocations after the burst reuse idle workers: the
	// number of goroutines does not grow with them.
	before := runtime.NumGoroutine()
	for i := range 50 {
		f.send(&wamp.Invocation{Request: wamp.ID(n + i + 1), Registration: 1, Details: wamp.Dict{}})
		<-started
		f.expect(wamp.YIELD)
	}
	assert.LessOrEqual(t, runtime.NumGoroutine(), before, "sequential handlers ran on idle workers")

	go f.drain()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	require.NoError(t, f.sess.Close(ctx), "Close waits for the idle workers to end")
	// goleak (TestMain) checks that none is left.
}
