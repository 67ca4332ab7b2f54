package client_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/client"
)

func TestCallRegisterEveryTransport(t *testing.T) {
	r := startNexus(t)
	for _, tc := range transports() {
		t.Run(tc.name, func(t *testing.T) {
			callee := tc.connect(t, r)
			caller := tc.connect(t, r)
			ctx := ctxT(t)
			proc := "test.add." + tc.name
			reg, err := callee.Register(ctx, proc, func(_ context.Context, inv *client.Invocation) (client.Payload, error) {
				p := inv.Payload()
				var sum int64
				for _, a := range p.Args {
					n, ok := toInt(a)
					if !ok {
						return client.Payload{}, client.NewError("wamp.error.invalid_argument", fmt.Sprintf("not a number: %v", a))
					}
					sum += n
				}
				return client.Payload{Args: []any{sum}, Kwargs: map[string]any{"caller": inv.Procedure()}}, nil
			}, client.RegisterOptions{})
			require.NoError(t, err)
			assert.NotZero(t, reg.ID())

			res, err := caller.Call(ctx, client.CallRequest{Procedure: proc, Payload: client.Payload{Args: []any{2, 3, 37}}}, nil)
			require.NoError(t, err)
			n, _ := toInt(res.Args[0])
			assert.Equal(t, int64(42), n)
			assert.Equal(t, proc, res.Kwargs["caller"])

			_, err = caller.Call(ctx, client.CallRequest{Procedure: proc, Payload: client.Payload{Args: []any{"x"}}}, nil)
			var werr *client.Error
			require.ErrorAs(t, err, &werr)
			assert.True(t, errors.Is(err, client.ErrInvalidArgument))
			assert.Equal(t, "not a number: x", werr.Message())

			require.NoError(t, reg.Unregister(ctx))
			<-reg.Done()
			assert.NoError(t, reg.Err())
			_, err = caller.Call(ctx, client.CallRequest{Procedure: proc}, nil)
			assert.ErrorIs(t, err, client.ErrNoSuchProcedure)
			assert.True(t, client.IsRemote(err))
		})
	}
}

func toInt(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int64:
		return n, true
	case uint64:
		return int64(n), true
	case int8:
		return int64(n), true
	case uint8:
		return int64(n), true
	case int16:
		return int64(n), true
	case uint16:
		return int64(n), true
	case int32:
		return int64(n), true
	case uint32:
		return int64(n), true
	case float64:
		return int64(n), float64(int64(n)) == n
	}
	return 0, false
}

func TestProgressiveResultsInOrder(t *testing.T) {
	r := startNexus(t)
	for _, tc := range transports()[:3] {
		t.Run(tc.name, func(t *testing.T) {
			callee, caller := tc.connect(t, r), tc.connect(t, r)
			ctx := ctxT(t)
			_, err := callee.Register(ctx, "test.count", func(_ context.Context, inv *client.Invocation) (client.Payload, error) {
				for i := 0; i < 500; i++ {
					if err := inv.Progress(client.Payload{Args: []any{i}}); err != nil {
						return client.Payload{}, err
					}
				}
				return client.Payload{Args: []any{"done"}}, nil
			}, client.RegisterOptions{})
			require.NoError(t, err)
			var got []int64
			res, err := caller.Call(ctx, client.CallRequest{Procedure: "test.count"}, func(r client.Result) error {
				n, _ := toInt(r.Args[0])
				got = append(got, n)
				return nil
			})
			require.NoError(t, err)
			assert.Equal(t, "done", res.Args[0])
			require.Len(t, got, 500)
			for i, n := range got {
				require.Equal(t, int64(i), n)
			}
		})
	}
}

func TestHandlerPanicBecomesRuntimeError(t *testing.T) {
	r := startNexus(t)
	callee, caller := dial(t, r.wsURL), dial(t, r.wsURL)
	ctx := ctxT(t)
	var calls atomic.Int32
	_, err := callee.Register(ctx, "test.panic", func(context.Context, *client.Invocation) (client.Payload, error) {
		if calls.Add(1) == 1 {
			panic("boom")
		}
		return client.Payload{Args: []any{"fine"}}, nil
	}, client.RegisterOptions{})
	require.NoError(t, err)
	_, err = caller.Call(ctx, client.CallRequest{Procedure: "test.panic"}, nil)
	require.ErrorIs(t, err, client.ErrRuntimeError)
	assert.Contains(t, err.Error(), "boom")
	res, err := caller.Call(ctx, client.CallRequest{Procedure: "test.panic"}, nil)
	require.NoError(t, err)
	assert.Equal(t, "fine", res.Args[0])
}

