package caller_test

import (
	"context"
	"errors"
	"math"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/callee"
	"github.com/wampkit/wampkit/caller"
	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest"
)

// refuseFirst answers client.ErrUnavailable to the first n invocations,
// then the sum of its arguments; runs counts every invocation and done the
// ones that did the work.
func refuseFirst(n int64, runs, done *atomic.Int64) client.InvocationHandler {
	return func(ctx context.Context, inv *client.Invocation) (client.Payload, error) {
		if runs.Add(1) <= n {
			return client.Payload{}, client.ErrUnavailable
		}
		done.Add(1)
		return add(ctx, inv)
	}
}

func TestRetrySafeRetriesUnavailableUntilTheCalleeTakesIt(t *testing.T) {
	r := wamptest.NewRouter(t)
	for _, tr := range []wamptest.Transport{wamptest.Transports()[0], wamptest.Transports()[1]} {
		t.Run(tr.Name, func(t *testing.T) {
			srv, c := r.Connect(t, tr), r.Connect(t, tr)
			ctx := wamptest.Context(t)
			var runs, done atomic.Int64
			raw(t, srv, "com.example.busy", refuseFirst(2, &runs, &done), client.RegisterOptions{})

			sum, err := caller.Call[int](ctx, c, "com.example.busy", caller.Args(2, 3), caller.RetrySafe(5, time.Millisecond))
			require.NoError(t, err)
			assert.Equal(t, 5, sum)
			assert.Equal(t, int64(3), runs.Load(), "two refusals, then one run")
			assert.Equal(t, int64(1), done.Load(), "the work ran exactly once")

			// Without the option the caller sees the refusal.
			runs.Store(0)
			done.Store(0)
			_, err = caller.Call[int](ctx, c, "com.example.busy", caller.Args(2, 3))
			assert.ErrorIs(t, err, client.ErrUnavailable)
			assert.Equal(t, int64(1), runs.Load())
			assert.Zero(t, done.Load())
		})
	}
}

func TestRetrySafeThroughProcedureAndCalleePackage(t *testing.T) {
	r := wamptest.NewRouter(t)
	srv, c := r.Connect(t, wamptest.Transports()[0]), r.Connect(t, wamptest.Transports()[0])
	ctx := wamptest.Context(t)
	var runs, done atomic.Int64
	_, err := callee.Register(ctx, srv, "com.example.double", func(_ context.Context, x int) (int, error) {
		if runs.Add(1) <= 3 {
			return 0, errors.Join(errors.New("busy"), client.ErrUnavailable) // wrapped: sent as is
		}
		done.Add(1)
		return 2 * x, nil
	})
	require.NoError(t, err)

	// The callee package sends the handler's ErrUnavailable as is.
	_, err = caller.Call[int](ctx, c, "com.example.double", 4)
	assert.ErrorIs(t, err, client.ErrUnavailable)
	assert.Equal(t, "wamp.error.unavailable", client.URIOf(err))

	p := caller.New[int, int](c, "com.example.double", caller.RetrySafe(4, 0))
	got, err := p.Call(ctx, 21)
	require.NoError(t, err)
	assert.Equal(t, 42, got)
	assert.Equal(t, int64(4), runs.Load())
	assert.Equal(t, int64(1), done.Load())
}

func TestRetrySafeDoesNotRetryWhatMayHaveRun(t *testing.T) {
	r := wamptest.NewRouter(t)
	srv, c := r.Connect(t, wamptest.Transports()[0]), r.Connect(t, wamptest.Transports()[0])
	ctx := wamptest.Context(t)
	for _, answer := range []*client.Error{
		client.NewError("com.example.app_error", "no"),
		client.ErrRuntimeError,
		client.ErrNoEligibleCallee, // Bondy's answer to calls in flight on a dead callee
		client.ErrTimeout,
		client.ErrCanceled,
	} {
		t.Run(answer.URI, func(t *testing.T) {
			var runs atomic.Int64
			uri := "com.example.fail." + answer.URI
			raw(t, srv, uri, func(context.Context, *client.Invocation) (client.Payload, error) {
				runs.Add(1)
				return client.Payload{}, answer
			}, client.RegisterOptions{})
			_, err := caller.Call[int](ctx, c, uri, nil, caller.RetrySafe(5, 0))
			assert.ErrorIs(t, err, answer)
			assert.NotContains(t, err.Error(), "attempts")
			assert.Equal(t, int64(1), runs.Load(), "a call that may have run is not run again")
		})
	}

	// no_such_procedure is not retried: it fails at once, not after waits.
	start := time.Now()
	_, err := caller.Call[int](ctx, c, "com.example.nowhere", nil, caller.RetrySafe(5, 2*time.Second))
	assert.ErrorIs(t, err, client.ErrNoSuchProcedure)
	assert.NotContains(t, err.Error(), "attempts")
	assert.Less(t, time.Since(start), time.Second, "no backoff wait: not retried")
}

