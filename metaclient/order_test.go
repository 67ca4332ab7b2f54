package metaclient_test

import (
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
		reg := register(t, callee, fmt.Sprintf("com.order.p%d", i), nil)
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
