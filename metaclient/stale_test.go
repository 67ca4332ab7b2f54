package metaclient_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/wamp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest"
	"github.com/wampkit/wampkit/metaclient"
)

// stepRouter is an in-process router whose meta API a test scripts step by
// step: answer gives the RESULT or ERROR of each CALL (its request ID is
// filled in; send lets it send other messages first), and each message
// put on events is sent as it comes. The lifecycle prefix subscription is
// subscription 9, any other one 10.
type stepRouter struct {
	answer func(call *wamp.Call, send func(wamp.Message)) wamp.Message
	events chan wamp.Message
}

func (s *stepRouter) Attach(p wamp.Peer) error {
	go s.serve(p)
	return nil
}

func (s *stepRouter) serve(p wamp.Peer) {
	defer p.Close()
	send := func(m wamp.Message) { p.Send() <- m }
	for {
		var msg wamp.Message
		select {
		case m, ok := <-p.Recv():
			if !ok {
				return
			}
			msg = m
		case ev := <-s.events:
			send(ev)
			continue
		}
		switch m := msg.(type) {
		case *wamp.Hello:
			send(&wamp.Welcome{ID: 1, Details: wamp.Dict{}})
		case *wamp.Goodbye:
			send(&wamp.Goodbye{Reason: wamp.CloseGoodbyeAndOut, Details: wamp.Dict{}})
			return
		case *wamp.Subscribe:
			sub := wamp.ID(10)
			if m.Topic == "wamp.registration.on_" {
				sub = 9
			}
			send(&wamp.Subscribed{Request: m.Request, Subscription: sub})
		case *wamp.Unsubscribe:
			send(&wamp.Unsubscribed{Request: m.Request})
		case *wamp.Call:
			switch ans := s.answer(m, send).(type) {
			case *wamp.Result:
				ans.Request = m.Request
				send(ans)
			case *wamp.Error:
				ans.Request = m.Request
				send(ans)
			}
		}
	}
}

// connectStep connects a client to s with pattern-based subscriptions and
// no reconnect; the test's end closes it.
func connectStep(t *testing.T, s *stepRouter, opts ...client.Option) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := wamptest.ConnectLocal(ctx, s, append([]client.Option{client.WithoutReconnect(),
		client.WithRouterFeatures("pattern_based_subscription")}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = c.Close(ctx)
	})
	return c
}

// lifecycleEvent is an event of the lifecycle prefix subscription.
func lifecycleEvent(pub wamp.ID, topic string, args ...any) *wamp.Event {
	return &wamp.Event{Subscription: 9, Publication: pub, Details: wamp.Dict{"topic": topic}, Arguments: args}
}

// registration5 is how get describes registration 5.
func registration5() map[string]any {
	return map[string]any{"id": uint64(5), "uri": "com.x", "match": "exact", "invoke": "single"}
}

func callError(uri wamp.URI) *wamp.Error {
	return &wamp.Error{Type: wamp.CALL, Details: wamp.Dict{}, Error: uri}
}

// nextChange returns the registry's next change notification, failing the
// test when none comes within 3 seconds (what the registry does within
// milliseconds here).
func nextChange(t *testing.T, reg *metaclient.Registry, what string) metaclient.Change {
	t.Helper()
	select {
	case c, ok := <-reg.Changes():
		require.True(t, ok, "Changes closed before %s", what)
		return c
	case <-time.After(3 * time.Second):
		t.Fatalf("no %s: the registry is stuck (Err: %v)", what, reg.Err())
		return metaclient.Change{}
	}
}

