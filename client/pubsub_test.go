package client_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/wamp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest"
	"github.com/wampkit/wampkit/internal/wamptest/hostile"
)

// seqLog records what handlers saw, from any goroutine.
type seqLog struct {
	mu  sync.Mutex
	got []string
}

func (l *seqLog) add(s string) { l.mu.Lock(); l.got = append(l.got, s); l.mu.Unlock() }

func (l *seqLog) snapshot() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.got...)
}

func (l *seqLog) len() int { l.mu.Lock(); defer l.mu.Unlock(); return len(l.got) }

// publishSeq publishes n events alternating over topics, args [i].
func publishSeq(t *testing.T, pub *client.Client, n int, topics ...string) {
	t.Helper()
	ctx := ctxT(t)
	for i := range n {
		_, err := pub.Publish(ctx, topics[i%len(topics)], client.Payload{Args: []any{i}}, client.PublishOptions{})
		require.NoError(t, err)
	}
}

func argInt(ev *client.Event) int {
	n, _ := toInt(ev.Args[0])
	return int(n)
}

// The spec's ordering guarantee: a subscriber to two topics receives one
// publisher's events in the order published, across its subscriptions,
// though one handler is slower than the other. (Before the client's
// ordered delivery, each subscription had its own goroutine and the fast
// one ran ahead.)
func TestEventsKeepRouterOrderAcrossSubscriptions(t *testing.T) {
	leakCheck(t)
	r := wamptest.NewRouter(t)
	sub, pub := r.Local(t), r.Local(t)
	ctx := ctxT(t)
	var log seqLog
	const n = 200
	_, err := sub.Subscribe(ctx, "test.order.a", func(ev *client.Event) {
		if argInt(ev)%10 == 0 {
			time.Sleep(time.Millisecond) // the slow one
		}
		log.add(fmt.Sprint(argInt(ev)))
	}, client.SubscribeOptions{})
	require.NoError(t, err)
	_, err = sub.Subscribe(ctx, "test.order.b", func(ev *client.Event) { log.add(fmt.Sprint(argInt(ev))) }, client.SubscribeOptions{})
	require.NoError(t, err)
	publishSeq(t, pub, n, "test.order.a", "test.order.b")
	wamptest.Eventually(t, func() bool { return log.len() == n })
	want := make([]string, n)
	for i := range want {
		want[i] = fmt.Sprint(i)
	}
	assert.Equal(t, want, log.snapshot())
}

// A ConcurrentDelivery subscription neither waits for a blocked ordered
// handler nor blocks the ordered ones; call results get through all along.
func TestConcurrentDeliveryIsIndependent(t *testing.T) {
	leakCheck(t)
	r := wamptest.NewRouter(t)
	sub, pub := r.Local(t), r.Local(t)
	ctx := ctxT(t)
	release := make(chan struct{})
	defer close(release)
	var blockedOnce sync.Once
	blocked := make(chan struct{})
	_, err := sub.Subscribe(ctx, "test.blocked", func(*client.Event) {
		blockedOnce.Do(func() { close(blocked) })
		<-release
	}, client.SubscribeOptions{})
	require.NoError(t, err)
	free := make(chan int, 10)
	_, err = sub.Subscribe(ctx, "test.free", func(ev *client.Event) { free <- argInt(ev) }, client.SubscribeOptions{ConcurrentDelivery: true})
	require.NoError(t, err)

	publishSeq(t, pub, 1, "test.blocked")
	<-blocked // the ordered delivery is stuck in a handler
	publishSeq(t, pub, 4, "test.free")
	for i := range 4 {
		select {
		case got := <-free:
			assert.Equal(t, i, got, "in order within the subscription")
		case <-ctx.Done():
			t.Fatal("a ConcurrentDelivery subscription waited for a blocked ordered handler")
		}
	}
	_, err = pub.Register(ctx, "test.echo", echoHandler, client.RegisterOptions{})
	require.NoError(t, err)
	_, err = sub.Call(ctx, client.CallRequest{Procedure: "test.echo", Payload: client.Payload{Args: []any{1}}}, nil)
	require.NoError(t, err, "call results do not wait for event handlers")
	_, err = sub.Register(ctx, "test.echo.sub", echoHandler, client.RegisterOptions{})
	require.NoError(t, err)
	_, err = pub.Call(ctx, client.CallRequest{Procedure: "test.echo.sub", Payload: client.Payload{Args: []any{1}}}, nil)
	require.NoError(t, err, "invocations do not wait for event handlers")
}

