package wire

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/gammazero/nexus/v3/transport/serialize"
	"github.com/gammazero/nexus/v3/wamp"
)

// Rawsocket frame types and serializer codes (WAMP spec, "RawSocket
// Transport").
const (
	rawMagic     = 0x7f
	frameRegular = 0
	framePing    = 1
	framePong    = 2
	rawMaxLenExp = 0xf // 2^(9+15) = 16 MiB
	// rawMaxFrame is the largest payload a frame's 24-bit length carries:
	// an announced limit of 2^24 bytes means 2^24-1 in practice.
	rawMaxFrame    = 1<<24 - 1
	rawQueueLength = 64

	// rawReadBuffer is the reader's buffer: one read system call brings in
	// every frame the router has written so far (nexus writes a frame's
	// header and payload separately).
	rawReadBuffer = 64 << 10
	// rawKeepBuffer is the largest read buffer kept for the next frame.
	rawKeepBuffer = 1 << 20
)

func rawSerializerCode(s serialize.Serialization) (byte, error) {
	switch s {
	case serialize.JSON:
		return 1, nil
	case serialize.MSGPACK:
		return 2, nil
	case serialize.CBOR:
		return 3, nil
	}
	return 0, fmt.Errorf("wire: rawsocket: unsupported serialization %d", s)
}

var rawHandshakeErrors = map[byte]string{
	0: "illegal (must not be used)",
	1: "serializer unsupported",
	2: "maximum message length unacceptable",
	3: "use of reserved bits (unsupported feature)",
	4: "maximum connection count reached",
}

// RawSocketPeer is a WAMP rawsocket connection using any of the
// Serializers, on the client side (HandshakeRawSocket) or the router's
// (AcceptRawSocket). It implements wamp.Peer. Its two goroutines (reader, writer)
// end when Close is called or the connection fails; Close waits for both.
type RawSocketPeer struct {
	link
	conn  net.Conn
	ser   *Serializer
	limit int // the largest message the other side accepts
	// readLimit is the largest message read: on the client the router's
	// limit too, on the router its own.
	readLimit int
	unsent    unsentReport
	pingSeq   uint32 // the last ping's number (writer only)
}

// HandshakeRawSocket performs the client handshake on conn and starts the
// peer, without keepalive pings. ctx bounds the handshake only.
func HandshakeRawSocket(ctx context.Context, conn net.Conn, s serialize.Serialization, ser *Serializer) (*RawSocketPeer, error) {
	return HandshakeRawSocketKeepAlive(ctx, conn, s, ser, 0)
}

// HandshakeRawSocketKeepAlive is HandshakeRawSocket with keepalive: above
// zero, the peer sends a rawsocket PING frame at that interval and drops
// the connection when nothing came in for a whole interval after a ping
// (so a stalled link is dropped within two intervals).
func HandshakeRawSocketKeepAlive(ctx context.Context, conn net.Conn, s serialize.Serialization, ser *Serializer, keepAlive time.Duration) (*RawSocketPeer, error) {
	code, err := rawSerializerCode(s)
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	if _, err := conn.Write([]byte{rawMagic, rawMaxLenExp<<4 | code, 0, 0}); err != nil {
		return nil, fmt.Errorf("wire: rawsocket handshake: %w", err)
	}
	var reply [4]byte
	if _, err := io.ReadFull(conn, reply[:]); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("wire: rawsocket handshake: %w", ctx.Err())
		}
		return nil, fmt.Errorf("wire: rawsocket handshake: %w", err)
	}
	if reply[0] != rawMagic {
		return nil, errors.New("wire: rawsocket handshake: the server is not a WAMP rawsocket endpoint")
	}
	if reply[1]&0x0f == 0 {
		return nil, fmt.Errorf("wire: rawsocket handshake refused: %s", rawHandshakeErrors[reply[1]>>4])
	}
	if reply[1]&0x0f != code {
		return nil, fmt.Errorf("wire: rawsocket handshake: server chose serializer %d, asked for %d", reply[1]&0x0f, code)
	}
	// We send no more than the router announced, and read no more than we
	// announced (2^24 bytes, which the frame's length cannot exceed).
	limit := min(1<<(9+int(reply[1]>>4)), rawMaxFrame)
	p := &RawSocketPeer{conn: conn, ser: ser, limit: limit, readLimit: min(1<<(9+rawMaxLenExp), rawMaxFrame)}
	p.alive.interval = keepAlive
	p.init(conn, conn, p, rawQueueLength)
	p.start(p.readLoop, p.writeLoop)
	return p, nil
}

