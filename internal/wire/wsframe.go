package wire

import (
	"crypto/rand"
	"encoding/binary"
	"slices"
)

// Websocket frames as a client sends them (RFC 6455, section 5): the
// WebsocketPeer frames its messages itself so that several go out in one
// write. Every frame is final (messages are not fragmented), and masked
// with a key of its own, as a client's frames must be.

// Websocket opcodes (RFC 6455, section 5.2).
const (
	wsText   = 0x1
	wsBinary = 0x2
	wsPing   = 0x9
	wsPong   = 0xa
)

const (
	wsFinal = 0x80 // first byte: the message's last frame
	wsMask  = 0x80 // second byte: the payload is masked
)

// wsKeys hands out masking keys, which RFC 6455 (section 5.3) wants
// unpredictable and "derived from a strong source of entropy": drawn from
// crypto/rand, a pool of them at a time, so a batch of frames costs one
// draw rather than one per frame. The zero value is ready.
type wsKeys struct {
	pool [256]byte
	used int // bytes of pool handed out; 0: the pool is drawn afresh
}

// next returns a fresh key, its four bytes in wire order read as a
// little-endian word.
func (k *wsKeys) next() uint32 {
	if k.used == 0 {
		_, _ = rand.Read(k.pool[:]) // never fails (crypto/rand)
	}
	key := binary.LittleEndian.Uint32(k.pool[k.used:])
	k.used = (k.used + 4) % len(k.pool)
	return key
}

// appendWSFrame appends a final, masked frame with the opcode and payload.
func appendWSFrame(batch []byte, opcode byte, key uint32, payload []byte) []byte {
	n := len(payload)
	switch {
	case n <= 125:
		batch = append(batch, wsFinal|opcode, wsMask|byte(n))
	case n <= 0xffff:
		batch = append(batch, wsFinal|opcode, wsMask|126, byte(n>>8), byte(n))
	default:
		batch = append(batch, wsFinal|opcode, wsMask|127)
		batch = binary.BigEndian.AppendUint64(batch, uint64(n))
	}
	batch = binary.LittleEndian.AppendUint32(batch, key)
	start := len(batch)
	batch = slices.Grow(batch, n)[:start+n]
	maskCopy(batch[start:], payload, key)
	return batch
}

// maskCopy copies src into dst (as long), masked with key (RFC 6455,
// section 5.3: byte i XOR key byte i mod 4), eight bytes at a time.
func maskCopy(dst, src []byte, key uint32) {
	dst = dst[:len(src)]
	k := uint64(key) | uint64(key)<<32
	i := 0
	for ; len(src)-i >= 32; i += 32 {
		d, s := dst[i:i+32], src[i:i+32]
		binary.LittleEndian.PutUint64(d[0:], binary.LittleEndian.Uint64(s[0:])^k)
		binary.LittleEndian.PutUint64(d[8:], binary.LittleEndian.Uint64(s[8:])^k)
		binary.LittleEndian.PutUint64(d[16:], binary.LittleEndian.Uint64(s[16:])^k)
		binary.LittleEndian.PutUint64(d[24:], binary.LittleEndian.Uint64(s[24:])^k)
	}
	for ; len(src)-i >= 8; i += 8 {
		binary.LittleEndian.PutUint64(dst[i:], binary.LittleEndian.Uint64(src[i:])^k)
	}
	for ; i < len(src); i++ { // i is a multiple of 8 here, so i&3 counts from 0
		dst[i] = src[i] ^ byte(k>>(8*(i&3)))
	}
}
