// Package wire holds what wampkit adds on top of nexus's message layer: the
// messages nexus cannot represent (a router-initiated UNREGISTERED with its
// Details), a serializer wrapper that recovers them and reports malformed
// input instead of dropping it, a MsgPack fast path for the messages of every
// call and event (msgpack.go: what nexus's serializer gives, without its
// reflection), and a rawsocket framing that accepts any serializer.
//
//	ser, _ := wire.NewSerializer(serialize.MSGPACK)
//	msg, _ := ser.Deserialize(frame)
//	switch m := msg.(type) {
//	case *wire.Unregistered: // m.Details["registration"], m.Details["reason"]
//	case *wire.Malformed:    // m.Err says why the frame is not a WAMP message
//	}
//
//	peer, err := wire.HandshakeRawSocket(ctx, conn, serialize.CBOR, ser) // a wamp.Peer
package wire
