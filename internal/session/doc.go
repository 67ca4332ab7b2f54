// Package session is wampkit's WAMP session engine: one session over one
// wamp.Peer, from HELLO to GOODBYE.
//
// It owns the protocol state machine that nexus's client package gets wrong
// for an SDK (see DESIGN.md): registrations and subscriptions are keyed by
// router ID, never by URI; router-initiated UNREGISTERED (revocation) is
// delivered with its registration ID and reason; INVOCATION request IDs may
// come in any order; every request takes a context; invocation handlers
// never run on the read loop. Events go, in the order the router sent them,
// to one sink (Config.OnEvent) that only queues them: the client package
// delivers them off the read loop. Handles that share one router
// subscription ID (one topic subscribed twice) each receive every event.
//
// A Session does not reconnect: when its peer goes away it ends, fails what is
// in flight with ErrConnectionLost, and reports through Done. The client
// package builds reconnect and durable handles on top.
//
//	s, err := session.Join(ctx, peer, session.Config{Realm: "realm1"})
//	if err != nil {
//		return err
//	}
//	defer s.Close(ctx)
//	reg, err := s.Register(ctx, "com.example.echo", nil,
//		func(ctx context.Context, inv *session.Invocation) (session.Result, error) {
//			return session.Result{Args: inv.Args}, nil
//		}, nil)
//	call, err := s.StartCall(ctx, session.CallRequest{Procedure: "com.example.echo", Args: wamp.List{1}})
//	res, err := call.Next(ctx) // res.Progress tells a progressive result from the final one
//
// Concurrency: every exported method of *Session, *Call and *Invocation is
// safe for concurrent use, except where a method's doc says otherwise.
package session
