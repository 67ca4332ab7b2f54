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

// churner registers and unregisters on one callee session.
type churner struct {
	c    *client.Client
	rng  *rand.Rand
	regs []*client.Registration
}

// churn makes n registrations (shared round-robin procedures, every
// seventh a prefix one of its own) and unregisters every third.
func (ch *churner) churn(ctx context.Context, n int, tag string) {
	for i := range n {
		uri, opts := fmt.Sprintf("com.churn.p%d", ch.rng.IntN(300)), client.RegisterOptions{Invoke: client.InvokeRoundRobin}
		if i%7 == 0 {
			uri, opts = fmt.Sprintf("com.churn.%s.prefix%d.", tag, i), client.RegisterOptions{Match: client.MatchPrefix}
		}
		reg, err := ch.c.Register(ctx, uri, nop, opts)
		if err != nil {
			continue // a clash, or the same procedure twice from one session (refused)
		}
		ch.regs = append(ch.regs, reg)
		if len(ch.regs)%3 == 0 {
			_ = ch.regs[len(ch.regs)-2].Unregister(ctx)
		}
	}
}

// 1,000 registrations across six callee sessions, before, during and after
// the registry's snapshot; unregistrations; two sessions leave with their
// registrations. At the quiet point the registry equals the router.
func TestRegistryFollowsChurn(t *testing.T) {
	r := wamptest.NewRouter(t)
	ctx := wamptest.Context(t)
	m := metaclient.New(r.Local(t))
	const sessions = 5
	churners := make([]*churner, sessions)
	for i := range churners {
		churners[i] = &churner{c: r.Local(t), rng: rand.New(rand.NewPCG(uint64(i), 7))}
	}
	for i, ch := range churners { // 300 before the registry exists
		ch.churn(ctx, 60, fmt.Sprintf("s%d-before", i))
	}
	var wg sync.WaitGroup
	for i, ch := range churners { // 500 concurrently, while the snapshot is read
		wg.Add(1)
		go func() {
			defer wg.Done()
			ch.churn(ctx, 100, fmt.Sprintf("s%d-during", i))
		}()
	}
	reg, err := m.Watch(ctx)
	require.NoError(t, err)
	defer func() { require.NoError(t, reg.Close(context.Background())) }()
	wg.Wait()

	leaving := r.Local(t) // 200 more, then the session leaves with them
	for i := range 200 {
		_, err := leaving.Register(ctx, fmt.Sprintf("com.churn.last%d", i), nop, client.RegisterOptions{})
		require.NoError(t, err)
	}
	require.NoError(t, leaving.Close(ctx))
	require.NoError(t, churners[0].c.Close(ctx)) // and one of the shared callees

	// Quiet point: the registry must equal the router's answers.
	want := routerView(t, m)
	for deadline := time.Now().Add(5 * time.Second); !equalViews(want, reg.Snapshot()); want = routerView(t, m) {
		if time.Now().After(deadline) {
			reportDiff(t, want, reg.Snapshot())
			t.FailNow()
		}
		time.Sleep(50 * time.Millisecond)
	}
	assert.Equal(t, normalize(want), normalize(reg.Snapshot()))
	assert.Greater(t, len(want), 200, "shared procedures collapse, but most survive")
	assert.NoError(t, reg.Err())
}

func reportDiff(t *testing.T, want, got []metaclient.RegistrationInfo) {
	t.Helper()
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
	t.Errorf("registry differs from the router in %d registrations (%d vs %d)", n, len(got), len(want))
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

	h := register(t, a, "com.registry.p", client.RegisterOptions{Match: client.MatchPrefix})
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
				_, _ = c.Register(ctx, fmt.Sprintf("com.crossed.p%d", (i+s)%25), nop, client.RegisterOptions{Invoke: client.InvokeRoundRobin})
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
