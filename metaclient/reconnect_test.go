package metaclient_test

import (
	"context"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/router"
	"github.com/wampkit/wampkit/internal/wamptest"
	"github.com/wampkit/wampkit/metaclient"
)

func fastBackoff() backoff.BackOff {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval, b.MaxInterval, b.MaxElapsedTime = 10*time.Millisecond, 100*time.Millisecond, 0
	return b
}

// After a router restart the registry rebuilds itself: the registrations
// the callees restore, under their new IDs, and nothing of the old router.
func TestRegistryResyncsAfterReconnect(t *testing.T) {
	r := wamptest.NewRestartable(t, router.Config{})
	ctx := wamptest.Context(t)
	connect := func() *client.Client {
		c, err := client.Connect(ctx, r.WebsocketURL(), client.WithReconnect(fastBackoff))
		require.NoError(t, err)
		t.Cleanup(func() { wamptest.Close(t, c) })
		return c
	}
	watcher, callee := connect(), connect()
	m := metaclient.New(watcher)
	reg, err := m.Watch(ctx)
	require.NoError(t, err)
	defer func() { require.NoError(t, reg.Close(context.Background())) }()

	for _, uri := range []string{"com.resync.a", "com.resync.b"} {
		_, err := callee.Register(ctx, uri, nop, nil)
		require.NoError(t, err)
	}
	wamptest.Eventually(t, func() bool { _, ok := reg.Lookup("com.resync.a", metaclient.Exact); return ok })
	oldSession := callee.ID()

	r.Stop()
	r.Start()
	require.NoError(t, watcher.WaitState(ctx, client.Connected))
	require.NoError(t, callee.WaitState(ctx, client.Connected))
	wamptest.Eventually(t, func() bool {
		after, ok := reg.Lookup("com.resync.a", metaclient.Exact)
		return ok && equalViews(routerView(t, m), reg.Snapshot()) &&
			len(after.Callees) == 1 && after.Callees[0] == callee.ID()
	}, "the registry equals the new router's registrations")
	for _, info := range reg.Snapshot() {
		for _, s := range info.Callees {
			require.NotEqual(t, oldSession, s, "nothing of the old router stays")
		}
	}
}