// AcceptRawSocket performs the router side of the handshake on conn: it
// reads the client's request, answers with the serializer the client asked
// for (or refuses one it does not know with "serializer unsupported") and
// starts the peer, which serializes with the Serializer serializer gives for
// the client's choice. The caller bounds the handshake with a deadline on
// conn.
func AcceptRawSocket(conn net.Conn, serializer func(serialize.Serialization) (*Serializer, error)) (*RawSocketPeer, error) {
	var hello [4]byte
	if _, err := io.ReadFull(conn, hello[:]); err != nil {
		return nil, fmt.Errorf("wire: rawsocket handshake: %w", err)
	}
	if hello[0] != rawMagic {
		return nil, errors.New("wire: rawsocket handshake: the client is not a WAMP rawsocket client")
	}
	if hello[2] != 0 || hello[3] != 0 {
		_, _ = conn.Write([]byte{rawMagic, 3 << 4, 0, 0})
		return nil, errors.New("wire: rawsocket handshake: reserved bits set")
	}
	var s serialize.Serialization
	switch code := hello[1] & 0x0f; code {
	case 1:
		s = serialize.JSON
	case 2:
		s = serialize.MSGPACK
	case 3:
		s = serialize.CBOR
	}
	var ser *Serializer
	err := fmt.Errorf("wire: rawsocket handshake: unsupported serializer %d", hello[1]&0x0f)
	if s != 0 {
		ser, err = serializer(s)
	}
	if err != nil {
		_, _ = conn.Write([]byte{rawMagic, 1 << 4, 0, 0})
		return nil, err
	}
	if _, err := conn.Write([]byte{rawMagic, rawMaxLenExp<<4 | hello[1]&0x0f, 0, 0}); err != nil {
		return nil, fmt.Errorf("wire: rawsocket handshake: %w", err)
	}
	p := &RawSocketPeer{conn: conn, ser: ser, limit: min(1<<(9+int(hello[1]>>4)), rawMaxFrame),
		readLimit: min(1<<(9+rawMaxLenExp), rawMaxFrame)}
	p.init(conn, conn, p, rawQueueLength)
	p.start(p.readLoop, p.writeLoop)
	return p, nil
}

// Close closes the connection and waits for the peer's goroutines.
func (p *RawSocketPeer) Close() { p.closeWith(nil) }

func (p *RawSocketPeer) readLoop() {
	r := bufio.NewReaderSize(p.conn, rawReadBuffer)
	var (
		header [4]byte
		buf    []byte // reused for every frame that fits
	)
	for {
		if _, err := io.ReadFull(r, header[:]); err != nil {
			return
		}
		p.alive.heard.Store(true)
		n := int(header[1])<<16 | int(header[2])<<8 | int(header[3])
		if n > p.readLimit {
			p.deliver(&Malformed{Err: fmt.Errorf("wire: rawsocket frame of %d bytes exceeds limit %d", n, p.readLimit), Size: n}, 0)
			return
		}
		if cap(buf) < n || cap(buf) > rawKeepBuffer {
			buf = make([]byte, n)
		}
		buf = buf[:n]
		if _, err := io.ReadFull(r, buf); err != nil {
			return
		}
		p.alive.heard.Store(true)
		switch header[0] & 0x07 {
		case frameRegular:
			if !p.deliver(p.ser.DeserializeBorrowed(buf), n) {
				return
			}
		case framePing:
			select {
			case p.pongs <- bytes.Clone(buf):
			default: // a pong is owed already
			}
		case framePong:
		default:
			p.deliver(&Malformed{Err: fmt.Errorf("wire: rawsocket frame type %d", header[0]&0x07), Size: n}, 0)
			return
		}
	}
}

func (p *RawSocketPeer) appendPing(batch []byte) []byte {
	p.pingSeq++
	var seq [4]byte
	binary.BigEndian.PutUint32(seq[:], p.pingSeq)
	return appendFrame(batch, framePing, seq[:])
}

func (p *RawSocketPeer) appendPong(batch, data []byte) []byte {
	return appendFrame(batch, framePong, data)
}

// appendMessage appends msg's frame to batch. A message that cannot be
// serialized, or is larger than the other side accepts, is not sent and is
// reported (see OnUnsent) and the connection stays up; without an OnUnsent
// function (the router's side) that is an error that drops the connection.
func (p *RawSocketPeer) appendMessage(batch []byte, msg wamp.Message) ([]byte, error) {
	start := len(batch)
	// Serialized in place, after a header whose length is filled in below.
	batch, err := p.ser.Append(append(batch, frameRegular, 0, 0, 0), msg)
	if err != nil {
		err = fmt.Errorf("%w: %w", ErrUnencodable, err)
		if p.unsent.report(msg, err) {
			err = nil
		}
		return batch[:start], err
	}
	n := len(batch) - start - 4
	if n > p.limit {
		var err error = &TooLargeError{Size: n, Limit: p.limit}
		if p.unsent.report(msg, err) {
			err = nil
		}
		return batch[:start], err
	}
	batch[start+1], batch[start+2], batch[start+3] = byte(n>>16), byte(n>>8), byte(n)
	return batch, nil
}

func appendFrame(batch []byte, kind byte, b []byte) []byte {
	n := len(b)
	batch = append(batch, kind, byte(n>>16), byte(n>>8), byte(n))
	return append(batch, b...)
}

// OnUnsent sets f to be told, on the goroutine that writes (the writer, or
// a sender writing through, see SendContext), of every message
// that was not sent because it could not be serialized (an error matching
// ErrUnencodable) or is larger than the router accepts (a *TooLargeError).
// f must not block.
func (p *RawSocketPeer) OnUnsent(f func(msg wamp.Message, err error)) { p.unsent.set(f) }

// MaxMessage is the largest message the router accepts, in bytes.
func (p *RawSocketPeer) MaxMessage() int { return p.limit }

// EncodedSize is the size of msg serialized (without the frame header).
func (p *RawSocketPeer) EncodedSize(msg wamp.Message) (int, error) { return p.ser.EncodedSize(msg) }
