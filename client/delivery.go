package client

import (
	"bytes"
	"runtime/debug"
	"sync"

	"github.com/gammazero/nexus/v3/wamp"
)

// DefaultEventQueueBytes is the default bound of an event queue (see
// [WithEventQueueBytes]).
const DefaultEventQueueBytes = 64 << 20

// Gap tells a subscription's [SubscribeOptions].OnGap callback that events may be missing at
// this point of its event order.
type Gap struct {
	// Dropped is how many of the subscription's events were dropped at the
	// queue bound since the previous Gap (see [WithEventQueueBytes]).
	Dropped uint64
	// Resubscribed is set when the subscription was restored on a new
	// session after a lost connection: events published while the client
	// was reconnecting were not delivered.
	Resubscribed bool
}

// eventQueue holds events received and not yet handled, in the order the
// router sent them, bounded by the approximate encoded size of what it
// holds. One goroutine delivers them while the queue is not empty and ends
// when it is; the client owns it: once the queue is closed it ends after
// the handler call under way, and the client's Done waits for it.
//
// The client has one queue for all its ordered subscriptions; a
// subscription made with ConcurrentDelivery has one of its own.
type eventQueue struct {
	c   *Client
	max int

	mu      sync.Mutex
	items   []queued // items[head:] are pending
	head    int
	bytes   int
	running bool
	closed  bool
}

// queued is one entry: an event for some handles, or a gap marker for one.
type queued struct {
	ev    *Event
	to    []*sessionSub // the client's queue: the handles of ev
	evs   []*Event      // the client's queue: each handle's own ev, by index (nil: ev for all)
	sub   *Subscription // an own queue's handle, or the marker's
	gap   bool          // a Gap marker for sub
	resub bool          // the marker says Resubscribed
	size  int
}

func newEventQueue(c *Client) *eventQueue {
	return &eventQueue{c: c, max: c.cfg.eventQueueBytes}
}

// onEvent is the session's event sink: it runs on the read loop and only
// queues. Each handle of to is looked at once: an ended one may still be
// attached while its UNSUBSCRIBE waits its turn, and is skipped (its
// events would only take room in a queue from live subscriptions', and be
// skipped).
//
// Each live handle gets an event of its own, so that a handler that
// modifies its event (its Args, Kwargs or Details) neither races with nor
// shows through another handle's: ev itself for one, a deep copy
// (copyEvent) for each other. The queues decide first (reserve): the
// copies are made only for the handles whose queue takes the event, so an
// event dropped at the bound costs none. They are made from ev before ev
// is handed to its queue (add, last), so before a handler can have it.
func (c *Client) onEvent(ev *Event, to []*sessionSub) {
	if c.eventsOff.Load() { // Drain began: only events queued before are delivered
		return
	}
	var (
		ownBuf, ordBuf [4]int
		own            = ownBuf[:0] // live handles with a queue of their own that took ev, by index in to
		ordered        = ordBuf[:0] // live handles the client's queue delivers to, by index in to
	)
	for i, t := range to {
		s, ok := t.Value.(*Subscription)
		switch {
		case !ok || s.stopped.Load():
		case s.own == nil:
			ordered = append(ordered, i)
		case s.own.reserve(queued{sub: s, size: ev.size}):
			own = append(own, i)
		}
	}
	// One copy for each of the client queue's handles.
	if len(ordered) > 0 && !c.events.reserve(queued{ev: ev, to: to, size: ev.size * len(ordered)}) {
		ordered = ordered[:0]
	}
	// ev itself goes last: to the client's queue if it took it (to its
	// first handle; evs nil when that is its only one), else to the last
	// handle with a queue of its own.
	var evs []*Event
	if len(ordered) > 1 {
		evs = make([]*Event, len(to))
		evs[ordered[0]] = ev
		for _, i := range ordered[1:] {
			evs[i] = copyEvent(ev)
		}
	}
	for k, i := range own {
		s := to[i].Value.(*Subscription)
		e := ev
		if k < len(own)-1 || len(ordered) > 0 {
			e = copyEvent(ev)
		}
		s.own.add(queued{ev: e, sub: s, size: ev.size})
	}
	if len(ordered) > 0 {
		c.events.add(queued{ev: ev, evs: evs, to: to, size: ev.size * len(ordered)})
	}
}

// copyEvent returns a deep copy of ev's Args, Kwargs and Details (see
// cloneValue).
func copyEvent(ev *Event) *Event {
	c := *ev
	c.Args = cloneValue(ev.Args).([]any)
	c.Kwargs = cloneValue(ev.Kwargs).(map[string]any)
	c.Details = cloneValue(ev.Details).(map[string]any)
	return &c
}

// cloneValue returns a deep copy of v, a received payload value (see
// "Values" in the package doc): its lists, maps and byte slices are new,
// and its other values, which nothing can modify (scalars, a time.Time),
// are shared. A nil list or map stays nil, typed. Received values are trees
// of bounded depth that a decoder built (see approxSize), so the recursion
// ends.
func cloneValue(v any) any {
	switch x := v.(type) {
	case []any:
		if x == nil {
			return x
		}
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = cloneValue(e)
		}
		return out
	case map[string]any:
		if x == nil {
			return x
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = cloneValue(e)
		}
		return out
	case []byte:
		if x == nil {
			return x
		}
		return bytes.Clone(x)
	case wamp.List: // not what a decoder makes, but a router in process may add one
		return wamp.List(cloneValue([]any(x)).([]any))
	case wamp.Dict:
		return wamp.Dict(cloneValue(map[string]any(x)).(map[string]any))
	}
	return v
}

