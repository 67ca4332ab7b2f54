package client_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	typed "github.com/wampkit/wampkit/caller"
	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest"
)

// An error names its operation and procedure once, whoever returns it (the
// raw client or the typed caller), and its cause stays inspectable.
func TestErrorsReadOnce(t *testing.T) {
	r := wamptest.NewRouter(t)
	ctx := wamptest.Context(t)
	c, err := wamptest.ConnectLocal(ctx, r)
	require.NoError(t, err)

	_, rawErr := c.Call(ctx, client.CallRequest{Procedure: "com.example.missing"}, nil)
	_, typedErr := typed.Call[int](ctx, c, "com.example.missing", nil)
	for _, err := range []error{rawErr, typedErr} {
		require.Error(t, err)
		assert.Equal(t, "client: call com.example.missing: wamp.error.no_such_procedure",
			err.Error())
		assert.ErrorIs(t, err, client.ErrNoSuchProcedure)
		assert.True(t, client.IsRemote(err))
		assert.Equal(t, "wamp.error.no_such_procedure", client.URIOf(err))
		var oe *client.OpError
		require.ErrorAs(t, err, &oe)
		assert.Equal(t, "call", oe.Op)
		assert.Equal(t, "com.example.missing", oe.URI)
	}

	// A result that does not fit says what did not, once per package.
	_, err = c.Register(ctx, "com.example.str", func(context.Context, *client.Invocation) (client.Payload, error) {
		return client.Payload{Args: []any{"x"}}, nil
	}, client.RegisterOptions{})
	require.NoError(t, err)
	_, err = typed.Call[int](ctx, c, "com.example.str", nil)
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), "caller: decode result of com.example.str: "), err.Error())
	assert.NotContains(t, err.Error(), "codec")
	assert.Equal(t, 1, strings.Count(err.Error(), "decode"), err.Error())

	// A URI refused here is not remote, and says so once.
	_, err = c.Call(ctx, client.CallRequest{Procedure: "com.example.bad uri"}, nil)
	assert.ErrorIs(t, err, client.ErrInvalidURI)
	assert.False(t, client.IsRemote(err), "refused before sending: no router said it")
	assert.Empty(t, client.URIOf(err))
	assert.True(t, client.SafeToRetry(err), "nothing was sent")
	assert.Equal(t, 1, strings.Count(err.Error(), "client:"), err.Error())

	require.NoError(t, c.Close(ctx))
	_, err = typed.Call[int](ctx, c, "com.example.echo", nil)
	assert.Equal(t, "client: call com.example.echo: closed", err.Error())
	assert.ErrorIs(t, err, client.ErrClosed)
	assert.True(t, client.SafeToRetry(err))

	// Close with an ended context says so once.
	c2, err := wamptest.ConnectLocal(ctx, r)
	require.NoError(t, err)
	block := make(chan struct{})
	defer close(block)
	started := make(chan struct{})
	_, err = c2.Register(ctx, "com.example.block", func(context.Context, *client.Invocation) (client.Payload, error) {
		close(started)
		<-block
		return client.Payload{}, nil
	}, client.RegisterOptions{})
	require.NoError(t, err)
	go func() { _, _ = c.Call(context.Background(), client.CallRequest{Procedure: "com.example.block"}, nil) }()
	c3, err := wamptest.ConnectLocal(ctx, r)
	require.NoError(t, err)
	defer func() { _ = c3.Close(context.Background()) }()
	go func() { _, _ = c3.Call(context.Background(), client.CallRequest{Procedure: "com.example.block"}, nil) }()
	<-started
	dead, cancel := context.WithCancel(context.Background())
	cancel()
	err = c2.Close(dead)
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 1, strings.Count(err.Error(), context.Canceled.Error()), err.Error())
	assert.True(t, strings.HasPrefix(err.Error(), "client: close: "), err.Error())
}

type ctxKey struct{}

