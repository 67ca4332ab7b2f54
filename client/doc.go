// Package client connects to a WAMP router and is the untyped core of
// wampkit: sessions, reconnect, registrations, subscriptions, calls and
// typed errors. The typed packages (callee, caller, metaclient) are free
// functions over a *Client.
//
// Connect dials a router URL — ws:// and wss:// (websocket), tcp:// and
// tcps:// (rawsocket), unix:// (rawsocket over a Unix socket); the test kit
// client/wamptest also connects clients to its router in the same process,
// through an in-memory link (Router.Connect). The API has no nexus type:
// the in-process link is the kit's.
//
//	c, err := client.Connect(ctx, "ws://127.0.0.1:8080/ws",
//		client.WithRealm("realm1"),
//		client.WithSerialization(client.MsgPack),
//		client.WithTicket("svc", os.Getenv("TICKET")),
//		client.WithLogger(slog.Default()))
//	if err != nil {
//		return err
//	}
//	defer c.Close(ctx)
//
//	reg, err := c.Register(ctx, "com.example.echo",
//		func(ctx context.Context, inv *client.Invocation) (client.Payload, error) {
//			return inv.Payload(), nil
//		}, client.RegisterOptions{})
//
//	res, err := c.Call(ctx, client.CallRequest{
//		Procedure: "com.example.echo",
//		Payload:   client.Payload{Args: []any{"hi"}},
//	}, nil)
//
// # Request options
//
// Connect takes functional options ([Option]; a nil Option is ignored, in
// every wampkit package). Each raw request takes its options as one struct,
// as net/http does with its Request: [RegisterOptions], [SubscribeOptions],
// [PublishOptions] and [CallRequest]. Their zero value is the router's
// default. The options WAMP defines are typed fields (Match, Invoke,
// Timeout...); Extra holds the keys of router extensions. A key of Extra
// that a field covers ("match", "timeout"...) is read into that field: it
// must hold a valid value, and agree with the field when both are set. A
// bad value fails the request with an error wrapping [ErrInvalidOption]
// before anything is sent. The client copies what it keeps and never
// modifies what it is given. The typed packages (callee, caller,
// metaclient) build these structs from their own functional options, and
// the client builds the WAMP options dictionary from them, once, where the
// message is made; the router feature checks read the fields.
//
// # Values
//
// Payload values a client receives (an invocation's [Invocation.Payload] and
// [Invocation.Details], a [Result], an [Event], an [*Error]'s arguments, the
// router's WELCOME details) hold only these Go types, over every transport
// and serializer, the in-process link of client/wamptest included:
//
//	nil, bool, string, []byte,
//	int64   every integer that fits one
//	uint64  integers above math.MaxInt64 only
//	float64 numbers with a fraction (float32 is widened)
//	[]any, map[string]any
//
// The in-process link has wire semantics: each receiver gets a deep copy in
// these types, as after a serializer round trip, so a handler tested in
// process sees int64(5) where the caller sent int8(5), as it would over
// the network, and shares no memory with the sender. (Where no code can
// tell, the copy is skipped: the typed packages' own encoded arguments and
// answers, which nothing modifies once sent, are read in place by a typed
// decoder that copies what it keeps. Over a wire transport the typed
// packages go further: their arguments and answers are written straight
// into the session's serialization, and a typed call's result or a typed
// handler's input is read straight from the bytes received; interceptors,
// Invocation.Payload and untyped readers always get the types above.)
// Values sent raw may be any Go integer, float, string, slice or map with
// string keys (named types included); a struct or json.Marshaler travels
// as encoding/json writes it.
// A value no serializer can carry (a channel, a function, a complex number,
// a map with other keys) fails the call before anything is sent, on every
// transport, with [ErrInvalidPayload] naming the value. Over the in-process
// link, so does a message over 16 MiB (less 64 KiB) in MessagePack, with
// [ErrMessageTooLarge]: the router would forward it to sessions on the
// network that could not take it.
//
// What the serializers cannot carry stays a limit of the peer at the other
// end: JSON has no binary type unless both sides follow WAMP's "\x00"+base64
// convention and cannot carry NaN or the infinities (a client using JSON
// refuses them with [ErrInvalidPayload] rather than send null), and a
// JavaScript peer reads integers above 2^53 inexactly (wampkit reads them exactly); a
// MsgPack timestamp or CBOR time tag sent by another peer arrives as a
// time.Time.
//
// # Router features
//
// The client reads the roles and features the router announces in WELCOME
// on every session ([Client.RouterFeatures], so after a reconnect they are
// the new router's). A request that needs a feature the router does not
// announce fails before anything is sent, with a [*FeatureError] naming it
// (errors.Is(err, [ErrFeatureNotSupported])), instead of being silently
// downgraded by a router that ignores the option:
//
//	match "prefix" or "wildcard" on Register   pattern_based_registration
//	invoke other than "single"                  shared_registration
//	disclose_caller (Register), disclose_me     caller_identification
//	a call timeout, forward_timeout             call_timeout
//	ReceiveProgress / a streamed call           progressive_call_results / progressive_call_invocations
//	an explicit CancelMode                      call_canceling
//	match "prefix" or "wildcard" on Subscribe   pattern_based_subscription (broker)
//
// Without call_canceling, a call whose context ends (or that is canceled)
// ends at once without sending CANCEL, which such a router would not
// understand; the call may still run at the router. A registration restored
// after a reconnect to a router lacking what it needs ends (Done, Err) with
// the feature error, reported to [WithRestoreErrorHandler].
//
// What routers announce, as read in their sources: nexus v3.3.0 announces
// every feature above but registration_revocation (it never revokes);
// wampkit's reference router announces them all, registration_revocation
// included, which it implements (remove_callee); fox-wamp 0.7.28 announces
// only progressive_call_results (and session_meta_api) on its dealer, and
// reads neither match nor invoke on REGISTER, nor timeout or disclose_me on
// CALL, and ignores CANCEL, so each is refused here rather than lost there.
// xconn-go's nxt (v0.1.0) announces progressive_call_invocations and
// call_canceling but not progressive_call_results, which its dealer
// implements: the client takes the first as implying the second.
// Crossbar.io applies CALL timeouts without announcing call_timeout, and
// reads them in seconds where the spec says milliseconds: the client knows
// Crossbar by the x_cb_* keys of its WELCOME and sends it whole seconds,
// rounded up ([WithCallTimeoutUnit] names the unit where the WELCOME does
// not show it, [Client.CallTimeoutUnit] tells which is in use). For any
// other router that supports a feature silently, [WithRouterFeatures] takes
// its word. registration_revocation gates no request: a registration's Done reports a revocation only from a router
// that announces it.
//
// # Errors
//
// Every failed operation returns an [*OpError] naming the operation and
// its procedure, topic or realm once ("client: call com.example.echo:
// ..."); the typed packages hand it on as they got it. Its cause is
// inspectable with errors.Is and errors.As:
//
//   - an ERROR answered by the router or a callee is an [*Error] carrying
//     the URI, args and kwargs; errors.Is matches it against the sentinels
//     ([ErrNoSuchProcedure], [ErrCanceled], ...) by URI, and [IsRemote]
//     and [URIOf] tell it from the rest;
//   - failures on this side are local sentinels: [ErrNotConnected],
//     [ErrClosed], [ErrConnectionLost], [ErrProtocol], [ErrInvalidPayload],
//     [ErrMessageTooLarge], [ErrInvalidOption]; a URI that is not valid
//     fails before anything is sent, matching [ErrInvalidURI] without being
//     remote; [OpError.Sent] and [SafeToRetry] tell whether the request may
//     have reached the router;
//   - a call ended by its context matches ctx's error and [ErrCanceled];
//     inside a handler, [Invocation.Progress] and [Invocation.NextInput]
//     return [ErrInvocationDone] once the call is over.
//
// # Reconnect
//
// When the transport is lost the client reconnects with exponential backoff
// (configure with [WithReconnect], turn off with [WithoutReconnect]),
// rejoins the realm and registers and subscribes again everything made
// through it: [*Registration] and [*Subscription] are durable handles whose
// router IDs may change. Calls in flight fail with ErrConnectionLost; calls
// made while reconnecting wait for the connection up to their ctx (or fail
// at once with [WithFailFast]). The state is observable with [Client.State],
// [Client.WaitForStateChange] and [Client.WaitState] (which start no
// goroutine), and through listeners ([WithStateListener], as many as
// needed), called in order on one goroutine of the client.
//
// # Several routers
//
// [WithFailover] names routers to use after the one given to Connect. The
// first connect tries them in order; after a lost session the client tries
// the next router at once and walks the list round by round, with the
// reconnect backoff between rounds, restoring registrations and
// subscriptions on whichever router answers (handles stay valid).
// [Client.URL] and [WithStateListener] say which router is in use.
// [WithConnectRetry] makes the first Connect wait for a router the same
// way, until its ctx ends, instead of failing when none answers.
//
// [Client.Drain] takes a callee out of service without failing a call: it
// unregisters everything and waits for the router's confirmation (so calls
// of a shared registration go to the other callees), lets the invocations
// in flight finish (bounded by its ctx), then closes.
//
// # Concurrency
//
// A *Client is safe for concurrent use. Each invocation handler runs on a
// goroutine of its own (taken from a per-session pool of idle ones, so the
// next handler does not start on a fresh stack). Event handlers run one at a
// time, in the order the router sent the events across all the client's
// subscriptions (the spec's ordering guarantee), on one delivery goroutine
// of the client, off the read loop: a slow event handler never delays call
// results or invocations, only later events. [SubscribeOptions].ConcurrentDelivery gives a
// subscription its own delivery goroutine instead. Events wait in queues
// bounded in bytes ([WithEventQueueBytes]); at the bound new events are
// dropped and counted ([Subscription.Dropped], [SubscribeOptions].OnGap). Subscribing to one
// topic several times gives every handle every event over one router
// subscription. Nothing runs on the read loop or under the client's locks.
// Every goroutine belongs to the client: when [Client.Close] returns, the
// only ones that may still run are application code (a listener or an event
// handler that was running, possibly the caller of Close; an invocation
// handler that ignored its canceled context past Close's ctx), each ending
// when that code returns, and [Client.Done] is closed once no listener or
// event handler runs. Close may be called from any callback. The client never prints; give it a *slog.Logger with
// [WithLogger] to see what it reports.
package client
