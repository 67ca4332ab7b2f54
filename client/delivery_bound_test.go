package client

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An event that arrives over the event queue's bound for a topic that two
// handles share is dropped, and counted for each, before anything is
// copied for them: a flood past the bound costs the read loop no copies.
// What the queue took is still delivered, each handle its own event.
func TestEventOverTheBoundCostsNoCopies(t *testing.T) {
	c := &Client{cfg: config{eventQueueBytes: 1000}, log: slog.New(slog.DiscardHandler), done: make(chan struct{})}
	c.callbacks.done = c.done
	c.events = newEventQueue(c)
	entered, release := make(chan struct{}, 4), make(chan struct{})
	got := make(chan *Event, 4)
	handler := func(ev *Event) {
		got <- ev
		entered <- struct{}{}
		<-release
	}
	a := &Subscription{c: c, topic: "com.example.t", handler: handler}
	b := &Subscription{c: c, topic: "com.example.t", handler: handler}
	to := []*sessionSub{{Value: a}, {Value: b}}
	event := func(pub ID) *Event {
		return &Event{Payload: Payload{Args: []any{[]any{"x", 1}, map[string]any{"k": "v"}}, Kwargs: map[string]any{"n": []any{2}}},
			Publication: pub, Details: map[string]any{"d": 1}, size: 600}
	}

	c.onEvent(event(1), to) // taken by an empty queue whatever its size; a's handler holds it
	select {
	case <-entered:
	case <-time.After(5 * time.Second):
		t.Fatal("the first event was not delivered")
	}
	c.onEvent(event(2), to) // taken: the queue was empty again
	over := event(3)
	allocs := testing.AllocsPerRun(100, func() { c.onEvent(over, to) }) // the queue holds 1,200 bytes of 1,000
	assert.Zero(t, allocs, "allocations for an event dropped at the bound")
	assert.Equal(t, uint64(101), a.Dropped(), "every dropped event is counted for each handle")
	assert.Equal(t, uint64(101), b.Dropped())

	close(release)
	var evs []*Event
	for len(evs) < 4 {
		select {
		case ev := <-got:
			evs = append(evs, ev)
		case <-time.After(5 * time.Second):
			t.Fatalf("%d of the 4 events taken were delivered", len(evs))
		}
	}
	for i, ev := range evs {
		assert.Equal(t, ID(i/2+1), ev.Publication, "the events taken, in order, to each handle")
	}
	assert.NotSame(t, &evs[2].Args[0].([]any)[0], &evs[3].Args[0].([]any)[0], "each handle has an event of its own")
	c.events.close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, c.delivering.Wait(ctx))
}
