package wire

// Exported for the tests of package wire_test.

// AppendWSFrame appends a final, masked client frame (see appendWSFrame).
func AppendWSFrame(batch []byte, opcode byte, key uint32, payload []byte) []byte {
	return appendWSFrame(batch, opcode, key, payload)
}

// Next draws a masking key as a WebsocketPeer does.
func (k *WSKeys) Next() uint32 { return (*wsKeys)(k).next() }

// WSKeys is the peer's source of masking keys.
type WSKeys wsKeys

// MaskCopy is maskCopy.
var MaskCopy = maskCopy
