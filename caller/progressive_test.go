package caller_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/wampkit/wampkit/caller"
	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest"
)

func TestProgressiveEveryTransport(t *testing.T) {
	r := wamptest.NewRouter(t)
	for _, tr := range wamptest.Transports() {
		t.Run(tr.Name, func(t *testing.T) {
			srv, c := r.Connect(t, tr), r.Connect(t, tr)
			ctx := wamptest.Context(t)
			raw(t, srv, "com.example.count", counter(nil), client.RegisterOptions{})
			res := caller.Progressive[int, string](ctx, c, "com.example.count", 100)
			var got []int
			for n, err := range res.Progress() {
				require.NoError(t, err)
				got = append(got, n)
			}
			final, err := res.Result()
			require.NoError(t, err)
			assert.Equal(t, "done", final)
			want := make([]int, 100)
			for i := range want {
				want[i] = i
			}
			assert.Equal(t, want, got)
		})
	}
}

func TestResultWithoutRangingDiscardsProgress(t *testing.T) {
	r := wamptest.NewRouter(t)
	srv, c := r.Local(t), r.Local(t)
	ctx := wamptest.Context(t)
	raw(t, srv, "com.example.countdown", countdown, client.RegisterOptions{})
	final, err := caller.Progressive[int, string](ctx, c, "com.example.countdown", 50).Result()
	require.NoError(t, err)
	assert.Equal(t, "liftoff", final)

	res := caller.Progressive[int, string](ctx, c, "com.example.countdown", 3)
	for range res.Progress() {
	}
	for range res.Progress() {
		t.Fatal("a finished call yields nothing more")
	}
	final, err = res.Result()
	require.NoError(t, err)
	assert.Equal(t, "liftoff", final, "Result is stable")
}

func TestProgressSlowConsumerLosesNothing(t *testing.T) {
	r := wamptest.NewRouter(t)
	srv, c := r.WS(t), r.WS(t)
	// 5,000 results over websocket under -race took up to 10 s on a loaded
	// two-core machine; the test is about order and loss, not speed.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	raw(t, srv, "com.example.count", counter(nil), client.RegisterOptions{})
	res := caller.Progressive[int, string](ctx, c, "com.example.count", 5000)
	next := 0
	for n, err := range res.Progress() {
		require.NoError(t, err)
		require.Equal(t, next, n, "in order, none lost")
		next++
		if n%500 == 0 {
			time.Sleep(20 * time.Millisecond) // the callee runs ahead
		}
	}
	assert.Equal(t, 5000, next)
	final, err := res.Result()
	require.NoError(t, err)
	assert.Equal(t, "done", final)
}

func TestProgressBufferOverflowFailsLoudly(t *testing.T) {
	r := wamptest.NewRouter(t)
	srv, c := r.Local(t), r.Local(t)
	ctx := wamptest.Context(t)
	stopped := make(chan struct{}, 1)
	raw(t, srv, "com.example.count", counter(stopped), client.RegisterOptions{})
	res := caller.Progressive[int, string](ctx, c, "com.example.count", 2000, caller.Buffer(10))
	var err error
	seen := 0
	for _, e := range res.Progress() {
		if e != nil {
			err = e
			break
		}
		seen++
		time.Sleep(50 * time.Millisecond) // stalled consumer
	}
	assert.ErrorIs(t, err, client.ErrSlowConsumer)
	assert.LessOrEqual(t, seen, 11, "the buffer bounds what was kept")
	_, err = res.Result()
	assert.ErrorIs(t, err, client.ErrSlowConsumer)
	select {
	case <-stopped:
	case <-time.After(3 * time.Second):
		t.Fatal("the overflowing call was not canceled at the callee")
	}
}