// A callee's on_register overtakes its registration's on_create, so the
// registry reads the registration again; that read fails once (a transient
// router error). The registry must not stay stale: it rebuilds the view,
// reports the registration as the router has it, and applies later events
// again.
func TestRegistryRecoversFromAFailedRepair(t *testing.T) {
	var created5 atomic.Bool
	var gets atomic.Int32
	s := &stepRouter{events: make(chan wamp.Message, 4)}
	s.answer = func(m *wamp.Call, _ func(wamp.Message)) wamp.Message {
		exists := created5.Load()
		switch m.Procedure {
		case metaclient.ProcList:
			ids := []any{}
			if exists {
				ids = append(ids, uint64(5))
			}
			return result(map[string]any{"exact": ids})
		case metaclient.ProcGet:
			switch {
			case !exists:
				return callError(wamp.ErrNoSuchRegistration)
			case gets.Add(1) == 1:
				return callError("wamp.error.runtime_error") // transient
			default:
				return result(registration5())
			}
		case metaclient.ProcListCallees:
			if !exists {
				return callError(wamp.ErrNoSuchRegistration)
			}
			return result([]any{uint64(77)})
		}
		return callError(wamp.ErrNoSuchProcedure)
	}
	c := connectStep(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	reg, err := metaclient.New(c).Watch(ctx)
	require.NoError(t, err)
	defer func() { assert.NoError(t, reg.Close(ctx)) }()
	require.Equal(t, metaclient.Resynced, nextChange(t, reg, "initial sync").Kind)

	// Session 77 registers com.x as 5; its on_register comes first.
	created5.Store(true)
	s.events <- lifecycleEvent(1, metaclient.TopicOnRegister, uint64(77), uint64(5))
	c1 := nextChange(t, reg, "callee added")
	assert.Equal(t, metaclient.CalleeAdded, c1.Kind)
	assert.Equal(t, client.ID(5), c1.Registration)

	// The repair's get fails; a rebuild reads the router again.
	c2 := nextChange(t, reg, "creation found by the rebuild after the failed repair")
	assert.Equal(t, metaclient.Change{Kind: metaclient.Created, Registration: 5, URI: "com.x", Resync: true}, c2)
	assert.Equal(t, metaclient.Resynced, nextChange(t, reg, "end of the rebuild").Kind)
	assert.GreaterOrEqual(t, gets.Load(), int32(2), "a failed get, then a good one")
	assert.NoError(t, reg.Err())
	info, ok := reg.Get(5)
	require.True(t, ok)
	assert.Equal(t, "com.x", info.URI)
	assert.Equal(t, []client.ID{77}, info.Callees)

	// The view is live again: a new registration's event applies at once.
	s.events <- lifecycleEvent(2, metaclient.TopicOnCreate, uint64(78),
		map[string]any{"id": uint64(6), "uri": "com.y", "match": "exact", "invoke": "single"})
	c3 := nextChange(t, reg, "creation of 6")
	assert.Equal(t, metaclient.Change{Kind: metaclient.Created, Registration: 6, URI: "com.y"}, c3)
	_, ok = reg.Get(6)
	assert.True(t, ok)
}

// Events are lost while Watch takes its first snapshot (dropped at the
// client's event queue bound, behind another subscription's slow handler).
// Watch must not return the half-built view: it reads the realm again and
// returns once the view is live, with the registration the router has, and
// the first notification is the end of that sync.
func TestWatchReturnsALiveViewWhenEventsAreLostDuringTheFirstSync(t *testing.T) {
	inHandler := make(chan struct{}, 1)
	release := make(chan struct{})
	gapSeen := make(chan struct{}, 1)
	var blocker atomic.Pointer[client.Subscription]
	var lists atomic.Int32
	s := &stepRouter{}
	s.answer = func(m *wamp.Call, send func(wamp.Message)) wamp.Message {
		switch m.Procedure {
		case metaclient.ProcList:
			if lists.Add(1) == 1 {
				if err := loseEventsDuringTheList(send, inHandler, release, gapSeen, &blocker); err != nil {
					return err
				}
			}
			return result(map[string]any{"exact": []any{uint64(5)}})
		case metaclient.ProcGet:
			return result(registration5())
		case metaclient.ProcListCallees:
			return result([]any{uint64(77)})
		}
		return callError(wamp.ErrNoSuchProcedure)
	}
	// A queue bound of one byte holds one event behind the one a handler
	// is busy with and drops the next.
	c := connectStep(t, s, client.WithEventQueueBytes(1))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	sub, err := c.Subscribe(ctx, "test.block", func(*client.Event) {
		select {
		case inHandler <- struct{}{}:
		default:
		}
		<-release
	}, client.SubscribeOptions{OnGap: func(client.Gap) {
		select {
		case gapSeen <- struct{}{}:
		default:
		}
	}})
	require.NoError(t, err)
	blocker.Store(sub)

	reg, err := metaclient.New(c).Watch(ctx)
	require.NoError(t, err)
	defer func() { assert.NoError(t, reg.Close(ctx)) }()
	if info, ok := reg.Get(5); assert.True(t, ok, "Watch returned a view without the router's registration") {
		assert.Equal(t, []client.ID{77}, info.Callees)
	}
	assert.Equal(t, int32(2), lists.Load(), "the realm was read again after the loss")
	assert.Equal(t, metaclient.Change{Kind: metaclient.Resynced}, nextChange(t, reg, "initial sync"),
		"the first notification ends the first sync")
}

// loseEventsDuringTheList makes the client drop lifecycle events while the
// first list is answered: it sends an event that blocks the test.block
// handler, two lifecycle events (the first fills the queue, the second is
// dropped) and another test.block event (dropped too, once it is the
// subscription's Gap runs, after the registry's), and returns when that Gap
// ran. It returns an ERROR to answer with when a step does not happen.
func loseEventsDuringTheList(send func(wamp.Message), inHandler chan struct{}, release chan struct{},
	gapSeen chan struct{}, blocker *atomic.Pointer[client.Subscription]) *wamp.Error {
	unblock := sync.OnceFunc(func() { close(release) })
	defer unblock() // also when a step fails: the handler must end
	fail := func(what string) *wamp.Error {
		e := callError("test.script_failed")
		e.Arguments = wamp.List{what}
		return e
	}
	send(&wamp.Event{Subscription: 10, Publication: 1, Details: wamp.Dict{}})
	select {
	case <-inHandler:
	case <-time.After(3 * time.Second):
		return fail("the test.block handler never ran")
	}
	send(lifecycleEvent(2, metaclient.TopicOnCreate, uint64(77), registration5()))
	send(lifecycleEvent(3, metaclient.TopicOnRegister, uint64(77), uint64(5)))
	send(&wamp.Event{Subscription: 10, Publication: 4, Details: wamp.Dict{}})
	for deadline := time.Now().Add(3 * time.Second); blocker.Load().Dropped() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			return fail("the client dropped no event")
		}
	}
	unblock()
	select {
	case <-gapSeen:
		return nil
	case <-time.After(3 * time.Second):
		return fail("the test.block subscription saw no gap")
	}
}
