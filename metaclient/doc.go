// Package metaclient is a typed client of the WAMP registration meta-API:
// the wamp.registration.* procedures, the four lifecycle events, and a live
// registry built from them.
//
//	m := metaclient.New(c)
//	regs, err := m.UserRegistrations(ctx) // every registration but the router's own
//	for _, reg := range regs {
//		callees, _ := m.ListCallees(ctx, reg.ID)
//		fmt.Println(reg.URI, reg.Match, reg.Invoke, callees)
//	}
//	id, found, err := m.Lookup(ctx, "com.example.add", metaclient.Exact)
//	err = m.RemoveCallee(ctx, id, session, "wamp.error.maintenance") // needs an admin role
//
// # Routers differ
//
// Routers answer in different shapes (see DESIGN.md, "Routers differ");
// every wrapper accepts all of them: "none" as 0 (nexus) or null
// (Crossbar), one ID or a list for match, null or absent lists, "" for
// exact/single (nexus echoes the REGISTER options), created with or without
// fractional seconds and with Z, "+02:00" or "-1000" (nexus), IDs as any
// integer width (msgpack, CBOR), JSON float64 or json.Number. An answer
// that fits none of them is an error naming the procedure and the value,
// never a zero value. [Client.List] includes the router's own wamp.*
// procedures on nexus; [Client.UserRegistrations] and
// [Registration.IsMeta] leave them out.
//
// The shapes absorbed, router by router (read in their sources):
//   - nexus: "none" is 0; match is one ID; match and invoke echo "" for
//     exact and single; created is local time with a "-1000" offset; list
//     includes its own wamp.* procedures; no remove_callee.
//   - Crossbar: "none" is null; match and lookup answer one ID or null;
//     created is RFC 3339 with fractions; registrations forwarded by
//     router-to-router links fire no meta events (WaitForProcedure
//     re-checks every second for them).
//   - Bondy: match answers a list of IDs (the first is the route);
//     lookup answers with no arguments when nothing matches;
//     list_callees and count_callees answer wamp.error.not_implemented
//     and remove_callee is missing (both [ErrNotSupported]); on_delete
//     may never be published, so the [Registry] deletes a registration
//     when its last callee's on_unregister arrives (an on_delete that
//     follows, as nexus and Crossbar send it, changes nothing). Without
//     list_callees the registry still watches: a registration's Callees
//     are those its on_register events brought since Watch (empty for
//     one read in the snapshot; best effort: one that arrives while the
//     registry reads the router again may be missed), and a callee leaving that it does not
//     know makes it read the registration again with get, which finds
//     the registration gone when it was the last.
//
// Errors stay matchable with errors.Is and say what is missing:
// client.ErrNoSuchRegistration, client.ErrNoSuchSession,
// client.ErrNotAuthorized, and [ErrNotSupported] (with the router's own
// error, client.ErrNoSuchProcedure or wamp.error.not_implemented, still in
// the chain) from a router without the procedure:
//
//	metaclient: remove_callee: the router does not implement wamp.registration.remove_callee: ...
//
// # Waiting for a procedure
//
// [Client.WaitForProcedure] returns once a call of a URI would reach a
// callee: an exact registration of it, or a prefix or wildcard pattern
// that matches it (the router decides, through wamp.registration.match).
// It wakes on the lifecycle events and re-checks at least every second
// (registrations that fire no events, such as those of Crossbar's
// router-to-router links); without meta events it polls, 20ms backing off
// to 1s; without match it asks lookup for an exact registration.
//
// # Events
//
// [Client.OnCreate], [Client.OnRegister], [Client.OnUnregister] and
// [Client.OnDelete] subscribe to one event kind each; [Client.OnEvents]
// delivers all four through one subscription. Either way the handlers see
// the events in the order the router published them (the client delivers
// the events of all its subscriptions in order, see client.Client.Subscribe):
// on_create before on_register, on_unregister before on_delete. Several
// metaclients (or OnEvents beside Watch) on one client share the router
// subscriptions and each receives every event. Meta events arrive after the REGISTERED or UNREGISTERED
// reply, so code that registers and then expects an event must wait for
// it. A malformed event is skipped and reported through [WithErrorHandler]
// or [WithLogger]; nothing is printed by default and nothing panics.
//
// # Registry
//
// [Client.Watch] builds a [Registry]: a consistent in-memory view of every
// registration and its callees, with lookup by ID and by URI and match,
// [Registry.Snapshot], and change notifications on [Registry.Changes]
// (never blocking: a full buffer drops notifications, never view updates;
// see [Registry.Changes]).
//
//	reg, err := m.Watch(ctx)
//	defer reg.Close(ctx)
//	for ch := range reg.Changes() {
//		info, ok := reg.Get(ch.Registration)
//		...
//	}
//
// How it stays consistent: it subscribes to the four events first (one
// prefix subscription, so they arrive in publication order), then reads
// list, get and list_callees. Events that arrive during the read are
// queued; afterwards every registration they touched is read again, until
// a round brings no new events, and only then does the view go live. A
// change therefore lands either in what was read or in an event that is
// applied or causes a re-read: there is no gap. Queued events are not
// replayed blindly, because the snapshot may already reflect them and
// callee lists are not sets.
//
// Routers publish the events of different sessions concurrently (nexus
// sends them from each session's goroutine), so a second callee's
// on_register may overtake the first one's, or even the on_create it
// follows. The registry notices such crossings and reads the registration
// again about 20ms later. Where events were lost (the subscription was
// restored after a reconnect or a router restart, or the client dropped
// events at its queue bound: client.SubscribeOptions.OnGap tells it, in the event order) it
// rebuilds the whole view the same way and notifies what changed meanwhile
// (created, callees added or removed, deleted; Change.Resync set), then
// Resynced: applying the notifications in order gives the view. After any
// quiet point the view equals what list, get and list_callees report.
//
// A [Client] and a [Registry] are safe for concurrent use.
package metaclient