// reserve says whether the queue takes it, an event for its handles: it
// does within its bound, and a queue with nothing pending takes any event
// (so one larger than the bound is still delivered). Then it.size is
// charged at once and the caller queues the item with add (with the
// events of its handles, made meanwhile) before it reserves again: the one
// goroutine that feeds the queue (the read loop) does both. Over the bound
// the event is dropped, and counted for its handles (dropLocked).
func (q *eventQueue) reserve(it queued) bool {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return false
	}
	if q.bytes+it.size <= q.max || q.head == len(q.items) {
		q.bytes += it.size
		q.mu.Unlock()
		return true
	}
	slow := q.dropLocked(it)
	queued := q.bytes
	q.mu.Unlock()
	for _, s := range slow { // logged off the lock
		q.c.log.Warn("wamp events dropped: slow consumer, event queue full",
			"topic", s.topic, "queued_bytes", queued, "bound", q.max)
	}
	return false
}

// add queues it, which reserve took (its size is charged already), unless
// the queue was closed since (close dropped the charge with the rest).
func (q *eventQueue) add(it queued) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.closed {
		q.appendLocked(it)
	}
}

// marker queues a Gap marker for s; markers bypass the bound (a handle has
// at most one drop marker pending).
func (q *eventQueue) marker(s *Subscription, resub bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.closed {
		q.appendLocked(queued{sub: s, gap: true, resub: resub})
	}
}

func (q *eventQueue) appendLocked(it queued) {
	if q.head > 0 && len(q.items) == cap(q.items) { // reuse the delivered prefix
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items, q.head = q.items[:n], 0
	}
	q.items = append(q.items, it) // its size is charged by reserve (a marker has none)
	if !q.running {
		q.running = true
		q.c.callbacks.start() // before the client is Closed: q is open
		q.c.delivering.Add(1)
		go q.run()
	}
}

// dropLocked counts a dropped event on each handle it was for and queues
// one Gap marker per handle and slow episode; it returns the handles whose
// slow episode begins (to log).
func (q *eventQueue) dropLocked(it queued) (slow []*Subscription) {
	drop := func(s *Subscription) {
		if s.stopped.Load() {
			return
		}
		s.dropped.Add(1)
		s.missed++
		if s.gapQueued {
			return
		}
		s.gapQueued = true
		q.appendLocked(queued{sub: s, gap: true})
		slow = append(slow, s)
	}
	if it.sub != nil {
		drop(it.sub)
		return slow
	}
	for _, t := range it.to {
		if s, ok := t.Value.(*Subscription); ok && s.own == nil {
			drop(s)
		}
	}
	return slow
}

// run delivers until the queue is empty.
func (q *eventQueue) run() {
	defer q.c.callbacks.end()
	defer q.c.delivering.Done()
	for {
		q.mu.Lock()
		if q.head == len(q.items) {
			q.items, q.head, q.running = q.items[:0], 0, false
			q.mu.Unlock()
			return
		}
		it := q.items[q.head]
		q.items[q.head] = queued{}
		q.head++
		q.bytes -= it.size
		var gap Gap
		if it.gap {
			gap = Gap{Dropped: it.sub.missed, Resubscribed: it.resub}
			it.sub.missed, it.sub.gapQueued = 0, false
		}
		q.mu.Unlock()
		switch {
		case it.gap:
			if gap.Dropped > 0 || gap.Resubscribed {
				it.sub.gap(gap)
			}
		case it.sub != nil:
			it.sub.call(it.ev)
		default:
			for i, t := range it.to {
				if s, ok := t.Value.(*Subscription); ok && s.own == nil {
					if it.evs == nil {
						s.call(it.ev)
					} else if e := it.evs[i]; e != nil { // nil: s had ended
						s.call(e)
					}
				}
			}
		}
	}
}

// close makes the queue drop what it holds and take nothing more; its
// goroutine ends after the handler call under way.
func (q *eventQueue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	clear(q.items[q.head:])
	q.items, q.head, q.bytes = q.items[:0], 0, 0
}

// call runs the handler on ev unless s ended. A panic is logged.
func (s *Subscription) call(ev *Event) {
	if s.stopped.Load() {
		return
	}
	defer s.recover("event handler")
	p, err := payloadFrom("EVENT", ev.Args, ev.Kwargs, ev.Details)
	if err != nil { // refused: the handler never sees it as something else
		s.c.log.Warn("wamp event dropped", "topic", s.topic, "publication", ev.Publication, "err", err)
		return
	}
	s.handler(&Event{Payload: p, Topic: s.topic,
		Subscription: ev.Subscription, Publication: ev.Publication, Details: ev.Details})
}

func (s *Subscription) gap(g Gap) {
	if s.stopped.Load() || s.options.OnGap == nil {
		return
	}
	defer s.recover("gap callback")
	s.options.OnGap(g)
}

func (s *Subscription) recover(what string) {
	if r := recover(); r != nil {
		s.c.log.Error("wamp "+what+" panicked", "topic", s.topic, "panic", r, "stack", string(debug.Stack()))
	}
}
