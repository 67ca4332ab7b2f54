// Package wire holds what wampkit adds on top of nexus's message layer:
//
//   - the messages nexus cannot represent (a router-initiated UNREGISTERED
//     with its Details);
//
//   - a Serializer wrapper that recovers them and reports malformed input
//     instead of dropping it, and writes every message spec-shaped (spec.go:
//     no null where the spec has a list or a dictionary, binary in the
//     spec's forms under JSON too), which nexus's serializers do not;
//
//   - JSON, MsgPack and CBOR fast paths for the messages of every call and
//     event (fastpath.go): exactly what the spec-shaped fallback gives,
//     without nexus's reflection, in about a third of the time or less and
//     at most half the allocations;
//
//   - the client's network peers: rawsocket framing that accepts any
//     serializer, and a websocket peer; both read into and serialize into
//     reused buffers.
//
//     ser, _ := wire.NewSerializer(serialize.MSGPACK)
//     msg, _ := ser.Deserialize(frame)
//     switch m := msg.(type) {
//     case *wire.Unregistered: // m.Details["registration"], m.Details["reason"]
//     case *wire.Malformed:    // m.Err says why the frame is not a WAMP message
//     }
//
//     peer, err := wire.HandshakeRawSocket(ctx, conn, serialize.CBOR, ser) // a wamp.Peer
//     peer := wire.NewWebsocketPeer(wsConn, ser, true, 30*time.Second)     // a wamp.Peer
package wire
