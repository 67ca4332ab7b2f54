// Package netfault injects faults between WAMP clients and a router: it is
// the machinery behind the public test kit (client/wamptest) and wampkit's
// own test helpers (internal/wamptest), written once for both.
//
// A [Faults] owns a set of connections of two kinds: in-process links
// ([Faults.Attach], message by message) and TCP connections through a
// [Proxy] (byte by byte, so websocket pings stall too). On all of them at
// once it can cut the connection ([Faults.Drop]), hold the traffic
// ([Faults.Stall] until [Faults.Resume]) and add latency ([Faults.SetDelay]).
//
// Each connection is two directions, each a reader goroutine and a writer
// goroutine joined by a bounded queue (queueLen messages, or queueLen chunks
// of chunkSize bytes): when the queue is full the reader waits, so a stalled
// connection pushes back on its sender like a full TCP window. Delivery keeps
// order; a delayed item leaves no earlier than its arrival plus the delay in
// force when it arrived.
package netfault

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/gammazero/nexus/v3/wamp"
)

const (
	// queueLen bounds each direction's queue: messages on a link, chunks of
	// at most chunkSize bytes on a proxied connection (1 MiB a direction).
	queueLen  = 64
	chunkSize = 16 << 10
	// dropWait bounds how long Drop and Close wait for the router to finish
	// a cut session before they force the connection closed.
	dropWait = 5 * time.Second
)

// Filter decides the fate of one message the router sends to an in-process
// client: drop it, or hold it back an extra delay. It runs on a link
// goroutine, never under a lock.
type Filter func(msg wamp.Message) (drop bool, delay time.Duration)

// Faults is the fault state shared by a set of connections. The zero value
// is ready. Safe for concurrent use. Every goroutine it starts ends when its
// connection ends; [Faults.Close] ends them all and waits.
type Faults struct {
	// Read on every message or chunk, so without a lock.
	delay  atomic.Int64                  // time.Duration
	gate   atomic.Pointer[chan struct{}] // non-nil while stalled; closed by Resume
	filter atomic.Pointer[Filter]

	mu     sync.Mutex // guards the rest, and Stall and Resume
	conns  map[*conn]struct{}
	closed bool
	wg     sync.WaitGroup // every pump goroutine
}

// conn is one connection: an in-process link or a proxied TCP connection.
type conn struct {
	cutCh      chan struct{} // closed by cut
	cutOnce    sync.Once
	onCut      func()        // unblocks the readers; runs once, after cutCh closes
	routerDone chan struct{} // closed when the router-to-client reader ends: the router closed its end
	kill       chan struct{} // closed by force: readers still draining stop
	killOnce   sync.Once
	onForce    func() // closes what force must close (a proxied router connection)
	tag        any    // the Attach caller's, for DropWhere
	alive      atomic.Int32
}

// afterRouter waits until the router has closed its end of c (or force):
// the client side of a cut connection closes only then, so a client never
// reconnects while the router still holds its old session.
func (c *conn) afterRouter() {
	select {
	case <-c.routerDone:
	case <-c.kill:
	}
}

// force ends whatever still runs of c, for a router that does not finish a
// cut session or a client that does not close its end.
func (c *conn) force() {
	c.cut()
	c.killOnce.Do(func() {
		close(c.kill)
		if c.onForce != nil {
			c.onForce()
		}
	})
}

func (c *conn) cut() {
	c.cutOnce.Do(func() {
		close(c.cutCh)
		if c.onCut != nil {
			c.onCut()
		}
	})
}

// SetDelay sets the latency added in each direction to what arrives from
// now on, on every connection (0: none).
func (f *Faults) SetDelay(d time.Duration) { f.delay.Store(int64(max(d, 0))) }

// SetFilter sets the filter applied to messages from the router to
// in-process clients (nil: none).
func (f *Faults) SetFilter(filter Filter) {
	if filter == nil {
		f.filter.Store(nil)
		return
	}
	f.filter.Store(&filter)
}

// Stall holds every connection's traffic, current and new, in both
// directions, until Resume.
func (f *Faults) Stall() {
	f.mu.Lock()
	if f.gate.Load() == nil {
		gate := make(chan struct{})
		f.gate.Store(&gate)
	}
	f.mu.Unlock()
}

// Resume lets held traffic go, in order.
func (f *Faults) Resume() {
	f.mu.Lock()
	if gate := f.gate.Swap(nil); gate != nil {
		close(*gate)
	}
	f.mu.Unlock()
}

// Drop cuts every connection, as a network failure would. The router sees
// it first; the client sees its transport lost once the router has finished
// the session (closed its end, which nexus does after removing the
// session's registrations and subscriptions), so a client that reconnects
// at once never meets its own stale registration. Drop returns then, or
// after dropWait.
func (f *Faults) Drop() {
	_ = f.cutWhere(nil)
}

// DropWhere is Drop for the in-process links whose tag (given to Attach)
// satisfies match; it returns how many it cut.
func (f *Faults) DropWhere(match func(tag any) bool) int {
	return len(f.cutWhere(func(c *conn) bool { return c.tag != nil && match(c.tag) }))
}

