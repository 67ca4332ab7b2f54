package metaclient_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest"
	"github.com/wampkit/wampkit/metaclient"
)

// lifecycleLog records the lifecycle events per registration, in the
// order the handlers saw them.
type lifecycleLog struct {
	mu  sync.Mutex
	per map[client.ID][]string
	n   int
}

func (l *lifecycleLog) add(id client.ID, kind string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.per == nil {
		l.per = map[client.ID][]string{}
	}
	l.per[id] = append(l.per[id], kind)
	l.n++
}

func (l *lifecycleLog) count() int { l.mu.Lock(); defer l.mu.Unlock(); return l.n }

// The four handlers, each its own subscription, see one session's events
// in the order the router published them: on_create before on_register,
// on_unregister before on_delete (the order the Crossbar docs promise),
// though the on_create and on_unregister handlers are the slow ones. Before
// the client delivered events in order across subscriptions, each
// subscription ran on its own goroutine and on_register overtook on_create.
func TestLifecycleHandlersSeeRouterOrder(t *testing.T) {
	r := wamptest.NewRouter(t)
	ctx := wamptest.Context(t)
	m := metaclient.New(r.Local(t))
	var log lifecycleLog
	_, err := m.OnCreate(ctx, func(e metaclient.CreateEvent) {
		time.Sleep(2 * time.Millisecond)
		log.add(e.Registration.ID, "create")
	})
	require.NoError(t, err)
	_, err = m.OnRegister(ctx, func(e metaclient.RegisterEvent) { log.add(e.RegistrationID, "register") })
	require.NoError(t, err)
	_, err = m.OnUnregister(ctx, func(e metaclient.UnregisterEvent) {
		time.Sleep(2 * time.Millisecond)
		log.add(e.RegistrationID, "unregister")
	})
	require.NoError(t, err)
	_, err = m.OnDelete(ctx, func(e metaclient.DeleteEvent) { log.add(e.RegistrationID, "delete") })
	require.NoError(t, err)

	callee := r.Local(t)
	const n = 20
	for i := range n {
		reg := register(t, callee, fmt.Sprintf("com.order.p%d", i), client.RegisterOptions{})
		require.NoError(t, reg.Unregister(ctx))
	}
	wamptest.Eventually(t, func() bool { return log.count() == 4*n })
	log.mu.Lock()
	defer log.mu.Unlock()
	require.Len(t, log.per, n)
	for id, kinds := range log.per {
		assert.Equal(t, []string{"create", "register", "unregister", "delete"}, kinds, "registration %d", id)
	}
}

// The reference router gives the reason of a remove_callee in its
// on_unregister event (keyword "reason"): OnUnregister, OnEvents and the
// registry's CalleeRemoved change carry it; an ordinary unregister has none.
func TestRevocationReasonInEvents(t *testing.T) {
	r := wamptest.NewRouter(t)
	ctx := wamptest.Context(t)
	watcher := r.Local(t)
	m := metaclient.New(watcher)
	exact := make(chan metaclient.UnregisterEvent, 4)
	_, err := m.OnUnregister(ctx, func(e metaclient.UnregisterEvent) { exact <- e })
	require.NoError(t, err)
	pattern := make(chan metaclient.Event, 16)
	_, err = m.OnEvents(ctx, func(e metaclient.Event) {
		if e.Kind == metaclient.CalleeRemoved {
			pattern <- e
		}
	})
	require.NoError(t, err)
	reg, err := m.Watch(ctx)
	require.NoError(t, err)
	defer func() { require.NoError(t, reg.Close(context.Background())) }()
	<-reg.Changes() // the initial sync

	callee := r.Local(t)
	plain := register(t, callee, "com.reason.plain", client.RegisterOptions{})
	require.NoError(t, plain.Unregister(ctx))
	removed := register(t, callee, "com.reason.removed", client.RegisterOptions{})
	admin := r.Admin(t, wamptest.Transport{Name: "inproc", Kind: "inproc"})
	require.NoError(t, metaclient.New(admin).RemoveCallee(ctx, removed.ID(), callee.ID(), "com.example.maintenance"))

	for _, want := range []struct {
		id     client.ID
		reason string
	}{{plain.ID(), ""}, {removed.ID(), "com.example.maintenance"}} {
		select {
		case e := <-exact:
			assert.Equal(t, metaclient.UnregisterEvent{Session: callee.ID(), RegistrationID: want.id, Reason: want.reason}, e)
		case <-ctx.Done():
			t.Fatal("no on_unregister")
		}
		select {
		case e := <-pattern:
			assert.Equal(t, want.reason, e.Reason, "OnEvents, registration %d", want.id)
		case <-ctx.Done():
			t.Fatal("no on_unregister through OnEvents")
		}
		for c := range reg.Changes() {
			if c.Kind == metaclient.CalleeRemoved {
				assert.Equal(t, want.reason, c.Reason, "registry, registration %d", want.id)
				break
			}
		}
	}
}