// Two handles on one topic: both receive every event, under the one
// subscription ID the router gives both; ending one leaves the other (its
// Done closes, the other's does not); the router subscription ends with
// the last handle.
func TestOneTopicSubscribedTwice(t *testing.T) {
	leakCheck(t)
	r := wamptest.NewRouter(t)
	sub, pub := r.Local(t), r.Local(t)
	ctx := ctxT(t)
	var first, second seqLog
	h1, err := sub.Subscribe(ctx, "test.twice", func(ev *client.Event) { first.add(fmt.Sprint(argInt(ev))) }, client.SubscribeOptions{})
	require.NoError(t, err)
	h2, err := sub.Subscribe(ctx, "test.twice", func(ev *client.Event) { second.add(fmt.Sprint(argInt(ev))) }, client.SubscribeOptions{})
	require.NoError(t, err)
	assert.Equal(t, h1.ID(), h2.ID(), "one router subscription")

	publishSeq(t, pub, 3, "test.twice")
	wamptest.Eventually(t, func() bool { return first.len() == 3 && second.len() == 3 })
	assert.Equal(t, []string{"0", "1", "2"}, first.snapshot())
	assert.Equal(t, []string{"0", "1", "2"}, second.snapshot())

	require.NoError(t, h1.Unsubscribe(ctx))
	select {
	case <-h1.Done():
	default:
		t.Fatal("the ended handle's Done is not closed")
	}
	select {
	case <-h2.Done():
		t.Fatal("ending one handle ended the other")
	default:
	}
	assert.True(t, routerHasSubscriber(t, pub, "test.twice", sub.ID()), "the router still serves the other handle")
	publishSeq(t, pub, 2, "test.twice")
	wamptest.Eventually(t, func() bool { return second.len() == 5 })
	assert.Equal(t, 3, first.len(), "nothing after Unsubscribe")

	require.NoError(t, h2.Unsubscribe(ctx))
	assert.False(t, routerHasSubscriber(t, pub, "test.twice", sub.ID()), "UNSUBSCRIBE went with the last handle")
}

// Two handles on one topic each get an event of their own: a handler may
// modify its event's Args, Kwargs and Details (nested values included)
// without racing with the other handle's handler, on the client's ordered
// delivery or its own, and without its changes showing in the other's
// event.
func TestHandlesOnOneTopicGetEventsOfTheirOwn(t *testing.T) {
	leakCheck(t)
	r := wamptest.NewRouter(t)
	sub, pub := r.Local(t), r.Local(t)
	ctx := ctxT(t)
	const events = 200
	var (
		n      atomic.Int64
		mu     sync.Mutex
		shared = map[string]bool{} // what a handler saw of another's changes
	)
	h := func(who string) client.EventHandler {
		return func(ev *client.Event) {
			nested := ev.Kwargs["nested"].(map[string]any)
			list := ev.Args[1].([]any)
			for what, v := range map[string]any{"Args[0]": ev.Args[0], "Args[1][0]": list[0],
				"Kwargs": ev.Kwargs["seen_by"], "nested": nested["seen_by"], "Details": ev.Details["seen_by"]} {
				if s, ok := v.(string); ok {
					mu.Lock()
					shared[fmt.Sprintf("%s saw %s's change of %s", who, s, what)] = true
					mu.Unlock()
				}
			}
			ev.Args[0], list[0] = who, who
			ev.Kwargs["seen_by"], nested["seen_by"], ev.Details["seen_by"] = who, who, who
			n.Add(1)
		}
	}
	_, err := sub.Subscribe(ctx, "test.own", h("first"), client.SubscribeOptions{})
	require.NoError(t, err)
	_, err = sub.Subscribe(ctx, "test.own", h("second"), client.SubscribeOptions{})
	require.NoError(t, err)
	_, err = sub.Subscribe(ctx, "test.own", h("concurrent"), client.SubscribeOptions{ConcurrentDelivery: true})
	require.NoError(t, err)
	for i := range events {
		_, err := pub.Publish(ctx, "test.own", client.Payload{Args: []any{i, []any{i}},
			Kwargs: map[string]any{"i": i, "nested": map[string]any{"i": i}}}, client.PublishOptions{})
		require.NoError(t, err)
	}
	wamptest.Eventually(t, func() bool { return n.Load() == 3*events })
	mu.Lock()
	defer mu.Unlock()
	assert.Empty(t, shared)
}

