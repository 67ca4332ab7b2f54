package metaclient_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/router"
	"github.com/wampkit/wampkit/internal/wamptest"
	"github.com/wampkit/wampkit/metaclient"
)

// changeLog is what a watcher builds from Registry.Changes alone: the view
// of the first Resynced notification, then every change applied in order.
type changeLog struct {
	mu      sync.Mutex
	regs    map[client.ID]*logReg
	all     []metaclient.Change
	started bool
	done    chan struct{}
}

type logReg struct {
	uri     string
	callees []client.ID
}

// follow consumes reg's Changes until they close; the first Resynced
// takes the registry's snapshot as the starting view. It returns once it
// has: the caller changes nothing before (else the snapshot could already
// hold changes notified after the Resynced).
func follow(t *testing.T, reg *metaclient.Registry) *changeLog {
	l := &changeLog{regs: map[client.ID]*logReg{}, done: make(chan struct{})}
	go func() {
		defer close(l.done)
		for c := range reg.Changes() {
			l.mu.Lock()
			if !l.started {
				if c.Kind == metaclient.Resynced {
					l.started = true
					for _, info := range reg.Snapshot() {
						l.regs[info.ID] = &logReg{uri: info.URI, callees: slices.Clone(info.Callees)}
					}
				}
				l.mu.Unlock()
				continue
			}
			l.all = append(l.all, c)
			l.apply(t, c)
			l.mu.Unlock()
		}
	}()
	t.Cleanup(func() { // bounded: a failed test must not hang here
		select {
		case <-l.done:
		case <-time.After(10 * time.Second):
			t.Error("the registry's Changes never ended")
		}
	})
	deadline := time.Now().Add(5 * time.Second)
	for {
		l.mu.Lock()
		started := l.started
		l.mu.Unlock()
		if started {
			return l
		}
		if time.Now().After(deadline) {
			t.Fatal("no initial Resynced notification")
		}
		time.Sleep(time.Millisecond)
	}
}

func (l *changeLog) apply(t *testing.T, c metaclient.Change) {
	info := l.regs[c.Registration]
	switch c.Kind {
	case metaclient.Created:
		if info == nil {
			l.regs[c.Registration] = &logReg{uri: c.URI}
		} else {
			info.uri = c.URI // its on_register came first
		}
	case metaclient.CalleeAdded:
		if info == nil {
			info = &logReg{}
			l.regs[c.Registration] = info
		}
		info.callees = append(info.callees, c.Session)
	case metaclient.CalleeRemoved:
		if info != nil {
			if i := slices.Index(info.callees, c.Session); i >= 0 {
				info.callees = slices.Delete(info.callees, i, i+1)
			}
		}
	case metaclient.Deleted:
		delete(l.regs, c.Registration)
	}
}

// agrees reports whether the log's view equals want (callee order aside:
// the log cannot know the order a repair corrects).
func (l *changeLog) agrees(want []metaclient.RegistrationInfo) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.started || len(want) != len(l.regs) {
		return false
	}
	for _, w := range want {
		g := l.regs[w.ID]
		if g == nil || g.uri != w.URI || !slices.Equal(sorted(g.callees), sorted(w.Callees)) {
			return false
		}
	}
	return true
}

func (l *changeLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b strings.Builder
	for _, id := range slices.Sorted(maps.Keys(l.regs)) {
		fmt.Fprintf(&b, "%d %s %v\n", id, l.regs[id].uri, l.regs[id].callees)
	}
	return b.String()
}

// changes returns the changes after the starting view that match f.
func (l *changeLog) changes(f func(metaclient.Change) bool) []metaclient.Change {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []metaclient.Change
	for _, c := range l.all {
		if f(c) {
			out = append(out, c)
		}
	}
	return out
}

func sorted(ids []client.ID) []client.ID { return slices.Sorted(slices.Values(ids)) }

