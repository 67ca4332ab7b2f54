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
// Routers answer in different shapes (see DESIGN.md); every wrapper accepts
// all of them: "none" as 0 or null, one ID or a list for match, null lists,
// "" for exact/single, timestamps with or without fractions and with or
// without a colon in the offset, IDs as any integer width or float. Errors
// stay matchable with errors.Is (client.ErrNoSuchRegistration,
// ErrNoSuchSession, ErrNotAuthorized) and say what is missing; a router
// without remove_callee (nexus, Bondy) gives client.ErrNoSuchProcedure.
//
// OnCreate, OnRegister, OnUnregister and OnDelete subscribe to one event
// kind each; OnEvents delivers all four in the order the router published
// them. A malformed event is reported through WithLogger or
// WithErrorHandler and skipped, never a panic.
//
// Watch builds a [Registry]: a consistent in-memory view of all
// registrations and their callees. It subscribes to the events first, then
// reads the snapshot, then reads again every registration that events
// touched meanwhile, so no change falls between snapshot and events. Routers
// publish the events of different sessions concurrently (nexus does), so a
// registration whose events may have crossed — a second callee joining, an
// on_register before its on_create — is read again shortly after. After a
// reconnect it rebuilds itself. After any quiet point it equals what
// list, get and list_callees report.
//
// A Client and a Registry are safe for concurrent use.
package metaclient
