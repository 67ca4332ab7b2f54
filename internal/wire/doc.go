// Package wire holds what wampkit adds on top of nexus's message layer: the
// messages nexus cannot represent (a router-initiated UNREGISTERED with its
// Details), a serializer wrapper that recovers them and reports malformed
// input instead of dropping it, and a rawsocket framing that accepts any
// serializer.
package wire
