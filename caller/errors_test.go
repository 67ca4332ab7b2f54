package caller_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/caller"
	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest"
)

func TestRemoteErrors(t *testing.T) {
	r := wamptest.NewRouter(t)
	srv, c := r.WS(t), r.WS(t)
	ctx := wamptest.Context(t)
	raw(t, srv, "com.example.fail", func(context.Context, *client.Invocation) (client.Payload, error) {
		return client.Payload{}, &client.Error{URI: "com.example.error.quota", Args: []any{"over quota"}, Kwargs: map[string]any{"limit": 3}}
	}, client.RegisterOptions{})
	raw(t, srv, "com.example.add", add, client.RegisterOptions{})

	_, err := caller.Call[int](ctx, c, "com.example.fail", nil)
	var werr *client.Error
	require.ErrorAs(t, err, &werr)
	assert.Equal(t, "com.example.error.quota", werr.URI)
	assert.Equal(t, []any{"over quota"}, werr.Args)
	assert.Equal(t, 3, num(werr.Kwargs["limit"]))
	assert.True(t, client.IsRemote(err))
	assert.False(t, client.SafeToRetry(err))

	_, err = caller.Call[int](ctx, c, "com.example.nothing", nil)
	assert.ErrorIs(t, err, client.ErrNoSuchProcedure)
	assert.True(t, client.IsRemote(err))

	_, err = caller.Call[int](ctx, c, "com.example.add", caller.Args(1))
	assert.ErrorIs(t, err, client.ErrInvalidArgument)

	for _, err := range caller.Progressive[int, int](ctx, c, "com.example.fail", nil).Progress() {
		require.ErrorAs(t, err, &werr, "Progress yields the remote error")
		assert.Equal(t, "com.example.error.quota", werr.URI)
	}
}

func TestLocalErrorsSayWhetherTheCallMayHaveRun(t *testing.T) {
	r := wamptest.NewRouter(t)
	srv := r.WS(t)
	admin := r.Admin(t, wamptest.Transport{Name: "ws-json", Kind: "ws"})
	c := r.WS(t, client.WithoutReconnect())
	ctx := wamptest.Context(t)
	started := make(chan struct{}, 1)
	// nexus does not interrupt the callee when the caller leaves: release
	// the handler at the end, before srv is closed.
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	raw(t, srv, "com.example.hang", func(ctx context.Context, _ *client.Invocation) (client.Payload, error) {
		started <- struct{}{}
		select {
		case <-ctx.Done():
		case <-release:
		}
		return client.Payload{}, ctx.Err()
	}, client.RegisterOptions{})

	ended, cancel := context.WithCancel(ctx)
	cancel()
	_, err := caller.Call[int](ended, c, "com.example.hang", nil)
	assert.ErrorIs(t, err, context.Canceled)
	assert.True(t, client.SafeToRetry(err), "an ended ctx sends nothing")
	assert.False(t, client.IsRemote(err))
	_, err = caller.Progressive[int, int](ended, c, "com.example.hang", nil).Result()
	assert.ErrorIs(t, err, context.Canceled)
	assert.True(t, client.SafeToRetry(err))

	_, err = caller.Call[int](ctx, c, "bad uri", nil)
	assert.ErrorIs(t, err, client.ErrInvalidURI)
	assert.False(t, client.IsRemote(err), "refused locally")

	// The connection goes away while the call is in flight: the call was
	// sent, so it may have run.
	errs := make(chan error, 1)
	go func() {
		_, err := caller.Call[int](ctx, c, "com.example.hang", nil)
		errs <- err
	}()
	<-started
	_, err = caller.Call[any](ctx, admin, "wamp.session.kill", caller.Args(uint64(c.ID())))
	require.NoError(t, err)
	select {
	case err = <-errs:
	case <-time.After(5 * time.Second):
		t.Fatal("the call did not end with its connection")
	}
	assert.ErrorIs(t, err, client.ErrConnectionLost)
	assert.False(t, client.IsRemote(err))
	assert.False(t, client.SafeToRetry(err))

	// Nothing is sent on a closed client: safe to retry elsewhere.
	require.NoError(t, c.WaitState(ctx, client.Closed))
	_, err = caller.Call[int](ctx, c, "com.example.hang", nil)
	assert.ErrorIs(t, err, client.ErrClosed)
	assert.False(t, client.IsRemote(err))
	assert.True(t, client.SafeToRetry(err))
	_, err = caller.Progressive[int, int](ctx, c, "com.example.hang", nil).Result()
	assert.ErrorIs(t, err, client.ErrClosed)
	assert.True(t, client.SafeToRetry(err))
}