// Handlers get ordinary contexts derived from the client's base context:
// they carry the application's values, end with it, and say why they
// ended.
func TestHandlerContextDerivesFromBaseContext(t *testing.T) {
	r := wamptest.NewRouter(t)
	ctx := wamptest.Context(t)
	base, stop := context.WithCancel(context.WithValue(context.Background(), ctxKey{}, "app"))
	callee, err := wamptest.ConnectLocal(ctx, r, client.WithBaseContext(base))
	require.NoError(t, err)
	defer func() { _ = callee.Close(context.Background()) }()
	c, err := wamptest.ConnectLocal(ctx, r)
	require.NoError(t, err)
	defer func() { _ = c.Close(context.Background()) }()

	type seen struct {
		value     any
		inv       bool
		cause     error
		progress  error
		afterFunc bool
		derived   error // the cause a context derived from the handler's sees
	}
	got := make(chan seen, 1)
	running := make(chan struct{}, 1)
	_, err = callee.Register(ctx, "com.example.ctx", func(hctx context.Context, inv *client.Invocation) (client.Payload, error) {
		fired := make(chan struct{})
		context.AfterFunc(hctx, func() { close(fired) })
		running <- struct{}{}
		<-hctx.Done()
		<-fired
		_, ok := client.InvocationFromContext(hctx)
		got <- seen{value: hctx.Value(ctxKey{}), inv: ok, cause: context.Cause(hctx),
			progress: inv.Progress(client.Payload{Args: []any{1}}), afterFunc: true}
		return client.Payload{}, hctx.Err()
	}, client.RegisterOptions{})
	require.NoError(t, err)

	// The application's base context ends: the handler's does.
	go func() {
		_, _ = c.Call(ctx, client.CallRequest{Procedure: "com.example.ctx", ReceiveProgress: true}, nil)
	}()
	<-running
	stop()
	s := <-got
	assert.Equal(t, "app", s.value, "the base context's values reach the handler")
	assert.True(t, s.inv, "the invocation is found from the handler's context")
	assert.ErrorIs(t, s.cause, context.Canceled)
	assert.True(t, s.afterFunc, "context.AfterFunc works on it like on any context")

	// The caller cancels: the handler's context ends with the interrupt as
	// its cause, and Progress says the invocation is over, locally.
	callee2, err := wamptest.ConnectLocal(ctx, r)
	require.NoError(t, err)
	defer func() { _ = callee2.Close(context.Background()) }()
	_, err = callee2.Register(ctx, "com.example.ctx2", func(hctx context.Context, inv *client.Invocation) (client.Payload, error) {
		child, stopChild := context.WithCancel(hctx)
		defer stopChild()
		running <- struct{}{}
		<-hctx.Done()
		<-child.Done()
		got <- seen{value: hctx.Value(ctxKey{}), cause: context.Cause(hctx), progress: inv.Progress(client.Payload{Args: []any{1}}),
			derived: context.Cause(child)}
		return client.Payload{}, hctx.Err()
	}, client.RegisterOptions{})
	require.NoError(t, err)
	cctx, cancel := context.WithCancel(ctx)
	go func() {
		_, _ = c.Call(cctx, client.CallRequest{Procedure: "com.example.ctx2", ReceiveProgress: true}, nil)
	}()
	<-running
	cancel()
	select {
	case s = <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("the handler's context did not end when the caller canceled")
	}
	assert.Nil(t, s.value, "no base context given: context.Background's values")
	assert.ErrorContains(t, s.cause, "interrupted")
	assert.Equal(t, s.cause, s.derived, "a context derived from the handler's ends with the same cause")
	assert.ErrorIs(t, s.progress, client.ErrInvocationDone)
	assert.False(t, client.IsRemote(s.progress), "a local condition does not read as remote")
	assert.False(t, errors.Is(s.progress, client.ErrCanceled), "no remote URI on a local condition")
}
