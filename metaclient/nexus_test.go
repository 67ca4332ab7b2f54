package metaclient_test

import (
	"context"
	"io"
	"log"
	"slices"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/router"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest"
	"github.com/wampkit/wampkit/metaclient"
)

// plainNexus is nexus v3.3.0 as shipped: no remove_callee, 0 for "none",
// "" for default policies, created without a colon in the offset.
func plainNexus(t *testing.T) router.Router {
	t.Helper()
	r, err := router.NewRouter(&router.Config{RealmConfigs: []*router.RealmConfig{
		{URI: "realm1", AnonymousAuth: true},
	}}, log.New(io.Discard, "", 0))
	require.NoError(t, err)
	t.Cleanup(r.Close)
	return r
}

func connectTo(t *testing.T, a wamptest.Attacher) *client.Client {
	t.Helper()
	c, err := wamptest.ConnectLocal(wamptest.Context(t), a)
	require.NoError(t, err)
	t.Cleanup(func() { wamptest.Close(t, c) })
	return c
}

func TestPlainNexusShapes(t *testing.T) {
	r := plainNexus(t)
	ctx := wamptest.Context(t)
	callee := connectTo(t, r)
	m := metaclient.New(connectTo(t, r))
	reg := register(t, callee, "com.nexus.plain", client.RegisterOptions{}) // no match, no invoke: nexus stores ""

	got, err := m.Get(ctx, reg.ID())
	require.NoError(t, err)
	assert.Equal(t, metaclient.Exact, got.Match, `nexus "" reads as exact`)
	assert.Equal(t, metaclient.Single, got.Invoke, `nexus "" reads as single`)
	assert.WithinDuration(t, time.Now(), got.Created, time.Minute, "nexus local time without a colon")

	_, found, err := m.Lookup(ctx, "com.nexus.none", metaclient.Exact)
	require.NoError(t, err)
	assert.False(t, found, "nexus answers 0")
	ids, err := m.Match(ctx, "com.nexus.none")
	require.NoError(t, err)
	assert.Empty(t, ids, "nexus answers 0")
	ids, err = m.Match(ctx, "com.nexus.plain")
	require.NoError(t, err)
	assert.Equal(t, []client.ID{reg.ID()}, ids, "nexus answers one ID")

	l, err := m.List(ctx)
	require.NoError(t, err)
	assert.Greater(t, len(l.Exact), 1, "nexus lists its own wamp.* procedures")
	users, err := m.UserRegistrations(ctx)
	require.NoError(t, err)
	require.Len(t, users, 1, "UserRegistrations leaves them out")
	assert.Equal(t, "com.nexus.plain", users[0].URI)

	err = m.RemoveCallee(ctx, reg.ID(), callee.ID(), "")
	require.ErrorIs(t, err, client.ErrNoSuchProcedure)
	assert.ErrorContains(t, err, "metaclient: remove_callee: the router does not implement wamp.registration.remove_callee")
}

func TestRegistryOnPlainNexus(t *testing.T) {
	r := plainNexus(t)
	ctx := wamptest.Context(t)
	m := metaclient.New(connectTo(t, r))
	reg, err := m.Watch(ctx)
	require.NoError(t, err)
	defer func() { require.NoError(t, reg.Close(context.Background())) }()
	a, b := connectTo(t, r), connectTo(t, r)
	ra := register(t, a, "com.nexus.shared", client.RegisterOptions{Invoke: client.InvokeLast})
	register(t, b, "com.nexus.shared", client.RegisterOptions{Invoke: client.InvokeLast})
	// The two sessions' on_register events may arrive crossed; the registry
	// repairs the order shortly after, so wait for the router's order.
	wamptest.Eventually(t, func() bool {
		info, ok := reg.Lookup("com.nexus.shared", metaclient.Exact)
		return ok && slices.Equal(info.Callees, []client.ID{a.ID(), b.ID()})
	})
	info, _ := reg.Get(ra.ID())
	assert.Equal(t, metaclient.Last, info.Invoke)
	wamptest.Close(t, a) // a session leaves: on_unregister without on_delete
	wamptest.Eventually(t, func() bool {
		info, ok := reg.Get(ra.ID())
		return ok && len(info.Callees) == 1 && info.Callees[0] == b.ID()
	})
}
