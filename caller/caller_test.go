package caller_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/caller"
	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest"
)

// raw registers a handler written against the raw client, not the callee
// package, so caller is not only tested against its own sibling.
func raw(t *testing.T, c *client.Client, uri string, h client.InvocationHandler, opts map[string]any) {
	t.Helper()
	_, err := c.Register(wamptest.Context(t), uri, h, opts)
	require.NoError(t, err)
}

func num(v any) int {
	switch n := v.(type) {
	case int:
		return n
	case int64:
		return int(n)
	case uint64:
		return int(n)
	case float64:
		return int(n)
	}
	var x int
	fmt.Sscan(fmt.Sprint(v), &x)
	return x
}

type AddIn struct {
	A int `wamp:"#0"`
	B int `wamp:"#1"`
}

type User struct {
	Name string   `json:"name"`
	Tags []string `json:"tags"`
	Age  int      `json:"age"`
}

func TestCallTypedEveryTransport(t *testing.T) {
	r := wamptest.NewRouter(t)
	for _, tr := range wamptest.Transports() {
		t.Run(tr.Name, func(t *testing.T) {
			srv, c := r.Connect(t, tr), r.Connect(t, tr)
			ctx := wamptest.Context(t)
			raw(t, srv, "com.example.add", func(_ context.Context, inv *client.Invocation) (client.Payload, error) {
				a := inv.Payload().Args
				return client.Payload{Args: []any{num(a[0]) + num(a[1])}}, nil
			}, nil)
			raw(t, srv, "com.example.user", func(context.Context, *client.Invocation) (client.Payload, error) {
				return client.Payload{Args: []any{map[string]any{"name": "ann", "tags": []any{"a", "b"}, "age": 30}}}, nil
			}, nil)
			sum, err := caller.Call[int](ctx, c, "com.example.add", caller.Args(2, 3))
			require.NoError(t, err)
			assert.Equal(t, 5, sum)
			sum, err = caller.Call[int](ctx, c, "com.example.add", AddIn{4, 5})
			require.NoError(t, err)
			assert.Equal(t, 9, sum)
			add := caller.New[AddIn, int](c, "com.example.add")
			sum, err = add.Call(ctx, AddIn{20, 22})
			require.NoError(t, err)
			assert.Equal(t, 42, sum)
			u, err := caller.Call[User](ctx, c, "com.example.user", nil)
			require.NoError(t, err)
			assert.Equal(t, User{Name: "ann", Tags: []string{"a", "b"}, Age: 30}, u)
		})
	}
}

