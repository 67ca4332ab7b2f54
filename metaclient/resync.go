package metaclient

import (
	"context"
	"errors"
	"maps"
	"slices"
	"time"

	"github.com/wampkit/wampkit/client"
)

// resync rebuilds the view. Events queue up while the snapshot is read;
// instead of replaying them (the snapshot may already reflect some, and
// callee lists are not sets), every registration they touched is read again
// from the router, until a round passes with no new events. Then the view
// goes live and applies events as they come. With diff, the differences
// from the previous view are notified first.
func (r *Registry) resync(ctx context.Context, diff bool) error {
	r.mu.Lock()
	r.syncing = true // the queue holds every event since the epoch began
	epoch := r.epoch
	r.mu.Unlock()
	snap, err := r.snapshot(ctx)
	return r.settle(ctx, snap, err, epoch, diff, Change{Kind: Resynced})
}

// settle re-reads what queued events touched until a round brings none,
// then makes snap the view and goes live. If a new sync epoch began
// meanwhile (events were lost again), it leaves the view to that one.
func (r *Registry) settle(ctx context.Context, snap map[client.ID]*RegistrationInfo, err error, epoch int, diff bool, done Change) error {
	for round := 0; err == nil; round++ {
		r.mu.Lock()
		if r.epoch != epoch {
			r.mu.Unlock()
			return nil
		}
		queued := r.queue
		r.queue = nil
		if len(queued) == 0 || round == maxReconcileRounds {
			if diff {
				r.notifyDiff(r.regs, snap)
			}
			r.regs = snap
			for _, e := range queued { // only when the rounds ran out under churn
				r.apply(e)
			}
			r.syncing, r.err = false, nil
			r.notify(done)
			r.mu.Unlock()
			return nil
		}
		r.mu.Unlock()
		err = r.refresh(ctx, snap, queued)
	}
	r.mu.Lock()
	r.err = err
	r.mu.Unlock()
	return err // stays syncing: events keep queueing until the next try
}

// repair re-reads registrations whose events arrived out of order: nexus
// publishes the events of different sessions from different goroutines, so
// another session's on_register can overtake the on_create it follows.
// When the re-read fails, a full rebuild takes over.
func (r *Registry) repair(ctx context.Context, ids []client.ID) error {
	r.mu.Lock()
	if r.syncing { // a resync is under way; it reads everything again
		r.mu.Unlock()
		return nil
	}
	r.syncing = true
	epoch := r.epoch
	snap := maps.Clone(r.regs) // refresh replaces entries, never mutates them
	r.mu.Unlock()
	events := make([]Event, len(ids))
	for i, id := range ids {
		events[i].Registration.ID = id
	}
	err := r.refresh(ctx, snap, events)
	if err = r.settle(ctx, snap, err, epoch, true, Change{Kind: Repaired}); err != nil {
		// The view stays syncing, so a later repair would take it for a
		// resync under way and events would only queue: hand it to a
		// rebuild, which resyncLoop retries with a growing pause.
		r.mu.Lock()
		if r.epoch == epoch { // else a rebuild began meanwhile
			r.startRebuildLocked()
		}
		r.mu.Unlock()
	}
	return err
}

// repairLoop repairs the registrations apply marked, a little after the
// marks stop coming.
func (r *Registry) repairLoop(ctx context.Context) {
	defer r.wg.Done()
	for {
		select {
		case <-r.dirtySignal:
		case <-ctx.Done():
			return
		}
		select {
		case <-time.After(repairDelay):
		case <-ctx.Done():
			return
		}
		r.mu.Lock()
		ids := make([]client.ID, 0, len(r.dirty))
		for id := range r.dirty {
			ids = append(ids, id)
		}
		clear(r.dirty)
		r.mu.Unlock()
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		if err := r.repair(rctx, ids); err != nil && ctx.Err() == nil {
			r.m.report(wrap("registry repair", err)) // a rebuild reads ids again
		}
		cancel()
	}
}

// repairDelay lets a burst of out-of-order events finish before the
// re-read.
const repairDelay = 20 * time.Millisecond

// maxReconcileRounds bounds the re-reads under continuous churn.
const maxReconcileRounds = 20

// refresh re-reads the registrations the events touched.
func (r *Registry) refresh(ctx context.Context, snap map[client.ID]*RegistrationInfo, events []Event) error {
	seen := map[client.ID]bool{}
	for _, e := range events {
		if seen[e.Registration.ID] {
			continue
		}
		seen[e.Registration.ID] = true
		info, err := r.read(ctx, e.Registration.ID)
		if err != nil {
			return err
		}
		if info == nil {
			delete(snap, e.Registration.ID)
		} else {
			snap[e.Registration.ID] = info
		}
	}
	return nil
}

