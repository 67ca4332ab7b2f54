package caller_test

import (
	"context"
	"iter"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/caller"
	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest"
)

// summer is a raw streaming callee: it adds up its input chunks, sends
// each running sum as progress (after the first chunk), and answers the
// total. It reports the error that ended its input early on stopped.
func summer(stopped chan<- error) client.InvocationHandler {
	return func(ctx context.Context, inv *client.Invocation) (client.Payload, error) {
		sum := 0
		if a := inv.Payload().Args; len(a) > 0 {
			sum = num(a[0])
		}
		for inv.Streaming() {
			p, ok, err := inv.NextInput(ctx)
			if err != nil {
				stopped <- err
				return client.Payload{}, err
			}
			if !ok {
				break
			}
			if len(p.Args) > 0 {
				sum += num(p.Args[0])
				_ = inv.Progress(client.Payload{Args: []any{sum}})
			}
		}
		return client.Payload{Args: []any{sum}}, nil
	}
}

func TestStreamFromIterator(t *testing.T) {
	r := wamptest.NewRouter(t)
	for _, tr := range wamptest.Transports() {
		t.Run(tr.Name, func(t *testing.T) {
			srv, c := r.Connect(t, tr), r.Connect(t, tr)
			ctx := wamptest.Context(t)
			raw(t, srv, "com.example.sum", summer(make(chan error, 1)), client.RegisterOptions{})
			res := caller.Stream[int, int, int](ctx, c, "com.example.sum", slices.Values([]int{1, 2, 3, 4}))
			var partial []int
			for s, err := range res.Progress() {
				require.NoError(t, err)
				partial = append(partial, s)
			}
			total, err := res.Result()
			require.NoError(t, err)
			assert.Equal(t, 10, total)
			assert.Equal(t, []int{3, 6, 10}, partial)
		})
	}
}

func TestStreamEdgeCases(t *testing.T) {
	r := wamptest.NewRouter(t)
	srv, c := r.Local(t), r.Local(t)
	ctx := wamptest.Context(t)
	raw(t, srv, "com.example.sum", summer(make(chan error, 1)), client.RegisterOptions{})

	total, err := caller.Stream[int, int, int](ctx, c, "com.example.sum", slices.Values([]int(nil))).Result()
	require.NoError(t, err, "no inputs: a plain call")
	assert.Equal(t, 0, total)

	total, err = caller.Stream[int, int, int](ctx, c, "com.example.sum", slices.Values([]int{7})).Result()
	require.NoError(t, err, "one input")
	assert.Equal(t, 7, total)

	_, err = caller.Stream[int, int, int](ctx, c, "com.example.nothing", slices.Values([]int{1, 2, 3})).Result()
	assert.ErrorIs(t, err, client.ErrNoSuchProcedure, "the call's own error, not a send failure")

	_, err = caller.Stream[any, int, int](ctx, c, "com.example.sum", slices.Values([]any{1, func() {}})).Result()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "caller: encode input chunk")
}

func TestSenderSendAndReceive(t *testing.T) {
	r := wamptest.NewRouter(t)
	srv, c := r.WS(t), r.WS(t)
	ctx := wamptest.Context(t)
	raw(t, srv, "com.example.sum", summer(make(chan error, 1)), client.RegisterOptions{})
	s, err := caller.Open[int, int, int](ctx, c, "com.example.sum", 1)
	require.NoError(t, err)
	progress, stop := iter.Pull2(s.Results().Progress())
	defer stop()
	for i, want := range []int{3, 6} {
		require.NoError(t, s.Send(ctx, i+2))
		got, err, ok := progress()
		require.True(t, ok)
		require.NoError(t, err)
		assert.Equal(t, want, got, "each chunk answered before the next is sent")
	}
	require.NoError(t, s.SendLast(ctx, 4))
	require.NoError(t, s.CloseSend(ctx), "a no-op after SendLast")
	got, err, ok := progress()
	require.True(t, ok)
	require.NoError(t, err)
	assert.Equal(t, 10, got)
	_, _, ok = progress()
	assert.False(t, ok)
	total, err := s.Results().Result()
	require.NoError(t, err)
	assert.Equal(t, 10, total)
}

func TestStreamCancelMidway(t *testing.T) {
	r := wamptest.NewRouter(t)
	srv, c := r.WS(t), r.WS(t)
	ctx := wamptest.Context(t)
	stopped := make(chan error, 1)
	raw(t, srv, "com.example.sum", summer(stopped), client.RegisterOptions{})

	t.Run("iterator", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		inputs := func(yield func(int) bool) {
			for i := 1; ; i++ {
				if i == 3 {
					time.Sleep(50 * time.Millisecond) // let the chunks so far arrive
					cancel()
				}
				if !yield(i) {
					return
				}
			}
		}
		res := caller.Stream[int, int, int](cctx, c, "com.example.sum", inputs)
		_, err := res.Result()
		assert.ErrorIs(t, err, context.Canceled)
		assert.ErrorIs(t, err, client.ErrCanceled)
		select {
		case err := <-stopped:
			assert.Error(t, err)
		case <-time.After(3 * time.Second):
			t.Fatal("the callee's input was not interrupted")
		}
	})

	t.Run("sender", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		s, err := caller.Open[int, int, int](cctx, c, "com.example.sum", 1)
		require.NoError(t, err)
		require.NoError(t, s.Send(cctx, 2))
		for got, err := range s.Results().Progress() {
			require.NoError(t, err)
			assert.Equal(t, 3, got)
			break
		}
		select {
		case err := <-stopped:
			assert.Error(t, err, "leaving the loop interrupts the callee")
		case <-time.After(3 * time.Second):
			t.Fatal("callee not interrupted")
		}
		_, err = s.Results().Result()
		assert.ErrorIs(t, err, client.ErrCanceled)
		assert.Error(t, s.Send(cctx, 3), "no more input after the call ended")
	})
}
