package metaclient

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/wampkit/wampkit/client"
)

// RegistrationInfo is a registration and its callees, as the registry
// knows them.
type RegistrationInfo struct {
	Registration
	Callees []client.ID
}

// ChangeKind says what changed in the registry.
type ChangeKind int

// The kinds of change.
const (
	Created ChangeKind = iota
	CalleeAdded
	CalleeRemoved
	Deleted
	Resynced // the whole view was rebuilt (first sync, reconnect, lost events)
	Repaired // registrations whose events arrived out of order were read again
)

func (k ChangeKind) String() string {
	names := [...]string{"created", "callee-added", "callee-removed", "deleted", "resynced", "repaired"}
	if k < 0 || int(k) >= len(names) {
		return fmt.Sprintf("ChangeKind(%d)", int(k))
	}
	return names[k]
}

// Change is one change notification.
type Change struct {
	Kind         ChangeKind
	Registration client.ID
	URI          string
	Session      client.ID // the callee, for CalleeAdded / CalleeRemoved
	// Reason is the reason a router gave for removing a callee
	// (CalleeRemoved), when its on_unregister event carries one.
	Reason string
	// Resync is set on changes found by comparing a rebuilt view with the
	// previous one: what changed while events were lost (during a
	// reconnect, at the event queue's bound) or crossed. They come before
	// the Resynced or Repaired notification that ends the rebuild.
	Resync bool
}

// Registry is a live, consistent view of all registrations of the realm and
// their callees, built from a snapshot (list, get, list_callees) and kept
// current by the lifecycle events. After any quiet point it equals what the
// router reports.
//
// It is safe for concurrent use. It owns three goroutines (one rebuilds
// the view after events were lost, one re-reads registrations whose events
// crossed, one feeds Changes) and the event subscription; Close stops all
// of them. They also stop, and Changes is closed, once the client is
// closed ([client.Client.Done]): a registry never outlives its client.
type Registry struct {
	m         *Client
	sub       *client.Subscription
	changes   chan Change
	cancel    context.CancelFunc
	wg        sync.WaitGroup // resyncLoop, repairLoop and feed
	closeOnce sync.Once
	closeErr  error

	dirtySignal  chan struct{} // cap 1: dirty has entries
	resyncSignal chan struct{} // cap 1: events were lost, rebuild
	pendingWake  chan struct{} // cap 1: pending has entries

	mu      sync.Mutex
	regs    map[client.ID]*RegistrationInfo
	syncing bool    // a snapshot is being taken: events queue up
	queue   []Event // events received while syncing
	dropped uint64
	err     error // last resync failure
	epoch   int   // sync epochs: a reconnect starts a new one
	dirty   map[client.ID]bool
	closed  bool // Changes is closed

	pending      []Change // notifications not yet taken from Changes
	pendingBytes int
}

// maxPendingBytes bounds the notifications waiting to be read from
// Changes, by their approximate size (changeSize): 16 MiB, some 150,000
// notifications.
const maxPendingBytes = 16 << 20

// changeSize approximates what a pending notification holds.
func changeSize(c Change) int { return 96 + len(c.URI) + len(c.Reason) }

// Watch builds a live registry. It subscribes to the lifecycle events first
// (one prefix subscription, so events arrive in the order the router
// published them), then takes the snapshot, then applies the events that
// arrived meanwhile: no change falls between the two. Whenever events may
// have been lost (the subscription was restored on a new session after a
// reconnect or a router restart, or events were dropped at the client's
// event queue bound: see client.SubscribeOptions.OnGap) it rebuilds itself the same way and
// reports what changed meanwhile. Watch returns once the view is live
// (events lost while it reads the realm make it read again), or with an
// error when ctx ends first. Close it when done.
func (m *Client) Watch(ctx context.Context) (*Registry, error) {
	r := &Registry{m: m, changes: make(chan Change), regs: map[client.ID]*RegistrationInfo{}, syncing: true,
		dirty: map[client.ID]bool{}, dirtySignal: make(chan struct{}, 1), resyncSignal: make(chan struct{}, 1),
		pendingWake: make(chan struct{}, 1)}
	sub, err := m.c.Subscribe(ctx, "wamp.registration.on_", r.onEvent,
		client.SubscribeOptions{Match: client.MatchPrefix, OnGap: r.onGap})
	if err != nil {
		return nil, fmt.Errorf("metaclient: watch: subscribe to lifecycle events: %w", err)
	}
	r.sub = sub
	if err := r.firstSync(ctx); err != nil {
		_ = sub.Unsubscribe(context.Background())
		return nil, err
	}
	wctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	r.wg.Add(3)
	go r.resyncLoop(wctx)
	go r.repairLoop(wctx)
	go r.feed(wctx)
	return r, nil
}

