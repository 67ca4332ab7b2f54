package metaclient_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/router"
	"github.com/wampkit/wampkit/internal/wamptest"
	"github.com/wampkit/wampkit/metaclient"
)

// waitConverged waits until the registry equals the router's answers.
func waitConverged(t *testing.T, m *metaclient.Client, reg *metaclient.Registry) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !equalViews(routerView(t, m), reg.Snapshot()) {
		if time.Now().After(deadline) {
			t.Fatalf("registry did not converge:\nrouter   %v\nregistry %v", routerView(t, m), reg.Snapshot())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The watcher loses its connection; meanwhile registrations come and go,
// and their events are lost. After the reconnect the registry rebuilds
// itself and equals the router again.
func TestRegistryResyncsAfterReconnect(t *testing.T) {
	r := wamptest.NewRouter(t)
	ctx := wamptest.Context(t)
	proxy := wamptest.NewProxy(t, strings.TrimSuffix(strings.TrimPrefix(r.WebsocketURL(), "ws://"), "/ws"))
	watcher, err := client.Connect(ctx, "ws://"+proxy.Addr()+"/ws", client.WithReconnect(wamptest.FastBackoff))
	require.NoError(t, err)
	t.Cleanup(func() { wamptest.Close(t, watcher) })
	m := metaclient.New(watcher)
	reg, err := m.Watch(ctx)
	require.NoError(t, err)
	defer func() { require.NoError(t, reg.Close(context.Background())) }()
	require.Equal(t, metaclient.Resynced, (<-reg.Changes()).Kind, "the initial sync")

	callee := r.Local(t)
	gone := register(t, callee, "com.reconnect.gone", client.RegisterOptions{})
	wamptest.Eventually(t, func() bool { _, ok := reg.Get(gone.ID()); return ok })
	before := watcher.ID()

	proxy.Pause()
	proxy.DropAll()
	require.NoError(t, watcher.WaitState(ctx, client.Reconnecting))
	require.NoError(t, gone.Unregister(ctx)) // events the watcher never sees
	var added []*client.Registration
	for i := range 20 {
		added = append(added, register(t, callee, fmt.Sprintf("com.reconnect.p%d", i), client.RegisterOptions{}))
	}
	proxy.Resume()
	require.NoError(t, watcher.WaitState(ctx, client.Connected))
	assert.NotEqual(t, before, watcher.ID(), "a new session")

	var resynced bool
	for !resynced {
		select {
		case c := <-reg.Changes():
			resynced = c.Kind == metaclient.Resynced
		case <-ctx.Done():
			t.Fatal("no Resynced notification after the reconnect")
		}
	}
	_, ok := reg.Get(gone.ID())
	assert.False(t, ok, "unregistered during the outage")
	for _, a := range added {
		_, ok := reg.Get(a.ID())
		assert.True(t, ok, "registered during the outage")
	}
	assert.NoError(t, reg.Err())
	waitConverged(t, m, reg)

	// Live again: events after the reconnect are applied.
	late := register(t, callee, "com.reconnect.late", client.RegisterOptions{})
	wamptest.Eventually(t, func() bool { _, ok := reg.Get(late.ID()); return ok })
}

func TestRegistryCloseEndsChanges(t *testing.T) {
	r := wamptest.NewRouter(t)
	ctx := wamptest.Context(t)
	reg, err := metaclient.New(r.Local(t)).Watch(ctx)
	require.NoError(t, err)
	register(t, r.Local(t), "com.close.p", client.RegisterOptions{})
	require.NoError(t, reg.Close(ctx))
	require.NoError(t, reg.Close(ctx), "idempotent")
	for range reg.Changes() { // drains what was buffered, then ends
	}
	_, ok := reg.Lookup("wamp.registration.get", metaclient.Exact)
	assert.True(t, ok, "the view stays readable after Close")
}

// After a router restart the registry rebuilds itself: the registrations
// the callees restore, under their new IDs, and nothing of the old router.
func TestRegistryResyncsAfterRouterRestart(t *testing.T) {
	r := wamptest.NewRestartable(t, router.Config{})
	ctx := wamptest.Context(t)
	connect := func() *client.Client {
		c, err := client.Connect(ctx, r.WebsocketURL(), client.WithReconnect(wamptest.FastBackoff))
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
		_, err := callee.Register(ctx, uri, nop, client.RegisterOptions{})
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
		want, err := tryRouterView(ctx, m)
		return ok && err == nil && equalViews(want, reg.Snapshot()) &&
			len(after.Callees) == 1 && after.Callees[0] == callee.ID()
	}, "the registry equals the new router's registrations")
	for _, info := range reg.Snapshot() {
		for _, s := range info.Callees {
			require.NotEqual(t, oldSession, s, "nothing of the old router stays")
		}
	}
}