// A subscription ended by Unsubscribe is no longer charged for events that
// arrive while its UNSUBSCRIBE waits its turn (behind a SUBSCRIBE the
// router has not answered): they would only take the event queue's room
// from live subscriptions, whose events would be dropped. A scripted
// router orders the messages exactly: a large event for the ended handle
// comes between two small ones for a live handle whose handler is busy.
func TestEndedSubscriptionTakesNoRoomInTheEventQueue(t *testing.T) {
	const liveID, endedID = 1, 2
	pending, ended := make(chan struct{}), make(chan struct{})
	busy, gate := make(chan struct{}), make(chan struct{})
	r := hostile.New(t, func(c *hostile.Conn) {
		c.Welcome(nil)
		for _, id := range []wamp.ID{liveID, endedID} {
			sub := c.Expect(wamp.SUBSCRIBE).(*wamp.Subscribe)
			c.Send(&wamp.Subscribed{Request: sub.Request, Subscription: id})
		}
		other := c.Expect(wamp.SUBSCRIBE).(*wamp.Subscribe) // holds the UNSUBSCRIBE back
		close(pending)
		<-ended
		c.Send(&wamp.Event{Subscription: liveID, Publication: 1, Details: wamp.Dict{}})
		<-busy // the queue is empty, its handler holds publication 1
		c.Send(&wamp.Event{Subscription: endedID, Publication: 2, Details: wamp.Dict{},
			Arguments: wamp.List{strings.Repeat("x", 1000)}})
		c.Send(&wamp.Event{Subscription: liveID, Publication: 3, Details: wamp.Dict{}})
		// The client's call returns after its read loop queued the events.
		call := c.Expect(wamp.CALL).(*wamp.Call)
		c.Send(&wamp.Result{Request: call.Request, Details: wamp.Dict{}})
		c.Send(&wamp.Subscribed{Request: other.Request, Subscription: 3})
		c.Serve(nil)
	})
	c := dial(t, r.URL(), client.WithEventQueueBytes(200))
	ctx := ctxT(t)
	var live seqLog
	liveSub, err := c.Subscribe(ctx, "test.live", func(ev *client.Event) {
		if ev.Publication == 1 {
			close(busy)
			<-gate
		}
		live.add(fmt.Sprint(ev.Publication))
	}, client.SubscribeOptions{})
	require.NoError(t, err)
	endedSub, err := c.Subscribe(ctx, "test.ended", func(*client.Event) {
		t.Error("the ended subscription's handler ran")
	}, client.SubscribeOptions{})
	require.NoError(t, err)
	otherErr := make(chan error, 1)
	go func() {
		_, err := c.Subscribe(ctx, "test.other", func(*client.Event) {}, client.SubscribeOptions{})
		otherErr <- err
	}()
	<-pending
	unsubErr := make(chan error, 1)
	go func() { unsubErr <- endedSub.Unsubscribe(ctx) }()
	<-endedSub.Done() // ended; its UNSUBSCRIBE waits for the SUBSCRIBE in flight
	close(ended)
	_, err = c.Call(ctx, client.CallRequest{Procedure: "test.sync"}, nil)
	require.NoError(t, err)
	dropped := liveSub.Dropped() // counted as the events were queued
	close(gate)
	require.Zero(t, dropped, "the live subscription lost an event to the ended one")
	wamptest.Eventually(t, func() bool { return live.len() == 2 })
	assert.Equal(t, []string{"1", "3"}, live.snapshot())
	require.NoError(t, <-unsubErr)
	require.NoError(t, <-otherErr)
}

