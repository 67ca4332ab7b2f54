// Package client connects to a WAMP router and is the untyped core of
// wampkit: sessions, reconnect, registrations, subscriptions, calls and
// typed errors. The typed packages (callee, caller, metaclient) are free
// functions over a *Client.
//
// Connect dials a router URL — ws:// and wss:// (websocket), tcp:// and
// tcps:// (rawsocket), unix:// (rawsocket over a Unix socket) — or
// ConnectLocal attaches to a router in the same process:
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
//		}, nil)
//
//	res, err := c.Call(ctx, client.CallRequest{
//		Procedure: "com.example.echo",
//		Payload:   client.Payload{Args: []any{"hi"}},
//	}, nil)
//
// # Values
//
// Payload values a client receives (an invocation's [Invocation.Payload] and
// [Invocation.Details], a [Result], an [Event], an [*Error]'s arguments, the
// router's WELCOME details) hold only these Go types, over every transport
// and serializer, the in-process link of [ConnectLocal] included:
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
// the network, and shares no memory with the sender. Values sent raw may be
// any Go integer, float, string, slice or map with string keys (named types
// included); a struct or json.Marshaler travels as encoding/json writes it.
// A value no serializer can carry (a channel, a function, a complex number,
// a map with other keys) fails the call with [ErrInvalidArgument], its
// message naming the value.
//
// What the serializers cannot carry stays a limit of the peer at the other
// end: JSON has no binary type unless both sides follow WAMP's "\x00"+base64
// convention, writes NaN and the infinities as null, and a JavaScript peer
// reads integers above 2^53 inexactly (wampkit reads them exactly); a
// MsgPack timestamp or CBOR time tag sent by another peer arrives as a
// time.Time.
//
// # Errors
//
// An ERROR answered by the router or a callee is an [*Error] carrying the
// URI, args and kwargs; errors.Is matches it against the sentinels
// ([ErrNoSuchProcedure], [ErrCanceled], ...) by URI. Failures on this side
// are [*LocalError]s wrapping [ErrNotConnected], [ErrClosed] or
// [ErrConnectionLost]; [SafeToRetry] tells whether the request was sent.
// A URI that is not valid fails before anything is sent, matching
// [ErrInvalidURI].
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
// [Client.WaitState] and [WithStateCallback].
//
// # Concurrency
//
// A *Client is safe for concurrent use. Each invocation handler runs on a
// goroutine of its own (taken from a per-session pool of idle ones, so the
// next handler does not start on a fresh stack). Event handlers run one at a
// time, in the order the router sent the events across all the client's
// subscriptions (the spec's ordering guarantee), on one delivery goroutine
// of the client, off the read loop: a slow event handler never delays call
// results or invocations, only later events. [ConcurrentDelivery] gives a
// subscription its own delivery goroutine instead. Events wait in queues
// bounded in bytes ([WithEventQueueBytes]); at the bound new events are
// dropped and counted ([Subscription.Dropped], [OnGap]). Subscribing to one
// topic several times gives every handle every event over one router
// subscription. Nothing runs on the read loop or under the client's locks.
// Every goroutine belongs to the client and is gone when [Client.Close]
// returns. The client never prints; give it a *slog.Logger with
// [WithLogger] to see what it reports.
package client