func TestRetrySafeStopsAtMaxAttemptsWithTheLastError(t *testing.T) {
	r := wamptest.NewRouter(t)
	srv, c := r.Connect(t, wamptest.Transports()[0]), r.Connect(t, wamptest.Transports()[0])
	ctx := wamptest.Context(t)
	var runs, done atomic.Int64
	raw(t, srv, "com.example.never", refuseFirst(1000, &runs, &done), client.RegisterOptions{})

	_, err := caller.Call[int](ctx, c, "com.example.never", caller.Args(1, 1), caller.RetrySafe(3, time.Millisecond))
	assert.ErrorIs(t, err, client.ErrUnavailable)
	assert.True(t, client.IsRemote(err))
	assert.Contains(t, err.Error(), "caller: call com.example.never failed after 3 attempts")
	assert.Equal(t, int64(3), runs.Load())
	assert.Zero(t, done.Load())
}

func TestRetrySafeStopsWhenTheContextEnds(t *testing.T) {
	r := wamptest.NewRouter(t)
	srv, c := r.Connect(t, wamptest.Transports()[0]), r.Connect(t, wamptest.Transports()[0])
	var runs, done atomic.Int64
	raw(t, srv, "com.example.never", refuseFirst(1_000_000, &runs, &done), client.RegisterOptions{})

	ctx, cancel := context.WithTimeout(wamptest.Context(t), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := caller.Call[int](ctx, c, "com.example.never", caller.Args(1, 1), caller.RetrySafe(1_000_000, 20*time.Millisecond))
	elapsed := time.Since(start)
	require.Error(t, err)
	// The last error is the callee's refusal, unless ctx ended during an attempt.
	assert.True(t, errors.Is(err, client.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded), "got %v", err)
	assert.GreaterOrEqual(t, runs.Load(), int64(2), "retried while ctx lasted")
	assert.Less(t, runs.Load(), int64(1000), "backoff spaced the attempts")
	assert.Zero(t, done.Load())
	assert.GreaterOrEqual(t, elapsed, 250*time.Millisecond)
	assert.Less(t, elapsed, 5*time.Second, "ended soon after ctx")
}

func TestRetrySafeRefusedForProgressiveCalls(t *testing.T) {
	r := wamptest.NewRouter(t)
	c := r.Connect(t, wamptest.Transports()[0])
	ctx := wamptest.Context(t)
	_, err := caller.Progressive[int, int](ctx, c, "com.example.x", nil, caller.RetrySafe(2, 0)).Result()
	assert.ErrorIs(t, err, client.ErrInvalidOption)
	_, err = caller.Open[int, int, int](ctx, c, "com.example.x", 1, caller.RetrySafe(2, 0))
	assert.ErrorIs(t, err, client.ErrInvalidOption)
	// RetrySafe(1, ...) is no retry, which undoes one given to New.
	_, err = caller.Progressive[int, int](ctx, c, "com.example.x", nil, caller.RetrySafe(2, 0), caller.RetrySafe(1, 0)).Result()
	assert.ErrorIs(t, err, client.ErrNoSuchProcedure)
}

// A backoff as long as a Duration goes ("retry, but only within ctx") waits
// until ctx ends after the first refusal: the call fails with ctx's end or
// the refusal, and the process does not panic computing the wait.
func TestRetrySafeWithTheLongestBackoffWaitsForTheContext(t *testing.T) {
	r := wamptest.NewRouter(t)
	srv, c := r.Connect(t, wamptest.Transports()[0]), r.Connect(t, wamptest.Transports()[0])
	var runs, done atomic.Int64
	raw(t, srv, "com.example.never", refuseFirst(1_000_000, &runs, &done), client.RegisterOptions{})

	ctx, cancel := context.WithTimeout(wamptest.Context(t), 100*time.Millisecond)
	defer cancel()
	_, err := caller.Call[int](ctx, c, "com.example.never", caller.Args(1, 1), caller.RetrySafe(3, math.MaxInt64))
	assert.ErrorIs(t, err, client.ErrUnavailable)
	assert.Equal(t, int64(1), runs.Load(), "no second attempt before ctx ended")
	assert.Zero(t, done.Load())
}