func TestDecodeFailureNamesPathAndRawStaysReachable(t *testing.T) {
	r := wamptest.NewRouter(t)
	srv, c := r.Local(t), r.Local(t)
	ctx := wamptest.Context(t)
	raw(t, srv, "com.example.user", func(context.Context, *client.Invocation) (client.Payload, error) {
		return client.Payload{Args: []any{map[string]any{"name": "ann", "tags": []any{"a", 7}}}, Kwargs: map[string]any{"k": 1}}, nil
	}, nil)
	_, err := caller.Call[User](ctx, c, "com.example.user", nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"args[0].tags[1]"`)
	assert.Contains(t, err.Error(), "want string")
	p, err := caller.Call[client.Payload](ctx, c, "com.example.user", nil)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"k": 1}, normalize(p.Kwargs))
	assert.Len(t, p.Args, 1)
}

func normalize(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = num(v)
	}
	return out
}

func TestRemoteErrors(t *testing.T) {
	r := wamptest.NewRouter(t)
	srv, c := r.Local(t), r.Local(t)
	ctx := wamptest.Context(t)
	raw(t, srv, "com.example.fail", func(context.Context, *client.Invocation) (client.Payload, error) {
		return client.Payload{}, &client.Error{URI: "com.example.error.quota", Args: []any{"over quota"}, Kwargs: map[string]any{"limit": 3}}
	}, nil)
	_, err := caller.Call[int](ctx, c, "com.example.fail", nil)
	var werr *client.Error
	require.ErrorAs(t, err, &werr)
	assert.Equal(t, "com.example.error.quota", werr.URI)
	assert.Equal(t, []any{"over quota"}, werr.Args)
	assert.Equal(t, 3, num(werr.Kwargs["limit"]))
	assert.True(t, client.IsRemote(err))

	_, err = caller.Call[int](ctx, c, "com.example.nothing", nil)
	assert.ErrorIs(t, err, client.ErrNoSuchProcedure)
	assert.True(t, client.IsRemote(err))
}

func TestLocalErrorsAreDistinguishable(t *testing.T) {
	r := wamptest.NewRouter(t)
	c := r.Local(t)
	ctx := wamptest.Context(t)
	_, err := caller.Call[int](ctx, c, "bad uri", nil)
	assert.ErrorIs(t, err, client.ErrInvalidURI)
	assert.True(t, client.SafeToRetry(err))
	_, err = caller.Call[int](ctx, c, "com.example.x", nil, caller.Timeout(-1))
	assert.ErrorIs(t, err, client.ErrInvalidOption)
	_, err = caller.Call[int](ctx, c, "com.example.x", nil, caller.CancelMode("later"))
	assert.ErrorIs(t, err, client.ErrInvalidOption)
	_, err = caller.Call[int](ctx, c, "com.example.x", nil, caller.Buffer(0))
	assert.ErrorIs(t, err, client.ErrInvalidOption)

	closed := r.Local(t)
	require.NoError(t, closed.Close(ctx))
	_, err = caller.Call[int](ctx, closed, "com.example.x", nil)
	assert.ErrorIs(t, err, client.ErrClosed)
	assert.False(t, client.IsRemote(err))
	assert.True(t, client.SafeToRetry(err))
}

func TestOptionsOnTheWire(t *testing.T) {
	r := wamptest.NewRouter(t)
	srv, c := r.WS(t), r.WS(t)
	ctx := wamptest.Context(t)
	details := make(chan map[string]any, 1)
	record := func(_ context.Context, inv *client.Invocation) (client.Payload, error) {
		details <- inv.Details()
		return client.Payload{}, nil
	}
	raw(t, srv, "com.example.plain", record, nil)
	raw(t, srv, "com.example.disclosed", record, map[string]any{"forward_timeout": true})

	_, err := caller.Call[any](ctx, c, "com.example.plain", nil)
	require.NoError(t, err)
	d := <-details
	assert.Nil(t, d["caller"], "no disclosure unless asked")
	assert.NotEqual(t, true, d["receive_progress"])

	_, err = caller.Call[any](ctx, c, "com.example.disclosed", nil, caller.DiscloseMe(), caller.Timeout(1500*time.Millisecond))
	require.NoError(t, err)
	d = <-details
	assert.Equal(t, int(c.ID()), num(d["caller"]), "disclose_me reaches the callee")
	assert.Equal(t, 1500, num(d["timeout"]), "timeout is sent in milliseconds")

	extra := map[string]any{"timeout": 700}
	_, err = caller.Call[any](ctx, c, "com.example.disclosed", nil, caller.WithOptions(extra))
	require.NoError(t, err)
	d = <-details
	assert.Equal(t, 700, num(d["timeout"]), "extra CALL options are sent")
	assert.Equal(t, map[string]any{"timeout": 700}, extra, "the caller's map is not modified")

	res := caller.Progressive[int, any](ctx, c, "com.example.plain", nil)
	_, err = res.Result()
	require.NoError(t, err)
	d = <-details
	assert.Equal(t, true, d["receive_progress"])
}

func TestTimeoutReturnsWampTimeout(t *testing.T) {
	r := wamptest.NewRouter(t)
	srv, c := r.Local(t), r.Local(t)
	ctx := wamptest.Context(t)
	raw(t, srv, "com.example.hang", func(ctx context.Context, _ *client.Invocation) (client.Payload, error) {
		<-ctx.Done()
		return client.Payload{}, ctx.Err()
	}, nil)
	start := time.Now()
	_, err := caller.Call[any](ctx, c, "com.example.hang", nil, caller.Timeout(100*time.Millisecond))
	assert.ErrorIs(t, err, client.ErrTimeout)
	assert.Less(t, time.Since(start), 2*time.Second)
}

func TestManyConcurrentCallsAnsweredOnce(t *testing.T) {
	r := wamptest.NewRouter(t)
	srv, c := r.Local(t), r.Local(t)
	ctx := wamptest.Context(t)
	var served atomic.Int64
	raw(t, srv, "com.example.id", func(_ context.Context, inv *client.Invocation) (client.Payload, error) {
		served.Add(1)
		return inv.Payload(), nil
	}, nil)
	const n = 10000
	answers := make([]atomic.Int32, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 512)
	var failures atomic.Int64
	var firstErr atomic.Value
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			got, err := caller.Call[int](ctx, c, "com.example.id", i)
			if err != nil || got != i {
				failures.Add(1)
				firstErr.CompareAndSwap(nil, fmt.Sprintf("call %d: got %d, %v", i, got, err))
				return
			}
			answers[i].Add(1)
		}()
	}
	wg.Wait()
	assert.Zero(t, failures.Load(), "first failure: %v", firstErr.Load())
	for i := range answers {
		if answers[i].Load() != 1 {
			t.Fatalf("call %d answered %d times", i, answers[i].Load())
		}
	}
	assert.Equal(t, int64(n), served.Load())
}

func TestCancelModes(t *testing.T) {
	r := wamptest.NewRouter(t)
	srv, c := r.WS(t), r.WS(t)
	ctx := wamptest.Context(t)
	type seen struct{ interrupted bool }
	events := make(chan seen, 1)
	started := make(chan struct{}, 1)
	raw(t, srv, "com.example.slow", func(ctx context.Context, _ *client.Invocation) (client.Payload, error) {
		started <- struct{}{}
		select {
		case <-ctx.Done():
			events <- seen{interrupted: true}
			return client.Payload{}, client.NewError("com.example.stopped", "stopped early")
		case <-time.After(1500 * time.Millisecond):
			events <- seen{}
			return client.Payload{Args: []any{"finished"}}, nil
		}
	}, nil)
	for _, tc := range []struct {
		mode            client.CancelMode
		wantInterrupted bool
		wantRemoteURI   string // the callee's answer reaches the caller only in kill mode
	}{
		{caller.KillNoWait, true, ""},
		{caller.Kill, true, "com.example.stopped"},
		{caller.Skip, false, ""},
	} {
		t.Run(string(tc.mode), func(t *testing.T) {
			cctx, cancel := context.WithCancel(ctx)
			go func() { <-started; cancel() }()
			begin := time.Now()
			_, err := caller.Call[string](cctx, c, "com.example.slow", nil, caller.CancelMode(tc.mode))
			assert.ErrorIs(t, err, context.Canceled)
			assert.ErrorIs(t, err, client.ErrCanceled)
			assert.Less(t, time.Since(begin), time.Second, "the caller does not wait for the callee's natural end")
			if tc.wantRemoteURI != "" {
				var werr *client.Error
				require.True(t, errors.As(err, &werr) && werr.URI == tc.wantRemoteURI, "kill mode returns the callee's answer: %v", err)
			}
			ev := <-events
			assert.Equal(t, tc.wantInterrupted, ev.interrupted)
		})
	}
}
