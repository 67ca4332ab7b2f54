package metaclient_test

import (
	"context"
	"errors"
	"fmt"
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

func nop(context.Context, *client.Invocation) (client.Payload, error) { return client.Payload{}, nil }

func register(t *testing.T, c *client.Client, uri string, opts client.RegisterOptions) *client.Registration {
	t.Helper()
	reg, err := c.Register(wamptest.Context(t), uri, nop, opts)
	require.NoError(t, err)
	return reg
}

func TestAllSevenProcedures(t *testing.T) {
	r := wamptest.NewRouter(t)
	for _, tr := range wamptest.Transports()[:4] {
		t.Run(tr.Name, func(t *testing.T) {
			ctx := wamptest.Context(t)
			a, b := r.Connect(t, tr), r.Connect(t, tr)
			admin := metaclient.New(r.Admin(t, tr))
			exact := register(t, a, "com.meta."+tr.Name+".get", client.RegisterOptions{})
			prefix := register(t, a, "com.meta."+tr.Name+".", client.RegisterOptions{Match: client.MatchPrefix})
			shared := register(t, a, "com.meta."+tr.Name+".work", client.RegisterOptions{Invoke: client.InvokeRoundRobin})
			register(t, b, "com.meta."+tr.Name+".work", client.RegisterOptions{Invoke: client.InvokeRoundRobin})

			l, err := admin.List(ctx)
			require.NoError(t, err)
			assert.Contains(t, l.Exact, exact.ID())
			assert.Contains(t, l.Prefix, prefix.ID())
			users, err := admin.UserRegistrations(ctx)
			require.NoError(t, err)
			for _, u := range users {
				assert.False(t, u.IsMeta(), u.URI)
			}

			id, found, err := admin.Lookup(ctx, "com.meta."+tr.Name+".", metaclient.Prefix)
			require.NoError(t, err)
			assert.True(t, found)
			assert.Equal(t, prefix.ID(), id)
			_, found, err = admin.Lookup(ctx, "com.meta.none", metaclient.Exact)
			require.NoError(t, err)
			assert.False(t, found)

			ids, err := admin.Match(ctx, "com.meta."+tr.Name+".other")
			require.NoError(t, err)
			assert.Equal(t, []client.ID{prefix.ID()}, ids)

			reg, err := admin.Get(ctx, shared.ID())
			require.NoError(t, err)
			assert.Equal(t, "com.meta."+tr.Name+".work", reg.URI)
			assert.Equal(t, metaclient.Exact, reg.Match)
			assert.Equal(t, metaclient.RoundRobin, reg.Invoke)
			assert.WithinDuration(t, time.Now(), reg.Created, time.Minute)

			callees, err := admin.ListCallees(ctx, shared.ID())
			require.NoError(t, err)
			assert.Equal(t, []client.ID{a.ID(), b.ID()}, callees)
			n, err := admin.CountCallees(ctx, shared.ID())
			require.NoError(t, err)
			assert.Equal(t, 2, n)

			require.NoError(t, admin.RemoveCallee(ctx, shared.ID(), a.ID(), "wamp.error.maintenance"))
			select {
			case <-shared.Done():
			case <-time.After(time.Second):
				t.Fatal("the callee's registration handle did not end")
			}
			var rev *client.RevokedError
			require.ErrorAs(t, shared.Err(), &rev)
			assert.ErrorIs(t, shared.Err(), client.ErrRevoked)
			assert.Equal(t, "wamp.error.maintenance", rev.Reason)
			n, err = admin.CountCallees(ctx, shared.ID())
			require.NoError(t, err)
			assert.Equal(t, 1, n)

			_, err = admin.Get(ctx, 999999999)
			assert.ErrorIs(t, err, client.ErrNoSuchRegistration)
			err = admin.RemoveCallee(ctx, exact.ID(), 999999999, "")
			assert.ErrorIs(t, err, client.ErrNoSuchSession)
			err = metaclient.New(b).RemoveCallee(ctx, exact.ID(), a.ID(), "")
			assert.ErrorIs(t, err, client.ErrNotAuthorized)
		})
	}
}

// recorder collects lifecycle events in arrival order.
type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) add(s string) {
	r.mu.Lock()
	r.events = append(r.events, s)
	r.mu.Unlock()
}

func (r *recorder) get() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

