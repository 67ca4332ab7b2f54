package caller_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/caller"
	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest"
)

// counter is a raw callee (written against the client, not the callee
// package) sending n progressive results, then "done". It reports on
// stopped when its context ends early.
func counter(stopped chan<- struct{}) client.InvocationHandler {
	return func(ctx context.Context, inv *client.Invocation) (client.Payload, error) {
		n := num(inv.Payload().Args[0])
		for i := range n {
			if err := inv.Progress(client.Payload{Args: []any{i}}); err != nil {
				if stopped != nil {
					stopped <- struct{}{}
				}
				return client.Payload{}, err
			}
			if ctx.Err() != nil {
				if stopped != nil {
					stopped <- struct{}{}
				}
				return client.Payload{}, ctx.Err()
			}
		}
		return client.Payload{Args: []any{"done"}}, nil
	}
}

func TestProgressiveEveryTransport(t *testing.T) {
	r := wamptest.NewRouter(t)
	for _, tr := range wamptest.Transports() {
		t.Run(tr.Name, func(t *testing.T) {
			srv, c := r.Connect(t, tr), r.Connect(t, tr)
			ctx := wamptest.Context(t)
			raw(t, srv, "com.example.count", counter(nil), nil)
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

func TestProgressSlowConsumerLosesNothing(t *testing.T) {
	r := wamptest.NewRouter(t)
	srv, c := r.WS(t), r.WS(t)
	ctx := wamptest.Context(t)
	raw(t, srv, "com.example.count", counter(nil), nil)
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
	raw(t, srv, "com.example.count", counter(nil), nil)
	res := caller.Progressive[int, string](ctx, c, "com.example.count", 2000, caller.Buffer(10))
	var err error
	for _, e := range res.Progress() {
		if e != nil {
			err = e
			break
		}
		time.Sleep(50 * time.Millisecond) // stalled consumer
	}
	assert.ErrorIs(t, err, client.ErrSlowConsumer)
	_, err = res.Result()
	assert.ErrorIs(t, err, client.ErrSlowConsumer)
}

func TestEarlyExitCancelsTheCall(t *testing.T) {
	r := wamptest.NewRouter(t)
	srv, c := r.WS(t), r.WS(t)
	ctx := wamptest.Context(t)
	stopped := make(chan struct{}, 1)
	raw(t, srv, "com.example.count", func(ctx context.Context, inv *client.Invocation) (client.Payload, error) {
		for i := 0; ; i++ {
			if err := inv.Progress(client.Payload{Args: []any{i}}); err != nil || ctx.Err() != nil {
				stopped <- struct{}{}
				return client.Payload{}, ctx.Err()
			}
			time.Sleep(time.Millisecond)
		}
	}, nil)
	res := caller.Progressive[int, string](ctx, c, "com.example.count", nil)
	for n, err := range res.Progress() {
		require.NoError(t, err)
		if n == 5 {
			break
		}
	}
	select {
	case <-stopped:
	case <-time.After(3 * time.Second):
		t.Fatal("leaving the loop did not cancel the call at the callee")
	}
	_, err := res.Result()
	assert.ErrorIs(t, err, context.Canceled)
}

func TestStreamedInputs(t *testing.T) {
	r := wamptest.NewRouter(t)
	srv, c := r.WS(t), r.WS(t)
	ctx := wamptest.Context(t)
	stopped := make(chan error, 1)
	raw(t, srv, "com.example.sum", func(ctx context.Context, inv *client.Invocation) (client.Payload, error) {
		sum := num(inv.Payload().Args[0])
		for {
			p, ok, err := inv.NextInput(ctx)
			if err != nil {
				stopped <- err
				return client.Payload{}, err
			}
			if !ok {
				return client.Payload{Args: []any{sum}}, nil
			}
			if len(p.Args) > 0 {
				sum += num(p.Args[0])
				_ = inv.Progress(client.Payload{Args: []any{sum}})
			}
		}
	}, nil)

	res := caller.StreamAll[int, int, int](ctx, c, "com.example.sum", slices.Values([]int{1, 2, 3, 4}))
	var partial []int
	for s, err := range res.Progress() {
		require.NoError(t, err)
		partial = append(partial, s)
	}
	total, err := res.Result()
	require.NoError(t, err)
	assert.Equal(t, 10, total)
	assert.Equal(t, []int{3, 6, 10}, partial)

	// Send and receive at once, then cancel midway.
	cctx, cancel := context.WithCancel(ctx)
	s, err := caller.Open[int, int, int](cctx, c, "com.example.sum", 1)
	require.NoError(t, err)
	require.NoError(t, s.Send(cctx, 2))
	for got, err := range s.Results().Progress() {
		require.NoError(t, err)
		assert.Equal(t, 3, got)
		break
	}
	cancel()
	select {
	case err := <-stopped:
		assert.Error(t, err, "the callee's stream ends when the caller cancels")
	case <-time.After(3 * time.Second):
		t.Fatal("callee not interrupted")
	}
	_, err = s.Results().Result()
	assert.ErrorIs(t, err, context.Canceled)
}