// routerHasSubscriber asks the router's subscription meta API whether
// session subscribes to topic (exact match).
func routerHasSubscriber(t *testing.T, c *client.Client, topic string, session client.ID) bool {
	t.Helper()
	ctx := ctxT(t)
	res, err := c.Call(ctx, client.CallRequest{Procedure: "wamp.subscription.lookup", Payload: client.Payload{Args: []any{topic}}}, nil)
	require.NoError(t, err)
	if len(res.Args) == 0 || res.Args[0] == nil {
		return false
	}
	id, _ := wamp.AsID(res.Args[0])
	if id == 0 {
		return false
	}
	res, err = c.Call(ctx, client.CallRequest{Procedure: "wamp.subscription.list_subscribers", Payload: client.Payload{Args: []any{id}}}, nil)
	if err != nil {
		return false // the subscription ended between the two calls
	}
	list, _ := wamp.AsList(res.Args[0])
	for _, s := range list {
		if n, _ := wamp.AsID(s); client.ID(n) == session {
			return true
		}
	}
	return false
}

// After a reconnect every handle keeps receiving, each marked with a
// Resubscribed gap before the new session's first event, and the router
// subscription of the shared topic was restored with one SUBSCRIBE.
func TestReconnectRestoresSharedSubscriptionOnce(t *testing.T) {
	leakCheck(t)
	r := wamptest.NewRouter(t)
	f := wamptest.NewFaulty(t, r)
	ctx := ctxT(t)
	c, err := wamptest.ConnectLocal(ctx, f, client.WithReconnect(wamptest.FastBackoff))
	require.NoError(t, err)
	t.Cleanup(func() { closeClient(t, c) })
	pub := r.Local(t)
	var logs [3]seqLog
	for i, topic := range []string{"test.shared", "test.shared", "test.other"} {
		_, err := c.Subscribe(ctx, topic, func(ev *client.Event) { logs[i].add(fmt.Sprint(argInt(ev))) },
			client.SubscribeOptions{OnGap: func(g client.Gap) { logs[i].add(fmt.Sprintf("gap resubscribed=%v", g.Resubscribed)) }})
		require.NoError(t, err)
	}
	var subscribed atomic.Int32
	f.SetFault(func(m wamp.Message) (bool, time.Duration) {
		if m.MessageType() == wamp.SUBSCRIBED {
			subscribed.Add(1)
		}
		return false, 0
	})
	f.DropAll()
	require.NoError(t, c.WaitState(ctx, client.Reconnecting))
	require.NoError(t, c.WaitState(ctx, client.Connected))
	assert.Equal(t, int32(2), subscribed.Load(), "one SUBSCRIBE per router subscription")
	publishSeq(t, pub, 2, "test.shared", "test.other")
	wamptest.Eventually(t, func() bool { return logs[0].len() == 2 && logs[1].len() == 2 && logs[2].len() == 2 })
	for i, want := range [][]string{{"gap resubscribed=true", "0"}, {"gap resubscribed=true", "0"}, {"gap resubscribed=true", "1"}} {
		assert.Equal(t, want, logs[i].snapshot(), "handle %d", i)
	}
}