func TestCancelModes(t *testing.T) {
	r := startNexus(t)
	callee, caller := dial(t, r.wsURL), dial(t, r.wsURL)
	ctx := ctxT(t)
	interrupted := make(chan error, 4)
	started := make(chan struct{}, 4)
	_, err := callee.Register(ctx, "test.slow", func(ctx context.Context, inv *client.Invocation) (client.Payload, error) {
		started <- struct{}{}
		select {
		case <-ctx.Done():
			interrupted <- ctx.Err()
			return client.Payload{}, ctx.Err()
		case <-time.After(3 * time.Second):
			interrupted <- nil
			return client.Payload{Args: []any{"late"}}, nil
		}
	}, client.RegisterOptions{})
	require.NoError(t, err)
	for _, mode := range []client.CancelMode{client.CancelKillNoWait, client.CancelKill, client.CancelSkip} {
		t.Run(string(mode), func(t *testing.T) {
			cctx, cancel := context.WithCancel(ctx)
			go func() { <-started; cancel() }()
			begin := time.Now()
			_, err := caller.Call(cctx, client.CallRequest{Procedure: "test.slow", CancelMode: mode}, nil)
			require.Error(t, err)
			assert.ErrorIs(t, err, context.Canceled)
			assert.ErrorIs(t, err, client.ErrCanceled)
			if mode != client.CancelKill {
				assert.False(t, client.IsRemote(err), "canceled here, not answered by a callee")
			}
			assert.Less(t, time.Since(begin), 2*time.Second)
			herr := <-interrupted
			if mode == client.CancelSkip {
				assert.NoError(t, herr, "skip must not interrupt the callee")
			} else {
				assert.ErrorIs(t, herr, context.Canceled, "callee must see INTERRUPT")
			}
		})
	}
}

// Cancel in kill mode waits for the callee; a callee that ignores the
// interrupt cannot keep the call pending past KillWait.
func TestExplicitKillCancelIsBounded(t *testing.T) {
	r := startNexus(t)
	callee, caller := dial(t, r.wsURL), dial(t, r.wsURL)
	ctx := ctxT(t)
	started, release := make(chan struct{}), make(chan struct{})
	defer close(release)
	_, err := callee.Register(ctx, "test.deaf", func(context.Context, *client.Invocation) (client.Payload, error) {
		close(started)
		<-release // ignores the interrupt
		return client.Payload{}, nil
	}, client.RegisterOptions{})
	require.NoError(t, err)
	call, err := caller.StartCall(ctx, client.CallRequest{Procedure: "test.deaf", CancelMode: client.CancelKill, KillWait: 200 * time.Millisecond})
	require.NoError(t, err)
	<-started
	begin := time.Now()
	call.Cancel()
	_, err = call.Next(ctx)
	assert.ErrorIs(t, err, client.ErrCanceled)
	assert.ErrorIs(t, err, context.Canceled)
	assert.GreaterOrEqual(t, time.Since(begin), 200*time.Millisecond, "the callee's answer was waited for")
	assert.Less(t, time.Since(begin), 3*time.Second)
}

func TestRouterTimeout(t *testing.T) {
	r := startNexus(t)
	callee, caller := dial(t, r.wsURL), dial(t, r.wsURL)
	ctx := ctxT(t)
	_, err := callee.Register(ctx, "test.hang", func(ctx context.Context, _ *client.Invocation) (client.Payload, error) {
		<-ctx.Done()
		return client.Payload{}, ctx.Err()
	}, client.RegisterOptions{})
	require.NoError(t, err)
	_, err = caller.Call(ctx, client.CallRequest{Procedure: "test.hang", Timeout: 100 * time.Millisecond}, nil)
	assert.ErrorIs(t, err, client.ErrTimeout)
}

func TestInvalidURIFailsBeforeSending(t *testing.T) {
	r := startNexus(t)
	c := dial(t, r.wsURL)
	ctx := ctxT(t)
	for _, uri := range []string{"", "com..x", "com.x y", "com.#"} {
		_, err := c.Call(ctx, client.CallRequest{Procedure: uri}, nil)
		assert.ErrorIs(t, err, client.ErrInvalidURI, uri)
		assert.True(t, client.SafeToRetry(err))
		assert.False(t, client.IsRemote(err))
		_, err = c.Register(ctx, uri, func(context.Context, *client.Invocation) (client.Payload, error) { return client.Payload{}, nil }, client.RegisterOptions{})
		assert.ErrorIs(t, err, client.ErrInvalidURI, uri)
	}
	_, err := c.Register(ctx, "com.app.", func(context.Context, *client.Invocation) (client.Payload, error) {
		return client.Payload{}, nil
	}, client.RegisterOptions{Match: client.MatchPrefix})
	assert.NoError(t, err)
	strict := dial(t, r.wsURL, client.WithStrictURIs())
	_, err = strict.Call(ctx, client.CallRequest{Procedure: "com.App.x"}, nil)
	assert.ErrorIs(t, err, client.ErrInvalidURI)
}