// read reads one registration with its callees; nil when it is gone.
func (r *Registry) read(ctx context.Context, id client.ID) (*RegistrationInfo, error) {
	reg, err := r.m.Get(ctx, id)
	if errors.Is(err, client.ErrNoSuchRegistration) {
		return nil, nil
	}
	if err != nil {
		return nil, wrap("watch", err)
	}
	callees, err := r.m.ListCallees(ctx, id)
	if errors.Is(err, client.ErrNoSuchRegistration) {
		return nil, nil
	}
	if errors.Is(err, ErrNotSupported) {
		// Bondy has no list_callees: keep the callees the events brought.
		r.mu.Lock()
		if info := r.regs[id]; info != nil {
			callees = slices.Clone(info.Callees)
		}
		r.mu.Unlock()
		err = nil
	}
	if err != nil {
		return nil, wrap("watch", err)
	}
	return &RegistrationInfo{Registration: reg, Callees: callees}, nil
}

// snapshot reads every registration with its callees.
func (r *Registry) snapshot(ctx context.Context) (map[client.ID]*RegistrationInfo, error) {
	lists, err := r.m.List(ctx)
	if err != nil {
		return nil, wrap("watch", err)
	}
	snap := map[client.ID]*RegistrationInfo{}
	for _, id := range lists.All() {
		info, err := r.read(ctx, id)
		if err != nil {
			return nil, err
		}
		if info != nil { // else deleted since the list; its on_delete is queued
			snap[id] = info
		}
	}
	return snap, nil
}

// resyncLoop rebuilds the view each time onGap reports lost events, and
// retries a failed rebuild with a growing pause (the view stays stale and
// events keep queueing meanwhile; Err reports the failure).
func (r *Registry) resyncLoop(ctx context.Context) {
	defer r.wg.Done()
	for failures := 0; ; {
		select {
		case <-r.resyncSignal:
		case <-ctx.Done():
			return
		}
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := r.resync(rctx, true)
		cancel()
		if err == nil {
			failures = 0
			continue
		}
		if ctx.Err() != nil {
			return
		}
		r.m.report(wrap("registry resync", err))
		failures++
		select {
		case <-time.After(time.Duration(min(failures, 10)) * 200 * time.Millisecond):
		case <-ctx.Done():
			return
		}
		select {
		case r.resyncSignal <- struct{}{}:
		default:
		}
	}
}

// notifyDiff notifies how cur differs from old, as the events that would
// have made the change: callees removed and registrations deleted first,
// then registrations created and callees added, each by registration ID.
// A registration whose URI or match differs under the same ID (a router
// restart may reuse IDs) is a deletion and a creation; one the view only
// knew from an early on_register (no URI yet) is a creation. Called with
// r.mu held.
func (r *Registry) notifyDiff(old, cur map[client.ID]*RegistrationInfo) {
	ids := slices.Collect(maps.Keys(old))
	for id := range cur {
		if old[id] == nil {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		o, n := old[id], cur[id]
		switch {
		case o == nil:
		case n == nil || o.URI != "" && !sameRegistration(o, n):
			for _, s := range o.Callees {
				r.notify(Change{Kind: CalleeRemoved, Registration: id, URI: o.URI, Session: s, Resync: true})
			}
			r.notify(Change{Kind: Deleted, Registration: id, URI: o.URI, Resync: true})
		default:
			for _, s := range missing(o.Callees, n.Callees) {
				r.notify(Change{Kind: CalleeRemoved, Registration: id, URI: o.URI, Session: s, Resync: true})
			}
		}
	}
	for _, id := range ids {
		o, n := old[id], cur[id]
		switch {
		case n == nil:
		case o == nil || o.URI != "" && !sameRegistration(o, n):
			r.notify(Change{Kind: Created, Registration: id, URI: n.URI, Resync: true})
			for _, s := range n.Callees {
				r.notify(Change{Kind: CalleeAdded, Registration: id, URI: n.URI, Session: s, Resync: true})
			}
		default:
			if o.URI == "" {
				r.notify(Change{Kind: Created, Registration: id, URI: n.URI, Resync: true})
			}
			for _, s := range missing(n.Callees, o.Callees) {
				r.notify(Change{Kind: CalleeAdded, Registration: id, URI: n.URI, Session: s, Resync: true})
			}
		}
	}
}

func sameRegistration(a, b *RegistrationInfo) bool {
	return a.URI == b.URI && a.Match == b.Match
}

// missing returns the elements of a that b lacks, counting repeats (a
// session may be a callee of one registration more than once).
func missing(a, b []client.ID) []client.ID {
	left := map[client.ID]int{}
	for _, s := range b {
		left[s]++
	}
	var out []client.ID
	for _, s := range a {
		if left[s] > 0 {
			left[s]--
			continue
		}
		out = append(out, s)
	}
	return out
}