func TestFourEventsInOrder(t *testing.T) {
	r := wamptest.NewRouter(t)
	ctx := wamptest.Context(t)
	watcher, a := r.Local(t), r.Local(t)
	m := metaclient.New(watcher)
	var mu sync.Mutex
	var rec recorder
	var created metaclient.CreateEvent
	_, err := m.OnCreate(ctx, func(e metaclient.CreateEvent) {
		mu.Lock()
		created = e
		mu.Unlock()
		rec.add("create")
	})
	require.NoError(t, err)
	// Each typed event reports "kind session registration".
	say := func(kind string, s, id client.ID) { rec.add(fmt.Sprintf("%s %d %d", kind, s, id)) }
	_, err = m.OnRegister(ctx, func(e metaclient.RegisterEvent) { say("register", e.Session, e.RegistrationID) })
	require.NoError(t, err)
	_, err = m.OnUnregister(ctx, func(e metaclient.UnregisterEvent) { say("unregister", e.Session, e.RegistrationID) })
	require.NoError(t, err)
	_, err = m.OnDelete(ctx, func(e metaclient.DeleteEvent) { say("delete", e.Session, e.RegistrationID) })
	require.NoError(t, err)

	reg := register(t, a, "com.meta.events", client.RegisterOptions{Invoke: client.InvokeRoundRobin})
	wamptest.Eventually(t, func() bool { return len(rec.get()) == 2 }, "events arrive after REGISTERED")
	// Separate subscriptions run on separate goroutines, so only the set is
	// fixed here; TestOnEventsKeepsPublicationOrder checks the order.
	assert.ElementsMatch(t, []string{"create", fmt.Sprintf("register %d %d", a.ID(), reg.ID())}, rec.get())
	mu.Lock()
	assert.Equal(t, a.ID(), created.Session)
	assert.Equal(t, reg.ID(), created.Registration.ID)
	assert.Equal(t, "com.meta.events", created.Registration.URI)
	assert.Equal(t, metaclient.RoundRobin, created.Registration.Invoke)
	mu.Unlock()
	require.NoError(t, reg.Unregister(ctx))
	wamptest.Eventually(t, func() bool { return len(rec.get()) == 4 })
	assert.ElementsMatch(t, []string{"create", fmt.Sprintf("register %d %d", a.ID(), reg.ID()),
		fmt.Sprintf("unregister %d %d", a.ID(), reg.ID()), fmt.Sprintf("delete %d %d", a.ID(), reg.ID())}, rec.get())
}

func TestOnEventsKeepsPublicationOrder(t *testing.T) {
	r := wamptest.NewRouter(t)
	ctx := wamptest.Context(t)
	// One session's events are published in order; nexus publishes the
	// events of different sessions from different goroutines, so their
	// relative order is not guaranteed (the Registry repairs for that).
	watcher, a := r.Local(t), r.WS(t)
	var rec recorder
	_, err := metaclient.New(watcher).OnEvents(ctx, func(e metaclient.Event) {
		rec.add(e.Kind.String() + ":" + e.Registration.URI)
	})
	require.NoError(t, err)
	for i := range 20 {
		ra := register(t, a, "com.meta.order", client.RegisterOptions{Invoke: client.InvokeFirst})
		rb := register(t, a, "com.meta.order2", client.RegisterOptions{Invoke: client.InvokeFirst})
		require.NoError(t, ra.Unregister(ctx))
		require.NoError(t, rb.Unregister(ctx))
		want := (i + 1) * 8
		wamptest.Eventually(t, func() bool { return len(rec.get()) == want })
	}
	ev := rec.get()
	for i := 0; i < len(ev); i += 8 {
		assert.Equal(t, []string{"created:com.meta.order", "callee-added:", "created:com.meta.order2", "callee-added:",
			"callee-removed:", "deleted:", "callee-removed:", "deleted:"}, ev[i:i+8])
	}
}

func TestMalformedEventReported(t *testing.T) {
	errs := make(chan error, 1)
	malformedEventReported(t, errs, metaclient.WithErrorHandler(func(err error) { errs <- err }))
}

// A nil option is skipped (the one rule of wampkit's options): the error
// handler given between nil options is the one called.
func TestNilOptionIsSkipped(t *testing.T) {
	errs := make(chan error, 1)
	var none metaclient.Option
	malformedEventReported(t, errs, none, metaclient.WithErrorHandler(func(err error) { errs <- err }), nil)
}

func malformedEventReported(t *testing.T, errs <-chan error, opts ...metaclient.Option) {
	r := wamptest.NewRouter(t)
	ctx := wamptest.Context(t)
	watcher, pub := r.Local(t), r.Admin(t, wamptest.Transports()[0])
	m := metaclient.New(watcher, opts...)
	called := false
	_, err := m.OnRegister(ctx, func(metaclient.RegisterEvent) { called = true })
	require.NoError(t, err)
	// A session may not publish to wamp.* on most routers; if this one
	// refuses, there is nothing malformed to see.
	_, err = pub.Publish(ctx, metaclient.TopicOnRegister, client.Payload{Args: []any{"not-an-id"}}, client.PublishOptions{Acknowledge: true})
	if err != nil {
		t.Skipf("router refuses publishing to meta topics: %v", err)
	}
	select {
	case err := <-errs:
		assert.ErrorContains(t, err, "malformed")
	case <-time.After(2 * time.Second):
		t.Fatal("malformed event not reported")
	}
	assert.False(t, called)
}

var _ = errors.New
