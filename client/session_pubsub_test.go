package client

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/wamp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sink records which handles each event went to.
type sink struct {
	mu  sync.Mutex
	got map[*sessionSub][]wamp.ID // handle -> publications
}

func (k *sink) on(ev *Event, to []*sessionSub) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, s := range to {
		k.got[s] = append(k.got[s], wamp.ID(ev.Publication))
	}
}

func (k *sink) of(s *sessionSub) []wamp.ID {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]wamp.ID(nil), k.got[s]...)
}

// subscribe runs a SUBSCRIBE the fake router answers with subscription id.
func (f *fakeRouter) subscribe(topic string, opts wamp.Dict, id wamp.ID) *sessionSub {
	f.t.Helper()
	done := make(chan *sessionSub, 1)
	go func() {
		s, err := f.sess.Subscribe(context.Background(), topic, opts, nil, nil)
		assert.NoError(f.t, err)
		done <- s
	}()
	m := f.expect(wamp.SUBSCRIBE).(*wamp.Subscribe)
	f.send(&wamp.Subscribed{Request: m.Request, Subscription: id})
	return <-done
}

// A router answers two SUBSCRIBEs (options differ, so both are sent) with
// one subscription ID: both handles get every event; UNSUBSCRIBE is sent
// only when the second ends.
func TestSharedSubscriptionID(t *testing.T) {
	k := &sink{got: map[*sessionSub][]wamp.ID{}}
	f := joinFake(t, sessionConfig{OnEvent: k.on})
	a := f.subscribe("com.topic", wamp.Dict{}, 5)
	b := f.subscribe("com.topic", wamp.Dict{"x": 1}, 5)
	f.send(&wamp.Event{Subscription: 5, Publication: 1, Details: wamp.Dict{}})
	require.Eventually(t, func() bool { return len(k.of(a)) == 1 && len(k.of(b)) == 1 }, 2*time.Second, time.Millisecond)

	require.NoError(t, f.sess.Unsubscribe(context.Background(), a)) // nothing sent
	f.send(&wamp.Event{Subscription: 5, Publication: 2, Details: wamp.Dict{}})
	require.Eventually(t, func() bool { return len(k.of(b)) == 2 }, 2*time.Second, time.Millisecond)
	done := make(chan error, 1)
	go func() { done <- f.sess.Unsubscribe(context.Background(), b) }()
	m := f.expect(wamp.UNSUBSCRIBE).(*wamp.Unsubscribe) // the first message after the events
	assert.Equal(t, wamp.ID(5), m.Subscription)
	f.send(&wamp.Unsubscribed{Request: m.Request})
	require.NoError(t, <-done)
	assert.Equal(t, []wamp.ID{1}, k.of(a))
	assert.Equal(t, []wamp.ID{1, 2}, k.of(b))
}

// The same topic and options again joins the router subscription without
// a SUBSCRIBE.
func TestSameSubscribeIsShared(t *testing.T) {
	f := joinFake(t, sessionConfig{})
	a := f.subscribe("com.topic", wamp.Dict{"match": "prefix"}, 9)
	b, err := f.sess.Subscribe(context.Background(), "com.topic", wamp.Dict{"match": "prefix"}, nil, nil)
	require.NoError(t, err)
	assert.Equal(t, a.ID, b.ID)
}

// A requester that gives up before SUBSCRIBED: the late subscription is
// withdrawn, unless another handle already lives on that ID; the next
// change of subscriptions waits for it.
func TestAbandonedSubscribe(t *testing.T) {
	f := joinFake(t, sessionConfig{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := f.sess.Subscribe(ctx, "com.late", nil, nil, nil)
		done <- err
	}()
	m := f.expect(wamp.SUBSCRIBE).(*wamp.Subscribe)
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	next := make(chan *sessionSub, 1)
	go func() { // waits until the orphan is undone
		s, err := f.sess.Subscribe(context.Background(), "com.other", nil, nil, nil)
		assert.NoError(t, err)
		next <- s
	}()
	time.Sleep(20 * time.Millisecond)
	f.send(&wamp.Subscribed{Request: m.Request, Subscription: 3})
	u := f.expect(wamp.UNSUBSCRIBE).(*wamp.Unsubscribe)
	assert.Equal(t, wamp.ID(3), u.Subscription, "the late subscription is withdrawn first")
	f.send(&wamp.Unsubscribed{Request: u.Request})
	s := f.expect(wamp.SUBSCRIBE).(*wamp.Subscribe)
	assert.Equal(t, wamp.URI("com.other"), s.Topic)
	f.send(&wamp.Subscribed{Request: s.Request, Subscription: 4})
	<-next

	// Abandoned again, now onto a live ID: nothing is withdrawn.
	live := f.subscribe("com.shared", wamp.Dict{}, 6)
	ctx, cancel = context.WithCancel(context.Background())
	go func() {
		_, err := f.sess.Subscribe(ctx, "com.shared", wamp.Dict{"y": true}, nil, nil)
		done <- err
	}()
	m = f.expect(wamp.SUBSCRIBE).(*wamp.Subscribe)
	cancel()
	<-done
	f.send(&wamp.Subscribed{Request: m.Request, Subscription: 6})
	probe := f.subscribe("com.probe", nil, 7) // the next message is this SUBSCRIBE, no UNSUBSCRIBE
	assert.Equal(t, wamp.ID(7), probe.ID)
	assert.NotZero(t, live.ID)
}

// A router that never answers an UNSUBSCRIBE whose requester gave up holds
// the session's subscription changes for maxSubHold only.
func TestUnansweredUnsubscribeHoldsChangesBoundedly(t *testing.T) {
	defer setMaxSubHold(100 * time.Millisecond)()
	f := joinFake(t, sessionConfig{})
	a := f.subscribe("com.quiet", nil, 8)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- f.sess.Unsubscribe(ctx, a) }()
	f.expect(wamp.UNSUBSCRIBE) // never answered
	require.ErrorIs(t, <-done, context.DeadlineExceeded)
	begin := time.Now()
	b := f.subscribe("com.next", nil, 9)
	assert.Equal(t, wamp.ID(9), b.ID)
	assert.GreaterOrEqual(t, time.Since(begin), 50*time.Millisecond, "held until maxSubHold")
}

