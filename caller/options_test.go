package caller_test

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/caller"
	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest"
)

func TestOptionsOnTheWire(t *testing.T) {
	r := wamptest.NewRouter(t)
	srv, c := r.WS(t), r.WS(t)
	ctx := wamptest.Context(t)
	details := make(chan map[string]any, 1)
	record := func(_ context.Context, inv *client.Invocation) (client.Payload, error) {
		details <- inv.Details()
		return client.Payload{}, nil
	}
	raw(t, srv, "com.example.plain", record, client.RegisterOptions{})
	// nexus forwards the timeout only to callees that register with
	// forward_timeout; otherwise it runs the timer itself.
	raw(t, srv, "com.example.forward", record, client.RegisterOptions{ForwardTimeout: true})

	call := func(proc string, opts ...caller.Option) map[string]any {
		t.Helper()
		_, err := caller.Call[any](ctx, c, proc, nil, opts...)
		require.NoError(t, err)
		return <-details
	}

	d := call("com.example.plain")
	assert.Nil(t, d["caller"], "no disclosure unless asked")
	assert.Nil(t, d["timeout"])
	assert.NotEqual(t, true, d["receive_progress"])

	d = call("com.example.plain", caller.DiscloseMe())
	assert.Equal(t, int(c.ID()), num(d["caller"]), "disclose_me reaches the callee")

	var none caller.Option // nil options are skipped, the others apply
	d = call("com.example.plain", none, caller.DiscloseMe(), nil)
	assert.Equal(t, int(c.ID()), num(d["caller"]), "a nil option is skipped")

	d = call("com.example.forward", caller.Timeout(1500*time.Millisecond))
	assert.Equal(t, 1500, num(d["timeout"]), "timeout is sent in milliseconds")

	d = call("com.example.forward", caller.Timeout(1500*time.Millisecond), caller.Timeout(0))
	assert.Nil(t, d["timeout"], "Timeout(0) means none")

	extra := map[string]any{"timeout": 700}
	opt := caller.WithOptions(extra)
	extra["timeout"] = 900 // too late: the option copied the map
	d = call("com.example.forward", opt)
	assert.Equal(t, 700, num(d["timeout"]), "extra CALL options are sent")
	assert.Equal(t, map[string]any{"timeout": 900}, extra, "the caller's map is not modified")

	res := caller.Progressive[int, any](ctx, c, "com.example.plain", nil)
	_, err := res.Result()
	require.NoError(t, err)
	assert.Equal(t, true, (<-details)["receive_progress"], "Progressive asks for progress")
}

// TestInvalidOptionsSendNothing: a bad option fails the call before the
// CALL is sent, whichever entry point took it.
func TestInvalidOptionsSendNothing(t *testing.T) {
	r := wamptest.NewRouter(t)
	srv, c := r.Local(t), r.Local(t)
	ctx := wamptest.Context(t)
	var invoked atomic.Int32
	raw(t, srv, "com.example.x", func(context.Context, *client.Invocation) (client.Payload, error) {
		invoked.Add(1)
		return client.Payload{}, nil
	}, client.RegisterOptions{})
	bad := map[string]caller.Option{
		"negative timeout": caller.Timeout(-time.Second),
		"unknown mode":     caller.CancelMode("later"),
		"empty mode":       caller.CancelMode(""),
		"zero buffer":      caller.Buffer(0),
		"negative buffer":  caller.Buffer(-1),
		"zero kill wait":   caller.KillWait(0),
		"zero retries":     caller.RetrySafe(0, 0),
		"negative backoff": caller.RetrySafe(2, -time.Millisecond),
	}
	for name, opt := range bad {
		t.Run(name, func(t *testing.T) {
			_, err := caller.Call[any](ctx, c, "com.example.x", nil, opt)
			assert.ErrorIs(t, err, client.ErrInvalidOption)
			assert.False(t, client.IsRemote(err))
			assert.Contains(t, err.Error(), "caller: ")

			_, err = caller.Progressive[any, any](ctx, c, "com.example.x", nil, opt).Result()
			assert.ErrorIs(t, err, client.ErrInvalidOption)

			for _, err := range caller.Progressive[any, any](ctx, c, "com.example.x", nil, opt).Progress() {
				assert.ErrorIs(t, err, client.ErrInvalidOption)
			}

			_, err = caller.Open[int, int, int](ctx, c, "com.example.x", 1, opt)
			assert.ErrorIs(t, err, client.ErrInvalidOption)

			_, err = caller.Stream[int, int, int](ctx, c, "com.example.x", slices.Values([]int{1, 2}), opt).Result()
			assert.ErrorIs(t, err, client.ErrInvalidOption)

			_, err = caller.New[any, any](c, "com.example.x", opt).Call(ctx, nil)
			assert.ErrorIs(t, err, client.ErrInvalidOption)
		})
	}
	_, err := caller.Call[any](ctx, c, "com.example.x", nil) // a good call, as a barrier
	require.NoError(t, err)
	assert.Equal(t, int32(1), invoked.Load(), "only the good call reached the callee")
}

func TestTimeoutReturnsWampTimeout(t *testing.T) {
	r := wamptest.NewRouter(t)
	srv, c := r.Local(t), r.Local(t)
	ctx := wamptest.Context(t)
	hang := func(ctx context.Context, _ *client.Invocation) (client.Payload, error) {
		<-ctx.Done()
		return client.Payload{}, ctx.Err()
	}
	raw(t, srv, "com.example.hang", hang, client.RegisterOptions{})
	start := time.Now()
	_, err := caller.Call[any](ctx, c, "com.example.hang", nil, caller.Timeout(100*time.Millisecond))
	assert.ErrorIs(t, err, client.ErrTimeout, "the router's timeout wins over the local deadline")
	assert.True(t, client.IsRemote(err))
	assert.Less(t, time.Since(start), time.Second)

	res := caller.Progressive[int, string](ctx, c, "com.example.hang", nil, caller.Timeout(100*time.Millisecond))
	for _, err := range res.Progress() {
		assert.ErrorIs(t, err, client.ErrTimeout)
	}
}

// The longest Timeout does not overflow into an expired local deadline: the
// call runs (the router forwards a timeout of ~292 years).
func TestHugeTimeoutDoesNotExpireAtOnce(t *testing.T) {
	r := wamptest.NewRouter(t)
	srv, c := r.WS(t), r.WS(t)
	ctx := wamptest.Context(t)
	raw(t, srv, "com.example.echo", func(ctx context.Context, _ *client.Invocation) (client.Payload, error) {
		return client.Payload{Args: []any{ctx.Err() == nil}}, nil
	}, client.RegisterOptions{ForwardTimeout: true})
	got, err := caller.Call[bool](ctx, c, "com.example.echo", nil, caller.Timeout(time.Duration(1<<63-1)))
	require.NoError(t, err)
	assert.True(t, got, "the callee's context is live")
}