func TestEarlyExitCancelsAndReleases(t *testing.T) {
	r := wamptest.NewRouter(t)
	for _, mode := range []client.CancelMode{caller.KillNoWait, caller.Kill, caller.Skip} {
		t.Run(string(mode), func(t *testing.T) {
			srv, c := r.WS(t), r.WS(t)
			ctx := wamptest.Context(t)
			stopped := make(chan struct{}, 1)
			raw(t, srv, "com.example.ticks", func(ctx context.Context, inv *client.Invocation) (client.Payload, error) {
				defer func() { stopped <- struct{}{} }()
				for i := 0; ; i++ {
					if err := inv.Progress(client.Payload{Args: []any{i}}); err != nil {
						return client.Payload{}, err
					}
					select {
					case <-ctx.Done():
						return client.Payload{}, ctx.Err()
					case <-time.After(time.Millisecond):
					}
				}
			}, client.RegisterOptions{})
			baseline := goleak.IgnoreCurrent()

			res := caller.Progressive[int, string](ctx, c, "com.example.ticks", nil, caller.CancelMode(mode))
			for n, err := range res.Progress() {
				require.NoError(t, err)
				if n == 5 {
					break
				}
			}
			_, err := res.Result()
			assert.ErrorIs(t, err, context.Canceled)
			assert.ErrorIs(t, err, client.ErrCanceled)
			assert.Contains(t, err.Error(), "progress loop left early")

			// With skip the callee is not interrupted; its next progressive
			// YIELD tells it (nexus answers it with INTERRUPT).
			select {
			case <-stopped:
			case <-time.After(3 * time.Second):
				t.Fatal("leaving the loop did not stop the callee")
			}
			// The handler's goroutine may stay as an idle pooled worker of
			// the callee's session (it ends with the session; the package's
			// goleak check covers that).
			goleak.VerifyNone(t, baseline, goleak.IgnoreTopFunction("github.com/wampkit/wampkit/client.(*session).work"))
		})
	}
}

func TestProgressDecodeFailureCancels(t *testing.T) {
	r := wamptest.NewRouter(t)
	srv, c := r.Local(t), r.Local(t)
	ctx := wamptest.Context(t)
	stopped := make(chan struct{}, 1)
	raw(t, srv, "com.example.mixed", func(ctx context.Context, inv *client.Invocation) (client.Payload, error) {
		_ = inv.Progress(client.Payload{Args: []any{1}})
		_ = inv.Progress(client.Payload{Args: []any{"two"}})
		<-ctx.Done()
		stopped <- struct{}{}
		return client.Payload{}, ctx.Err()
	}, client.RegisterOptions{})
	res := caller.Progressive[int, string](ctx, c, "com.example.mixed", nil)
	var got []int
	var last error
	for n, err := range res.Progress() {
		if err != nil {
			last = err
			continue // the sequence ends by itself
		}
		got = append(got, n)
	}
	assert.Equal(t, []int{1}, got)
	require.Error(t, last)
	assert.Contains(t, last.Error(), "caller: decode result of com.example.mixed")
	assert.Contains(t, last.Error(), "want int")
	_, err := res.Result()
	assert.Equal(t, last, err)
	<-stopped
}

// A progressive result that fails to decode is yielded with the zero P, as
// Progress says, not with the fields decoded before the failure.
func TestProgressDecodeFailureYieldsZero(t *testing.T) {
	type pair struct {
		A int `json:"a"`
		B int `json:"b"`
	}
	r := wamptest.NewRouter(t)
	srv, c := r.Local(t), r.Local(t)
	ctx := wamptest.Context(t)
	raw(t, srv, "com.example.half", func(ctx context.Context, inv *client.Invocation) (client.Payload, error) {
		_ = inv.Progress(client.Payload{Args: []any{map[string]any{"a": 1, "b": "x"}}})
		<-ctx.Done()
		return client.Payload{}, ctx.Err()
	}, client.RegisterOptions{})
	res := caller.Progressive[pair, string](ctx, c, "com.example.half", nil)
	n := 0
	for p, err := range res.Progress() {
		n++
		require.Error(t, err)
		assert.Equal(t, pair{}, p)
	}
	assert.Equal(t, 1, n)
}