// waitAgree waits until the router's view, the registry's and the log's
// are all equal.
func waitAgree(t *testing.T, ctx context.Context, m *metaclient.Client, reg *metaclient.Registry, l *changeLog) {
	t.Helper()
	var want []metaclient.RegistrationInfo
	deadline := time.Now().Add(8 * time.Second)
	for {
		var err error
		want, err = tryRouterView(ctx, m)
		if err == nil && equalViews(want, reg.Snapshot()) && l.agrees(want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("views disagree:\nrouter   %v\nregistry %v\nlog\n%s", want, reg.Snapshot(), l)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A router restart in the middle of a watch: every registration of the old
// router goes, callees that come back register anew, one that does not
// come back is gone. After the rejoin the registry reports each of these
// as changes (Resync set), then Resynced, and the log of changes, the
// registry and the router agree; then it is live again.
func TestRegistryLogAgreesAcrossRouterRestart(t *testing.T) {
	r := wamptest.NewRestartable(t, router.Config{})
	ctx := wamptest.Context(t)
	connect := func(opts ...client.Option) *client.Client {
		c, err := client.Connect(ctx, r.WebsocketURL(), opts...)
		require.NoError(t, err)
		t.Cleanup(func() { _ = c.Close(context.Background()) })
		return c
	}
	watcher := connect(client.WithReconnect(wamptest.FastBackoff))
	stay := connect(client.WithReconnect(wamptest.FastBackoff))
	gone := connect(client.WithoutReconnect())
	m := metaclient.New(watcher)
	reg, err := m.Watch(ctx)
	require.NoError(t, err)
	log := follow(t, reg)
	defer func() { require.NoError(t, reg.Close(context.Background())) }()

	shared := client.RegisterOptions{Invoke: client.InvokeRoundRobin}
	register(t, stay, "com.restart.stay", client.RegisterOptions{})
	register(t, stay, "com.restart.shared", shared)
	goneReg := register(t, gone, "com.restart.gone", client.RegisterOptions{})
	register(t, gone, "com.restart.shared", shared)
	waitAgree(t, ctx, m, reg, log)
	before := len(log.changes(func(metaclient.Change) bool { return true }))

	r.Stop()
	require.NoError(t, watcher.WaitState(ctx, client.Reconnecting))
	r.Start()
	require.NoError(t, watcher.WaitState(ctx, client.Connected))
	require.NoError(t, stay.WaitState(ctx, client.Connected))
	waitAgree(t, ctx, m, reg, log)

	// The old router may publish some of its sessions' departures before
	// it cuts the watcher, and the callee that comes back may register
	// before or after the watcher's rebuild: each change is in the log
	// either live or found by the rebuild (Resync), never lost.
	after := log.changes(func(metaclient.Change) bool { return true })[before:]
	strip := func(cs []metaclient.Change) []metaclient.Change {
		out := make([]metaclient.Change, len(cs))
		for i, c := range cs {
			c.Resync = false
			out[i] = c
		}
		return out
	}
	assert.Contains(t, strip(after), metaclient.Change{Kind: metaclient.Deleted, Registration: goneReg.ID(),
		URI: "com.restart.gone"}, "the registration of the callee that did not come back")
	assert.Contains(t, strip(after), metaclient.Change{Kind: metaclient.CalleeRemoved, Registration: goneReg.ID(),
		URI: "com.restart.gone", Session: goneSession(t, log, goneReg.ID())})
	info, ok := reg.Lookup("com.restart.stay", metaclient.Exact)
	require.True(t, ok)
	assert.Contains(t, strip(after), metaclient.Change{Kind: metaclient.CalleeAdded, Registration: info.ID, URI: "com.restart.stay",
		Session: stay.ID()}, "the callee's registration on the new router")
	assert.Equal(t, metaclient.Resynced, lastKind(after, metaclient.Resynced), "the rejoin rebuilt the view")

	late := register(t, stay, "com.restart.late", client.RegisterOptions{})
	wamptest.Eventually(t, func() bool { _, ok := reg.Get(late.ID()); return ok }, "live again")
	waitAgree(t, ctx, m, reg, log)
}

// goneSession finds the callee the log had for id before it was removed.
func goneSession(t *testing.T, l *changeLog, id client.ID) client.ID {
	for _, c := range l.changes(func(c metaclient.Change) bool {
		return c.Registration == id && c.Kind == metaclient.CalleeAdded
	}) {
		return c.Session
	}
	t.Fatalf("no callee was ever added to %d", id)
	return 0
}

func lastKind(cs []metaclient.Change, want metaclient.ChangeKind) metaclient.ChangeKind {
	for _, c := range slices.Backward(cs) {
		if c.Kind == want {
			return c.Kind
		}
	}
	return -1
}

// The watcher's connection drops; registrations come and go meanwhile. The
// rebuild after the reconnect reports exactly those as changes.
func TestRegistryReportsChangesMissedDuringReconnect(t *testing.T) {
	r := wamptest.NewRouter(t)
	ctx := wamptest.Context(t)
	proxy := wamptest.NewProxy(t, r.WebsocketURL())
	watcher, err := client.Connect(ctx, proxy.WebsocketURL(), client.WithReconnect(wamptest.FastBackoff))
	require.NoError(t, err)
	t.Cleanup(func() { wamptest.Close(t, watcher) })
	m := metaclient.New(watcher)
	reg, err := m.Watch(ctx)
	require.NoError(t, err)
	log := follow(t, reg)
	defer func() { require.NoError(t, reg.Close(context.Background())) }()
	callee := r.Local(t)
	gone := register(t, callee, "com.missed.gone", client.RegisterOptions{})
	waitAgree(t, ctx, m, reg, log)

	proxy.Pause()
	proxy.DropAll()
	require.NoError(t, watcher.WaitState(ctx, client.Reconnecting))
	require.NoError(t, gone.Unregister(ctx))
	var added []*client.Registration
	for i := range 5 {
		added = append(added, register(t, callee, fmt.Sprintf("com.missed.p%d", i), client.RegisterOptions{}))
	}
	proxy.Resume()
	require.NoError(t, watcher.WaitState(ctx, client.Connected))
	waitAgree(t, ctx, m, reg, log)

	var want []metaclient.Change
	want = append(want,
		metaclient.Change{Kind: metaclient.CalleeRemoved, Registration: gone.ID(), URI: "com.missed.gone", Session: callee.ID(), Resync: true},
		metaclient.Change{Kind: metaclient.Deleted, Registration: gone.ID(), URI: "com.missed.gone", Resync: true})
	for i, a := range added {
		uri := fmt.Sprintf("com.missed.p%d", i)
		want = append(want,
			metaclient.Change{Kind: metaclient.Created, Registration: a.ID(), URI: uri, Resync: true},
			metaclient.Change{Kind: metaclient.CalleeAdded, Registration: a.ID(), URI: uri, Session: callee.ID(), Resync: true})
	}
	assert.Equal(t, want, log.changes(func(c metaclient.Change) bool { return c.Resync }))
}

// Lifecycle events dropped at the watcher's event queue bound (another
// subscription's handler is stuck) leave a gap; the registry rebuilds
// itself once the queue moves again, and the views agree.
func TestRegistryRebuildsAfterDroppedEvents(t *testing.T) {
	r := wamptest.NewRouter(t)
	ctx := wamptest.Context(t)
	watcher := r.Local(t, client.WithEventQueueBytes(2048))
	m := metaclient.New(watcher)
	reg, err := m.Watch(ctx)
	require.NoError(t, err)
	log := follow(t, reg)
	defer func() { require.NoError(t, reg.Close(context.Background())) }()
	release := make(chan struct{})
	stuck := make(chan struct{}, 1)
	blocker, err := watcher.Subscribe(ctx, "test.block", func(*client.Event) {
		stuck <- struct{}{}
		<-release
	}, client.SubscribeOptions{})
	require.NoError(t, err)
	pub := r.Local(t)
	_, err = pub.Publish(ctx, "test.block", client.Payload{}, client.PublishOptions{Acknowledge: true})
	require.NoError(t, err)
	<-stuck
	callee := r.Local(t)
	for i := range 30 {
		register(t, callee, fmt.Sprintf("com.dropped.p%d", i), client.RegisterOptions{})
	}
	_, err = pub.Publish(ctx, "test.block", client.Payload{}, client.PublishOptions{Acknowledge: true})
	require.NoError(t, err) // behind the meta events: once it is dropped too, they all were seen
	wamptest.Eventually(t, func() bool { return blocker.Dropped() > 0 }, "the queue overflowed")
	close(release)
	waitAgree(t, ctx, m, reg, log)
	assert.NotEmpty(t, log.changes(func(c metaclient.Change) bool { return c.Kind == metaclient.Resynced }),
		"a rebuild after the drop")
}

// Two registries and an OnEvents handler on one client share one router
// subscription: all see every change; a reconnect keeps all of them
// (both registries rebuild and agree with the router); closing one
// registry leaves the others live.
func TestSeveralWatchersOnOneClient(t *testing.T) {
	r := wamptest.NewRouter(t)
	ctx := wamptest.Context(t)
	proxy := wamptest.NewProxy(t, r.WebsocketURL())
	watcher, err := client.Connect(ctx, proxy.WebsocketURL(), client.WithReconnect(wamptest.FastBackoff))
	require.NoError(t, err)
	t.Cleanup(func() { wamptest.Close(t, watcher) })
	m1, m2 := metaclient.New(watcher), metaclient.New(watcher)
	reg1, err := m1.Watch(ctx)
	require.NoError(t, err)
	log1 := follow(t, reg1)
	reg2, err := m2.Watch(ctx)
	require.NoError(t, err)
	log2 := follow(t, reg2)
	defer func() { require.NoError(t, reg2.Close(context.Background())) }()
	var seen sync.Map
	events, err := metaclient.New(watcher).OnEvents(ctx, func(e metaclient.Event) { seen.Store(e.Registration.ID, e.Kind) })
	require.NoError(t, err)

	callee := r.Local(t)
	a := register(t, callee, "com.several.a", client.RegisterOptions{})
	waitAgree(t, ctx, m1, reg1, log1)
	waitAgree(t, ctx, m2, reg2, log2)
	wamptest.Eventually(t, func() bool { _, ok := seen.Load(a.ID()); return ok })

	// The watcher may be back before a WaitState(Reconnecting) would
	// start: wait for its new session instead.
	before := watcher.ID()
	proxy.DropAll()
	wamptest.Eventually(t, func() bool { return watcher.ID() != before && watcher.State() == client.Connected },
		"the watcher rejoins after the drop")
	b := register(t, callee, "com.several.b", client.RegisterOptions{})
	waitAgree(t, ctx, m1, reg1, log1)
	waitAgree(t, ctx, m2, reg2, log2)
	wamptest.Eventually(t, func() bool { _, ok := seen.Load(b.ID()); return ok }, "OnEvents after the reconnect")

	require.NoError(t, reg1.Close(ctx))
	c := register(t, callee, "com.several.c", client.RegisterOptions{})
	wamptest.Eventually(t, func() bool { _, ok := reg2.Get(c.ID()); return ok }, "the other registry is still live")
	wamptest.Eventually(t, func() bool { _, ok := seen.Load(c.ID()); return ok }, "OnEvents is still live")
	select {
	case <-events.Done():
		t.Fatal("closing a registry ended another metaclient's subscription")
	default:
	}
}

// A rebuild that finds more changes than a channel buffer holds (600
// registrations made while away: 1,200 notifications in one burst) loses
// none: the log still agrees with the router.
func TestRegistryLargeRebuildLosesNoNotification(t *testing.T) {
	r := wamptest.NewRouter(t)
	ctx := wamptest.Context(t)
	proxy := wamptest.NewProxy(t, r.WebsocketURL())
	watcher, err := client.Connect(ctx, proxy.WebsocketURL(), client.WithReconnect(wamptest.FastBackoff))
	require.NoError(t, err)
	t.Cleanup(func() { wamptest.Close(t, watcher) })
	m := metaclient.New(watcher)
	reg, err := m.Watch(ctx)
	require.NoError(t, err)
	log := follow(t, reg)
	defer func() { require.NoError(t, reg.Close(context.Background())) }()

	proxy.Pause()
	proxy.DropAll()
	require.NoError(t, watcher.WaitState(ctx, client.Reconnecting))
	callee := r.Local(t)
	for i := range 600 {
		register(t, callee, fmt.Sprintf("com.large.p%d", i), client.RegisterOptions{})
	}
	proxy.Resume()
	waitAgree(t, ctx, m, reg, log)
	assert.Zero(t, reg.Dropped())
	assert.Len(t, log.changes(func(c metaclient.Change) bool { return c.Resync }), 1200)
}