// firstSync builds the view for Watch, again as long as events were lost
// while it was built (a gap, the queue bound: the sync epoch changed and
// resync left the view syncing), so that Watch returns a live view.
func (r *Registry) firstSync(ctx context.Context) error {
	for {
		if err := r.resync(ctx, false); err != nil {
			return err
		}
		r.mu.Lock()
		live := !r.syncing
		r.mu.Unlock()
		if live {
			return nil
		}
		select {
		case <-r.resyncSignal: // the rebuild asked for is the next round here
		default:
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("metaclient: watch: %w", err)
		}
	}
}

// Changes returns the change notifications, in the order the view changed:
// applying them in order to the view of the first Resynced notification
// gives the view. After a rebuild (a reconnect, a router restart, events
// lost at the client's queue bound) the changes found by comparing the new
// view with the old one come first (Change.Resync set: created, callees
// added or removed, deleted), then Resynced. The registry never blocks on
// the channel: notifications wait in a queue of their own, bounded at 16
// MiB (some 150,000 notifications); past it further ones are dropped
// (counted by Dropped; the view itself misses nothing, so read it with
// Snapshot then). Close closes the channel; notifications not yet read are
// discarded.
func (r *Registry) Changes() <-chan Change { return r.changes }

// Err returns the error of the last failed attempt to rebuild the view
// (after a reconnect, or a repair), nil once a rebuild succeeded. While it
// is not nil the view may be stale; the registry keeps retrying.
func (r *Registry) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// Dropped returns how many change notifications were dropped.
func (r *Registry) Dropped() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.dropped
}

// Close stops the registry: it stops its goroutines, unsubscribes from the
// events and closes Changes. The view stays readable. Close is idempotent.
func (r *Registry) Close(ctx context.Context) error {
	r.closeOnce.Do(func() {
		r.cancel()
		r.wg.Wait() // feed has closed Changes
		if err := r.sub.Unsubscribe(ctx); err != nil {
			r.closeErr = fmt.Errorf("metaclient: registry close: %w", err)
		}
	})
	return r.closeErr
}

// Snapshot returns a copy of the view, ordered by registration ID.
func (r *Registry) Snapshot() []RegistrationInfo {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]RegistrationInfo, 0, len(r.regs))
	for _, info := range r.regs {
		out = append(out, copyInfo(info))
	}
	slices.SortFunc(out, func(a, b RegistrationInfo) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// Get returns the registration with this ID.
func (r *Registry) Get(id client.ID) (RegistrationInfo, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	info, ok := r.regs[id]
	if !ok {
		return RegistrationInfo{}, false
	}
	return copyInfo(info), true
}

// Lookup returns the registration of uri with the match policy (a linear
// scan: registries hold thousands, not millions).
func (r *Registry) Lookup(uri string, match Match) (RegistrationInfo, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, info := range r.regs {
		if info.URI == uri && info.Match == match {
			return copyInfo(info), true
		}
	}
	return RegistrationInfo{}, false
}

func copyInfo(info *RegistrationInfo) RegistrationInfo {
	c := *info
	c.Callees = slices.Clone(info.Callees)
	return c
}

// onEvent receives every lifecycle event, in order, on the subscription's
// goroutine.
func (r *Registry) onEvent(ev *client.Event) {
	e, err := r.m.parseEvent(eventTopic(ev), ev)
	if err != nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	if r.syncing {
		if len(r.queue) < maxQueuedEvents {
			r.queue = append(r.queue, e)
			return
		}
		// A sync that keeps failing (the meta API refused, a router
		// that answers not_implemented) must not hold every event since:
		// past the bound a full rebuild, which reads everything again,
		// replaces the queue.
		r.startRebuildLocked()
		return
	}
	r.apply(e)
}

// maxQueuedEvents bounds the events held while the registry syncs (each
// some 100 to 300 bytes: a few MiB); past it the sync becomes a full
// rebuild.
const maxQueuedEvents = 1 << 14

// startRebuildLocked makes the view stale until a rebuild (resyncLoop) has
// read the router again; r.mu is held.
func (r *Registry) startRebuildLocked() {
	r.syncing, r.queue = true, nil // the snapshot supersedes them
	r.epoch++                      // a rebuild or repair under way gives up
	select {
	case r.resyncSignal <- struct{}{}:
	default:
	}
}

// onGap runs in the event order where events may be missing: the view is
// stale from here, so events queue up until a rebuild (resyncLoop) has
// read the router again.
func (r *Registry) onGap(client.Gap) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.startRebuildLocked()
	r.mu.Unlock()
}