// Unsubscribe whose ctx ends while its UNSUBSCRIBE waits for room on the
// link (a router that reads nothing for a while) returns ctx's error, and
// the UNSUBSCRIBE is still sent once there is room: the router does not
// keep serving a subscription the client has no handle for.
func TestUnsubscribeWhoseCtxEndsBeforeSendingStillUnsubscribes(t *testing.T) {
	f := joinFake(t, sessionConfig{})
	a := f.subscribe("com.topic", nil, 5)
	for range localSendQueue { // the router reads nothing: the link fills
		_, err := f.sess.Publish(context.Background(), "com.pub", nil, nil, nil, false)
		require.NoError(t, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, f.sess.Unsubscribe(ctx, a), context.DeadlineExceeded)
	for range localSendQueue {
		f.expect(wamp.PUBLISH)
	}
	m, ok := f.expect(wamp.UNSUBSCRIBE).(*wamp.Unsubscribe)
	require.True(t, ok, "no UNSUBSCRIBE: the router keeps subscription 5, which no handle has")
	assert.Equal(t, wamp.ID(5), m.Subscription)
	f.send(&wamp.Unsubscribed{Request: m.Request})
	b := f.subscribe("com.next", nil, 9) // the background UNSUBSCRIBE let changes go on
	assert.Equal(t, wamp.ID(9), b.ID)
}

// A second handle on a topic asks for the retained event: the router
// answers its SUBSCRIBE with the existing subscription ID and sends the
// retained event on it. Only the handle that asked gets it: the first,
// which may have had that publication already, does not get it twice.
// Later events go to both, and a retained event that no handle is awaiting
// (a router that sends them on its own) goes to every handle.
func TestRetainedEventGoesOnlyToTheHandleThatAskedForIt(t *testing.T) {
	k := &sink{got: map[*sessionSub][]wamp.ID{}}
	f := joinFake(t, sessionConfig{OnEvent: k.on})
	a := f.subscribe("com.topic", wamp.Dict{}, 5)
	f.send(&wamp.Event{Subscription: 5, Publication: 1, Details: wamp.Dict{}}) // a sees publication 1
	require.Eventually(t, func() bool { return len(k.of(a)) == 1 }, 2*time.Second, time.Millisecond)

	b := f.subscribe("com.topic", wamp.Dict{"get_retained": true}, 5)
	f.send(&wamp.Event{Subscription: 5, Publication: 1, Details: wamp.Dict{"retained": true}}) // for b
	f.send(&wamp.Event{Subscription: 5, Publication: 2, Details: wamp.Dict{}})
	f.send(&wamp.Event{Subscription: 5, Publication: 3, Details: wamp.Dict{"retained": true}}) // nobody asked
	require.Eventually(t, func() bool { return len(k.of(b)) == 3 }, 2*time.Second, time.Millisecond)
	assert.Equal(t, []wamp.ID{1, 2, 3}, k.of(b))
	assert.Equal(t, []wamp.ID{1, 2, 3}, k.of(a), "a had publication 1 once, and every later event")
}

// A SUBSCRIBE answered as its ctx ends (here ctx ends as the handle
// attaches, before the reply reaches the requester) succeeds: the handle
// may already have events, so Subscribe does not report a failure for a
// handle whose events were delivered.
func TestSubscribeAnsweredAsCtxEndsSucceeds(t *testing.T) {
	k := &sink{got: map[*sessionSub][]wamp.ID{}}
	f := joinFake(t, sessionConfig{OnEvent: k.on})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type result struct {
		sub *sessionSub
		err error
	}
	done := make(chan result, 1)
	go func() {
		sub, err := f.sess.Subscribe(ctx, "com.topic", nil, nil, func(*sessionSub) { cancel() })
		done <- result{sub, err}
	}()
	m := f.expect(wamp.SUBSCRIBE).(*wamp.Subscribe)
	f.send(&wamp.Subscribed{Request: m.Request, Subscription: 5})
	f.send(&wamp.Event{Subscription: 5, Publication: 1, Details: wamp.Dict{}})
	r := <-done
	require.NoError(t, r.err, "Subscribe failed, yet its handle gets events")
	require.Eventually(t, func() bool { return len(k.of(r.sub)) == 1 }, 2*time.Second, time.Millisecond)
	b := f.subscribe("com.next", nil, 9) // nothing was withdrawn: no UNSUBSCRIBE came first
	assert.Equal(t, wamp.ID(9), b.ID)
}
