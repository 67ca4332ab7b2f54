package metaclient_test

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest"
	"github.com/wampkit/wampkit/metaclient"
)

// routerView reads the truth from the router: list, get, list_callees.
func routerView(t *testing.T, m *metaclient.Client) []metaclient.RegistrationInfo {
	t.Helper()
	out, err := tryRouterView(wamptest.Context(t), m)
	require.NoError(t, err)
	return out
}

func tryRouterView(ctx context.Context, m *metaclient.Client) ([]metaclient.RegistrationInfo, error) {
	l, err := m.List(ctx)
	if err != nil {
		return nil, err
	}
	var out []metaclient.RegistrationInfo
	for _, id := range l.All() {
		reg, err := m.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		callees, err := m.ListCallees(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, metaclient.RegistrationInfo{Registration: reg, Callees: callees})
	}
	slices.SortFunc(out, func(a, b metaclient.RegistrationInfo) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

func TestRegistryFollowsChurn(t *testing.T) {
	r := wamptest.NewRouter(t)
	ctx := wamptest.Context(t)
	watcher := r.Local(t)
	m := metaclient.New(watcher)

	const sessions = 6
	var callees []*client.Client
	for range sessions {
		callees = append(callees, r.Local(t))
	}
	// Churn begins before the registry exists, so the snapshot and the
	// event stream must meet without a gap.
	var regs []*client.Registration
	rng := rand.New(rand.NewPCG(1, 2))
	registerSome := func(n int) {
		for i := range n {
			c := callees[rng.IntN(sessions-1)] // the last session stays for disconnecting
			uri := fmt.Sprintf("com.churn.p%d", rng.IntN(400))
			opts := map[string]any{"invoke": "roundrobin"}
			if i%7 == 0 {
				uri, opts = fmt.Sprintf("com.churn.prefix%d.", i), map[string]any{"match": "prefix"}
			}
			reg, err := c.Register(ctx, uri, nop, opts)
			if err == nil {
				regs = append(regs, reg)
			}
		}
	}
	registerSome(300)
	churned := make(chan struct{})
	go func() { // churn while the snapshot is read
		defer close(churned)
		registerSome(500)
	}()
	reg, err := m.Watch(ctx)
	require.NoError(t, err)
	defer func() { require.NoError(t, reg.Close(context.Background())) }()
	<-churned
	for i := range regs { // unregister a third
		if i%3 == 0 {
			require.NoError(t, regs[i].Unregister(ctx))
		}
	}
	last := callees[sessions-1]
	for i := range 200 {
		_, err := last.Register(ctx, fmt.Sprintf("com.churn.last%d", i), nop, nil)
		require.NoError(t, err)
	}
	require.NoError(t, last.Close(ctx)) // a session leaves with 200 registrations

	// Quiet point: the registry must equal the router's answers.
	var want []metaclient.RegistrationInfo
	deadline := time.Now().Add(5 * time.Second)
	for {
		want = routerView(t, m)
		if equalViews(want, reg.Snapshot()) || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !equalViews(want, reg.Snapshot()) {
		got := reg.Snapshot()
		gm := map[client.ID]metaclient.RegistrationInfo{}
		for _, g := range got {
			gm[g.ID] = g
		}
		n := 0
		for _, w := range want {
			if g, ok := gm[w.ID]; !ok || !equalViews([]metaclient.RegistrationInfo{w}, []metaclient.RegistrationInfo{g}) {
				if n++; n < 5 {
					t.Logf("router %+v\nregistry %+v (present %v)", w, g, ok)
				}
			}
			delete(gm, w.ID)
		}
		for _, g := range gm {
			if n++; n < 10 {
				t.Logf("registry only: %+v", g)
			}
		}
		t.Fatalf("registry differs from the router in %d registrations (%d vs %d)", n, len(got), len(want))
	}
	assert.Equal(t, normalize(want), normalize(reg.Snapshot()))
	assert.Greater(t, len(want), 300)
}

func normalize(v []metaclient.RegistrationInfo) []metaclient.RegistrationInfo {
	out := slices.Clone(v)
	for i := range out {
		out[i].Created = out[i].Created.Truncate(time.Second).UTC()
	}
	return out
}

func equalViews(a, b []metaclient.RegistrationInfo) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].ID != b[i].ID || a[i].URI != b[i].URI || a[i].Match != b[i].Match ||
			a[i].Invoke != b[i].Invoke || !slices.Equal(a[i].Callees, b[i].Callees) {
			return false
		}
	}
	return true
}

func TestRegistryLookupAndChanges(t *testing.T) {
	r := wamptest.NewRouter(t)
	ctx := wamptest.Context(t)
	watcher, a := r.Local(t), r.Local(t)
	reg, err := metaclient.New(watcher).Watch(ctx)
	require.NoError(t, err)
	defer func() { _ = reg.Close(context.Background()) }()
	<-reg.Changes() // the initial sync

	h := register(t, a, "com.registry.p", map[string]any{"match": "prefix"})
	var got []metaclient.ChangeKind
	for len(got) < 2 {
		select {
		case c := <-reg.Changes():
			got = append(got, c.Kind)
		case <-ctx.Done():
			t.Fatal("no change notifications")
		}
	}
	assert.Equal(t, []metaclient.ChangeKind{metaclient.Created, metaclient.CalleeAdded}, got)
	info, ok := reg.Lookup("com.registry.p", metaclient.Prefix)
	require.True(t, ok)
	assert.Equal(t, h.ID(), info.ID)
	assert.Equal(t, []client.ID{a.ID()}, info.Callees)
	_, ok = reg.Lookup("com.registry.p", metaclient.Exact)
	assert.False(t, ok)
	byID, ok := reg.Get(h.ID())
	require.True(t, ok)
	assert.Equal(t, "com.registry.p", byID.URI)
}

// Sessions registering the same shared procedures at once make nexus
// publish their events in an order that crosses (on_register before
// on_create); the registry repairs and converges.
func TestRegistryRepairsCrossedEvents(t *testing.T) {
	r := wamptest.NewRouter(t)
	ctx := wamptest.Context(t)
	m := metaclient.New(r.Local(t))
	reg, err := m.Watch(ctx)
	require.NoError(t, err)
	defer func() { require.NoError(t, reg.Close(context.Background())) }()
	var wg sync.WaitGroup
	for s := range 4 {
		c := r.Local(t)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				_, _ = c.Register(ctx, fmt.Sprintf("com.crossed.p%d", (i+s)%25), nop, map[string]any{"invoke": "roundrobin"})
			}
		}()
	}
	wg.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for !equalViews(routerView(t, m), reg.Snapshot()) {
		if time.Now().After(deadline) {
			want, got := routerView(t, m), reg.Snapshot()
			for i := range min(len(want), len(got)) {
				if !equalViews(want[i:i+1], got[i:i+1]) {
					t.Logf("router %+v\nregistry %+v", want[i], got[i])
				}
			}
			t.Fatalf("registry did not converge (%d vs %d registrations)", len(want), len(got))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