// At the queue's byte bound new events are dropped, nats-style: each is
// counted on its subscription, OnGap reports them in the event order, and
// what is delivered stays in order.
func TestEventQueueBoundDropsAndCounts(t *testing.T) {
	leakCheck(t)
	r := wamptest.NewRouter(t)
	var logs wamptest.Buffer
	sub := r.Local(t, client.WithEventQueueBytes(4096), client.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	pub := r.Local(t)
	ctx := ctxT(t)
	release := make(chan struct{})
	var log seqLog
	var gaps atomic.Uint64
	h, err := sub.Subscribe(ctx, "test.bound", func(ev *client.Event) {
		<-release
		log.add(fmt.Sprint(argInt(ev)))
	}, client.SubscribeOptions{OnGap: func(g client.Gap) {
		gaps.Add(g.Dropped)
		log.add("gap")
	}})
	require.NoError(t, err)
	const n = 100
	pad := strings.Repeat("x", 200)
	for i := range n {
		_, err := pub.Publish(ctx, "test.bound", client.Payload{Args: []any{i, pad}}, client.PublishOptions{Acknowledge: true})
		require.NoError(t, err)
	}
	// The last event reached the client once a marker event behind it did.
	_, err = sub.Subscribe(ctx, "test.bound.probe", func(*client.Event) {}, client.SubscribeOptions{ConcurrentDelivery: true})
	require.NoError(t, err)
	wamptest.Eventually(t, func() bool { return h.Dropped() > 0 })
	close(release)
	countEvents := func() int {
		n := 0
		for _, s := range log.snapshot() {
			if s != "gap" {
				n++
			}
		}
		return n
	}
	wamptest.Eventually(t, func() bool {
		return countEvents()+int(h.Dropped()) == n && gaps.Load() == h.Dropped()
	}, "every event delivered or counted as dropped, every drop reported by OnGap")
	dropped := h.Dropped()
	last := -1
	for _, s := range log.snapshot() {
		if s == "gap" {
			continue
		}
		var i int
		_, _ = fmt.Sscan(s, &i)
		assert.Greater(t, i, last, "in order")
		last = i
	}
	assert.Greater(t, dropped, uint64(n/2), "the 4 KiB bound held back most of 100 events of ~220 bytes")
	assert.Equal(t, 1, strings.Count(logs.String(), "slow consumer"), "one warning per slow episode:\n%s", logs.String())
}

// Handles of one topic come and go from many goroutines while one stays:
// the one that stays keeps receiving (no UNSUBSCRIBE of another handle, in
// flight or abandoned, takes the router subscription from under it).
func TestSubscribeUnsubscribeChurnKeepsLiveHandle(t *testing.T) {
	leakCheck(t)
	r := wamptest.NewRouter(t)
	sub, pub := r.Local(t), r.Local(t)
	ctx := ctxT(t)
	got := make(chan int, 100)
	_, err := sub.Subscribe(ctx, "test.churn", func(ev *client.Event) { got <- argInt(ev) }, client.SubscribeOptions{})
	require.NoError(t, err)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				cctx, cancel := context.WithTimeout(ctx, time.Duration(i%3)*time.Millisecond+time.Microsecond)
				h, err := sub.Subscribe(cctx, "test.churn", func(*client.Event) {}, client.SubscribeOptions{Match: client.MatchExact})
				cancel()
				if err == nil {
					_ = h.Unsubscribe(ctx)
				}
				if g%2 == 0 { // and another topic, ended at once
					h, err := sub.Subscribe(ctx, "test.churn.other", func(*client.Event) {}, client.SubscribeOptions{})
					if err == nil {
						_ = h.Unsubscribe(ctx)
					}
				}
			}
		}()
	}
	wg.Wait()
	publishSeq(t, pub, 1, "test.churn")
	select {
	case i := <-got:
		assert.Equal(t, 0, i)
	case <-time.After(5 * time.Second):
		t.Fatal("the live handle lost its router subscription")
	}
	assert.True(t, routerHasSubscriber(t, pub, "test.churn", sub.ID()))
}

// Close called from an event handler (ordered or ConcurrentDelivery)
// returns at once instead of waiting for its own handler until ctx ends.
func TestCloseFromEventHandler(t *testing.T) {
	leakCheck(t)
	for name, opts := range map[string]client.SubscribeOptions{
		"ordered":    {},
		"concurrent": {ConcurrentDelivery: true},
	} {
		t.Run(name, func(t *testing.T) {
			r := wamptest.NewRouter(t)
			ctx := ctxT(t)
			c, err := wamptest.ConnectLocal(ctx, r)
			require.NoError(t, err)
			closed := make(chan error, 1)
			_, err = c.Subscribe(ctx, "test.close", func(*client.Event) {
				cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				begin := time.Now()
				err := c.Close(cctx)
				if err == nil && time.Since(begin) > 3*time.Second {
					err = fmt.Errorf("Close took %v", time.Since(begin))
				}
				closed <- err
			}, opts)
			require.NoError(t, err)
			publishSeq(t, r.Local(t), 1, "test.close")
			select {
			case err := <-closed:
				require.NoError(t, err)
			case <-ctx.Done():
				t.Fatal("Close from the handler hung")
			}
			<-c.Done()
		})
	}
}
