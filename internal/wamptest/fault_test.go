package wamptest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/gammazero/nexus/v3/wamp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/router"
	"github.com/wampkit/wampkit/internal/wamptest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func echo(_ context.Context, inv *client.Invocation) (client.Payload, error) {
	return inv.Payload(), nil
}

func TestFaultyDropsAndDelays(t *testing.T) {
	r := wamptest.NewRouter(t)
	f := &wamptest.Faulty{Inner: r}
	ctx := wamptest.Context(t)
	c, err := wamptest.ConnectLocal(ctx, f)
	require.NoError(t, err)
	t.Cleanup(func() { wamptest.Close(t, c) })
	_, err = c.Register(ctx, "test.echo", echo, client.RegisterOptions{})
	require.NoError(t, err)

	f.SetFault(func(m wamp.Message) (bool, time.Duration) { return false, 150 * time.Millisecond })
	begin := time.Now()
	_, err = c.Call(ctx, client.CallRequest{Procedure: "test.echo"}, nil)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, time.Since(begin), 150*time.Millisecond, "delayed")

	f.SetFault(func(m wamp.Message) (bool, time.Duration) { return m.MessageType() == wamp.RESULT, 0 })
	cctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	_, err = c.Call(cctx, client.CallRequest{Procedure: "test.echo"}, nil)
	assert.True(t, errors.Is(err, context.DeadlineExceeded), "the RESULT was dropped: %v", err)
	f.SetFault(nil)
}

func TestProxyDropAndPause(t *testing.T) {
	r := wamptest.NewRouter(t)
	p := wamptest.NewProxy(t, r.WebsocketURL()[len("ws://"):len(r.WebsocketURL())-len("/ws")])
	ctx := wamptest.Context(t)
	c, err := client.Connect(ctx, "ws://"+p.Addr()+"/ws")
	require.NoError(t, err)
	t.Cleanup(func() { wamptest.Close(t, c) })
	p.Pause()
	p.DropAll()
	require.NoError(t, c.WaitState(ctx, client.Reconnecting))
	time.Sleep(100 * time.Millisecond)
	assert.Equal(t, client.Reconnecting, c.State(), "paused: the router is unreachable")
	p.Resume()
	require.NoError(t, c.WaitState(ctx, client.Connected))
}

func TestFaultyDropNextAndDropAll(t *testing.T) {
	r := wamptest.NewRouter(t)
	f := wamptest.NewFaulty(t, r)
	ctx := wamptest.Context(t)
	c, err := wamptest.ConnectLocal(ctx, f, client.WithReconnect(func() backoff.BackOff {
		return backoff.NewConstantBackOff(10 * time.Millisecond)
	}))
	require.NoError(t, err)
	t.Cleanup(func() { wamptest.Close(t, c) })
	_, err = c.Register(ctx, "test.echo", echo, client.RegisterOptions{})
	require.NoError(t, err)

	f.DropNext(wamp.RESULT, 1)
	cctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	_, err = c.Call(cctx, client.CallRequest{Procedure: "test.echo"}, nil)
	cancel()
	assert.ErrorIs(t, err, context.DeadlineExceeded, "the first RESULT is dropped")
	_, err = c.Call(ctx, client.CallRequest{Procedure: "test.echo"}, nil)
	assert.NoError(t, err, "only the first")

	f.Delay(100 * time.Millisecond)
	begin := time.Now()
	_, err = c.Call(ctx, client.CallRequest{Procedure: "test.echo"}, nil)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, time.Since(begin), 100*time.Millisecond)
	f.Delay(0)

	old := c.ID()
	f.DropAll()
	wamptest.Eventually(t, func() bool { return c.State() == client.Connected && c.ID() != old && c.ID() != 0 },
		"a new session after the drop")
	// The router may still hold the cut session's registration when the
	// new session registers again (procedure_already_exists): the client
	// retries that in the background, so the call succeeds eventually.
	wamptest.Eventually(t, func() bool {
		_, err := c.Call(ctx, client.CallRequest{Procedure: "test.echo"}, nil)
		return err == nil
	}, "the registration is restored")
}

func TestProxyDelay(t *testing.T) {
	r := wamptest.NewRouter(t)
	p := wamptest.NewProxy(t, r.WebsocketURL())
	ctx := wamptest.Context(t)
	c, err := client.Connect(ctx, p.WebsocketURL())
	require.NoError(t, err)
	t.Cleanup(func() { wamptest.Close(t, c) })
	_, err = c.Register(ctx, "test.echo", echo, client.RegisterOptions{})
	require.NoError(t, err)
	p.SetDelay(50 * time.Millisecond)
	begin := time.Now()
	_, err = c.Call(ctx, client.CallRequest{Procedure: "test.echo"}, nil)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, time.Since(begin), 100*time.Millisecond, "delayed both ways")
	p.SetDelay(0)
}

func TestRestartableKeepsItsAddress(t *testing.T) {
	r := wamptest.NewRestartable(t, router.Config{})
	ctx := wamptest.Context(t)
	c, err := client.Connect(ctx, r.WebsocketURL())
	require.NoError(t, err)
	t.Cleanup(func() { wamptest.Close(t, c) })
	session := c.ID()
	r.Restart(0)
	wamptest.Eventually(t, func() bool { return c.State() == client.Connected && c.ID() != session },
		"the client rejoins at the same URL")
	raw, err := client.Connect(ctx, r.RawSocketURL())
	require.NoError(t, err, "rawsocket on the same address too")
	wamptest.Close(t, raw)
}