// apply applies one live event (one the view does not reflect yet).
// Removing a callee removes its first occurrence, as routers do. Called
// with r.mu held.
func (r *Registry) apply(e Event) {
	info := r.regs[e.Registration.ID]
	switch e.Kind {
	case Created:
		if info == nil {
			r.regs[e.Registration.ID] = &RegistrationInfo{Registration: e.Registration}
		} else { // a callee's on_register overtook it: callee order is unsure
			info.Registration = e.Registration
			r.markDirtyLocked(e.Registration.ID)
		}
		r.notify(Change{Kind: Created, Registration: e.Registration.ID, URI: e.Registration.URI})
	case CalleeAdded:
		if info == nil { // out of order (another session's on_create is late)
			info = &RegistrationInfo{Registration: Registration{ID: e.Registration.ID, Match: Exact, Invoke: Single}}
			r.regs[e.Registration.ID] = info
			r.markDirtyLocked(e.Registration.ID)
		}
		// A session may be a callee of one shared registration more than
		// once (nexus allows it), so callees are a list, not a set.
		if len(info.Callees) > 0 {
			// The router publishes different sessions' on_register events
			// concurrently, so they may come in another order than the
			// callees' (which decides first/last/roundrobin): read it back.
			r.markDirtyLocked(e.Registration.ID)
		}
		info.Callees = append(info.Callees, e.Session)
		r.notify(Change{Kind: CalleeAdded, Registration: e.Registration.ID, URI: info.URI, Session: e.Session})
	case CalleeRemoved:
		if info == nil {
			break // deleted already: events of two sessions crossed
		}
		if i := slices.Index(info.Callees, e.Session); i >= 0 {
			info.Callees = slices.Delete(info.Callees, i, i+1)
			r.notify(Change{Kind: CalleeRemoved, Registration: e.Registration.ID, URI: info.URI, Session: e.Session, Reason: e.Reason})
			if len(info.Callees) == 0 {
				// A registration ends with its last callee (spec: the
				// router deletes it). Bondy may never publish on_delete,
				// so the last on_unregister deletes it here; a later
				// on_delete finds it gone and changes nothing.
				delete(r.regs, e.Registration.ID)
				r.notify(Change{Kind: Deleted, Registration: e.Registration.ID, URI: info.URI})
			}
		} else {
			r.markDirtyLocked(e.Registration.ID)
		}
	case Deleted:
		if info != nil {
			delete(r.regs, e.Registration.ID)
			r.notify(Change{Kind: Deleted, Registration: e.Registration.ID, URI: info.URI})
		}
	}
}

// notify queues a change for Changes, or counts it dropped past the
// bound. Called with r.mu held.
func (r *Registry) notify(c Change) {
	if r.closed {
		return
	}
	n := changeSize(c)
	if r.pendingBytes+n > maxPendingBytes {
		r.dropped++
		return
	}
	r.pending = append(r.pending, c)
	r.pendingBytes += n
	select {
	case r.pendingWake <- struct{}{}:
	default:
	}
}

// feed hands the queued notifications to Changes, in order, until ctx
// ends (Close) or the client is closed (then it stops the other
// goroutines too). Changes' only sender, it closes Changes when it ends.
func (r *Registry) feed(ctx context.Context) {
	defer r.wg.Done()
	defer func() {
		r.mu.Lock()
		r.closed = true
		close(r.changes)
		r.mu.Unlock()
	}()
	gone := r.m.c.Done()
	for {
		r.mu.Lock()
		if len(r.pending) == 0 {
			r.pending = nil // let a burst's backing array go
			r.mu.Unlock()
			select {
			case <-r.pendingWake:
				continue
			case <-ctx.Done():
				return
			case <-gone:
				r.cancel()
				return
			}
		}
		c := r.pending[0]
		r.pending = r.pending[1:]
		r.pendingBytes -= changeSize(c)
		r.mu.Unlock()
		select {
		case r.changes <- c:
		case <-ctx.Done():
			return
		case <-gone:
			r.cancel()
			return
		}
	}
}

// markDirtyLocked schedules a re-read of id. Called with r.mu held.
func (r *Registry) markDirtyLocked(id client.ID) {
	if r.dirty == nil {
		return // not watching (benchmarks drive apply directly)
	}
	r.dirty[id] = true
	select {
	case r.dirtySignal <- struct{}{}:
	default:
	}
}