func TestExactAndPrefixSameURIAreIndependent(t *testing.T) {
	r := startNexus(t)
	callee, caller := dial(t, r.wsURL), dial(t, r.wsURL)
	ctx := ctxT(t)
	h := func(tag string) client.InvocationHandler {
		return func(_ context.Context, inv *client.Invocation) (client.Payload, error) {
			return client.Payload{Args: []any{tag, inv.Procedure()}}, nil
		}
	}
	exact, err := callee.Register(ctx, "com.app.get", h("exact"), client.RegisterOptions{})
	require.NoError(t, err)
	prefix, err := callee.Register(ctx, "com.app.get", h("prefix"), client.RegisterOptions{Match: client.MatchPrefix})
	require.NoError(t, err)
	assert.NotEqual(t, exact.ID(), prefix.ID())
	res, err := caller.Call(ctx, client.CallRequest{Procedure: "com.app.get"}, nil)
	require.NoError(t, err)
	assert.Equal(t, "exact", res.Args[0])
	res, err = caller.Call(ctx, client.CallRequest{Procedure: "com.app.get.more"}, nil)
	require.NoError(t, err)
	assert.Equal(t, []any{"prefix", "com.app.get.more"}, res.Args)
	require.NoError(t, exact.Unregister(ctx))
	res, err = caller.Call(ctx, client.CallRequest{Procedure: "com.app.get"}, nil)
	require.NoError(t, err)
	assert.Equal(t, "prefix", res.Args[0], "prefix survives unregistering the exact one")
	require.NoError(t, prefix.Unregister(ctx))
	_, err = caller.Call(ctx, client.CallRequest{Procedure: "com.app.get"}, nil)
	assert.ErrorIs(t, err, client.ErrNoSuchProcedure)
}

func TestStreamedInputs(t *testing.T) {
	r := startNexus(t)
	callee, caller := dial(t, r.wsURL), dial(t, r.wsURL)
	ctx := ctxT(t)
	_, err := callee.Register(ctx, "test.sum", func(ctx context.Context, inv *client.Invocation) (client.Payload, error) {
		sum, _ := toInt(inv.Payload().Args[0])
		for {
			p, ok, err := inv.NextInput(ctx)
			if err != nil {
				return client.Payload{}, err
			}
			if !ok {
				return client.Payload{Args: []any{sum}}, nil
			}
			n, _ := toInt(p.Args[0])
			sum += n
		}
	}, client.RegisterOptions{})
	require.NoError(t, err)
	call, err := caller.StartCall(ctx, client.CallRequest{Procedure: "test.sum", Stream: true, Payload: client.Payload{Args: []any{1}}})
	require.NoError(t, err)
	for i := 2; i < 10; i++ {
		require.NoError(t, call.Send(ctx, client.Payload{Args: []any{i}}))
	}
	require.NoError(t, call.SendFinal(ctx, client.Payload{Args: []any{10}}))
	res, err := call.Next(ctx)
	require.NoError(t, err)
	n, _ := toInt(res.Args[0])
	assert.Equal(t, int64(55), n)
}

func TestPubSub(t *testing.T) {
	r := startNexus(t)
	for _, tc := range transports()[:4] {
		t.Run(tc.name, func(t *testing.T) {
			sub, pub := tc.connect(t, r), tc.connect(t, r)
			ctx := ctxT(t)
			got := make(chan *client.Event, 10)
			s, err := sub.Subscribe(ctx, "test.topic", func(ev *client.Event) { got <- ev }, client.SubscribeOptions{})
			require.NoError(t, err)
			id, err := pub.Publish(ctx, "test.topic", client.Payload{Args: []any{"hi"}}, client.PublishOptions{Acknowledge: true})
			require.NoError(t, err)
			assert.NotZero(t, id)
			select {
			case ev := <-got:
				assert.Equal(t, "hi", ev.Args[0])
				assert.Equal(t, id, ev.Publication)
			case <-ctx.Done():
				t.Fatal("no event")
			}
			require.NoError(t, s.Unsubscribe(ctx))
		})
	}
}

func TestSlowSubscriberDoesNotDelayCalls(t *testing.T) {
	r := startNexus(t)
	c, other := dial(t, r.wsURL), dial(t, r.wsURL)
	ctx := ctxT(t)
	release := make(chan struct{})
	_, err := c.Subscribe(ctx, "test.slow", func(*client.Event) { <-release }, client.SubscribeOptions{})
	require.NoError(t, err)
	defer close(release)
	_, err = other.Register(ctx, "test.echo", func(_ context.Context, inv *client.Invocation) (client.Payload, error) {
		return inv.Payload(), nil
	}, client.RegisterOptions{})
	require.NoError(t, err)
	for i := 0; i < 20; i++ {
		_, err := other.Publish(ctx, "test.slow", client.Payload{Args: []any{i}}, client.PublishOptions{})
		require.NoError(t, err)
	}
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	res, err := c.Call(cctx, client.CallRequest{Procedure: "test.echo", Payload: client.Payload{Args: []any{"quick"}}}, nil)
	require.NoError(t, err, "a blocked subscriber must not stall call results")
	assert.Equal(t, "quick", res.Args[0])
}

func TestLocalCancelIsNotRemote(t *testing.T) {
	r := startNexus(t)
	c := dial(t, r.wsURL)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.Call(ctx, client.CallRequest{Procedure: "test.any"}, nil)
	assert.ErrorIs(t, err, context.Canceled)
	assert.False(t, client.IsRemote(err))
	assert.True(t, client.SafeToRetry(err), "nothing was sent for an ended context")
}