// Close cuts every connection, refuses new ones, and waits for every
// goroutine. Idempotent.
func (f *Faults) Close() {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
	f.Resume()
	for _, c := range f.cutWhere(nil) {
		c.force()
	}
	f.wg.Wait()
}

// cutWhere cuts every connection that match accepts (nil: all) and waits,
// at most dropWait, until the router has closed its end of each; it forces
// those it did not. It returns the connections it cut.
func (f *Faults) cutWhere(match func(*conn) bool) []*conn {
	f.mu.Lock()
	cs := make([]*conn, 0, len(f.conns))
	for c := range f.conns {
		if match == nil || match(c) {
			cs = append(cs, c)
		}
	}
	f.mu.Unlock()
	for _, c := range cs {
		c.cut()
	}
	deadline := time.NewTimer(dropWait)
	defer deadline.Stop()
	for i, c := range cs {
		select {
		case <-c.routerDone:
		case <-deadline.C:
			for _, c := range cs[i:] {
				c.force()
			}
			return cs
		}
	}
	return cs
}

// add registers a new connection whose pumps are about to start; false
// once Close has begun.
func (f *Faults) add(c *conn) bool {
	c.cutCh = make(chan struct{})
	c.routerDone = make(chan struct{})
	c.kill = make(chan struct{})
	c.alive.Store(4)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return false
	}
	if f.conns == nil {
		f.conns = map[*conn]struct{}{}
	}
	f.conns[c] = struct{}{}
	f.wg.Add(4)
	return true
}

// exit ends one pump goroutine of c.
func (f *Faults) exit(c *conn) {
	if c.alive.Add(-1) == 0 {
		f.mu.Lock()
		delete(f.conns, c)
		f.mu.Unlock()
	}
	f.wg.Done()
}

// await waits until due (zero: no wait) and until the stall gate is open;
// false if c is cut first.
func (f *Faults) await(c *conn, due time.Time) bool {
	for {
		if gate := f.gate.Load(); gate != nil {
			select {
			case <-*gate:
				continue
			case <-c.cutCh:
				return false
			}
		}
		if due.IsZero() {
			return true
		}
		wait := time.Until(due)
		if wait <= 0 {
			return true
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-c.cutCh:
			t.Stop()
			return false
		}
	}
}

// item is one message or chunk on its way.
type item[T any] struct {
	v   T
	due time.Time
}

// direction is one half of a connection.
type direction[T any] struct {
	// read returns the next item; false at the source's end. After a cut it
	// is still called while drain is set: the router-to-client reader keeps
	// reading until the router closes its end, and an in-process client's
	// messages are read and discarded until the client closes its end (as a
	// network transport would take and lose them), or until force.
	read  func() (T, bool)
	drain bool
	// fromRouter marks the router-to-client direction, whose reader's end
	// closes routerDone.
	fromRouter bool
	// extra is the filter's verdict on an item (nil: none).
	extra func(T) (drop bool, delay time.Duration)
	// write delivers one item; false when the destination is gone or c is
	// cut.
	write func(T) bool
	// readerDone and writerDone run when the reader and the writer end.
	readerDone, writerDone func()
}

// start runs d's reader and writer goroutines for c. While no fault is in
// force and nothing is queued, the reader delivers itself (one hop, not
// two); pending counts what is queued and not yet delivered, so a direct
// delivery never overtakes a queued one.
func start[T any](f *Faults, c *conn, d direction[T]) {
	q := make(chan item[T], queueLen)
	var pending atomic.Int64
	// The writer closes the destination when it ends (writerDone); the
	// reader's direct deliveries hold wmu, which the writer takes first.
	var (
		wmu        sync.Mutex
		destClosed bool
	)
	direct := func(v T) bool {
		wmu.Lock()
		defer wmu.Unlock()
		return !destClosed && d.write(v)
	}
	go func() {
		defer f.exit(c)
		defer close(q)
		if d.fromRouter {
			defer close(c.routerDone)
		}
		if d.readerDone != nil {
			defer d.readerDone()
		}
		for {
			v, ok := d.read()
			if !ok {
				return
			}
			select {
			case <-c.cutCh: // cut: what still arrives is discarded
				if !d.drain {
					return
				}
				continue
			default:
			}
			delay := time.Duration(f.delay.Load())
			if d.extra != nil {
				drop, more := d.extra(v)
				if drop {
					continue
				}
				delay += more
			}
			if delay == 0 && pending.Load() == 0 && f.gate.Load() == nil {
				if !direct(v) {
					c.cut() // as the writer does when delivery fails
				}
				continue
			}
			var due time.Time
			if delay > 0 {
				due = time.Now().Add(delay)
			}
			pending.Add(1)
			select {
			case q <- item[T]{v: v, due: due}:
			case <-c.cutCh:
				if !d.drain {
					return
				}
			}
		}
	}()
	go func() {
		defer f.exit(c)
		defer func() {
			c.cut() // the connection does not outlive either writer; a direct delivery returns
			wmu.Lock()
			destClosed = true
			wmu.Unlock()
			if d.writerDone != nil {
				d.writerDone()
			}
		}()
		for {
			select {
			case it, ok := <-q:
				if !ok || !f.await(c, it.due) || !d.write(it.v) {
					return
				}
				pending.Add(-1)
			case <-c.cutCh:
				return
			}
		}
	}()
}
