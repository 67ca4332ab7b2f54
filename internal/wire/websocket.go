package wire

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/gammazero/nexus/v3/wamp"
	"github.com/gorilla/websocket"
)

const (
	// wsQueueLength is the depth of the peer's send and receive queues.
	wsQueueLength = 64
	// wsMaxMessage is the largest message the peer accepts, as for rawsocket.
	wsMaxMessage = 16 << 20
	// wsKeepBuffer is the largest buffer a loop keeps for the next message:
	// one huge message does not pin its buffer.
	wsKeepBuffer = 1 << 20
	// wsControlTimeout bounds writing the closing frame.
	wsControlTimeout = 5 * time.Second
)

// WebsocketPeer is a client-side WAMP websocket connection. It implements
// wamp.Peer. Unlike nexus's websocket peer it reads every message into one
// reused buffer (the Serializer decodes what it keeps out of it), and it
// frames the messages it sends itself (wsframe.go): the messages queued
// behind a write go out together in one write on the connection. Gorilla
// reads; it writes only the closing frame (Close, or its answer to the
// router's). Its two goroutines (reader, writer) end when Close is called
// or the connection fails; Close waits for both.
type WebsocketPeer struct {
	link
	conn   *websocket.Conn
	ser    *Serializer
	opcode byte // wsText or wsBinary
	unsent unsentReport
	sbuf   []byte // the message being framed; under wmu
	keys   wsKeys // masking keys; under wmu
}

// NewWebsocketPeer starts a peer on an open connection. Messages are sent as
// binary frames when binary is set (MsgPack, CBOR), else as text (JSON). A
// keepAlive above zero pings the router at that interval and drops the
// connection when nothing came in for a whole interval after a ping (so a
// stalled link is dropped within two intervals).
func NewWebsocketPeer(conn *websocket.Conn, ser *Serializer, binary bool, keepAlive time.Duration) *WebsocketPeer {
	p := &WebsocketPeer{conn: conn, ser: ser, opcode: wsText}
	if binary {
		p.opcode = wsBinary
	}
	p.alive.interval = keepAlive
	p.init(conn, conn.NetConn(), p, wsQueueLength)
	conn.SetReadLimit(wsMaxMessage)
	conn.SetPongHandler(func(string) error { p.alive.heard.Store(true); return nil })
	// The writer answers pings (gorilla would write the pong itself, on
	// the reader's goroutine, outside the writer's lock).
	conn.SetPingHandler(func(data string) error {
		p.alive.heard.Store(true)
		select {
		case p.pongs <- []byte(data):
		default: // a pong is owed already
		}
		return nil
	})
	p.start(p.readLoop, p.writeLoop)
	return p
}

// Close sends the websocket closing frame, closes the connection and waits
// for the peer's goroutines.
func (p *WebsocketPeer) Close() {
	p.closeWith(func() {
		// The router may have closed first, after a GOODBYE: errors are
		// moot. One write, after the writer ended (or gave up at
		// flushTimeout): a write is never split by another.
		_ = p.conn.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseNormalClosure, "goodbye"), time.Now().Add(wsControlTimeout))
	})
}

func (p *WebsocketPeer) readLoop() {
	var buf bytes.Buffer
	for {
		_, r, err := p.conn.NextReader()
		if err == nil {
			p.alive.heard.Store(true)
			buf.Reset()
			_, err = buf.ReadFrom(r)
			p.alive.heard.Store(true)
		}
		if errors.Is(err, websocket.ErrReadLimit) {
			p.deliver(&Malformed{Err: fmt.Errorf("wire: websocket message exceeds %d bytes", wsMaxMessage), Size: buf.Len()}, 0)
			return
		}
		if err != nil {
			return
		}
		if !p.deliver(p.ser.DeserializeBorrowed(buf.Bytes()), buf.Len()) {
			return
		}
		if buf.Cap() > wsKeepBuffer {
			buf = bytes.Buffer{}
		}
	}
}

// appendMessage appends msg's frame to batch (see framer).
func (p *WebsocketPeer) appendMessage(batch []byte, msg wamp.Message) ([]byte, error) {
	var err error
	if p.sbuf, err = p.ser.Append(p.sbuf[:0], msg); err != nil {
		err = fmt.Errorf("%w: %w", ErrUnencodable, err)
	} else if len(p.sbuf) > wsMaxMessage {
		err = &TooLargeError{Size: len(p.sbuf), Limit: wsMaxMessage}
	}
	if err == nil {
		batch = appendWSFrame(batch, p.opcode, p.keys.next(), p.sbuf)
	}
	if cap(p.sbuf) > wsKeepBuffer {
		p.sbuf = nil
	}
	if err != nil && p.unsent.report(msg, err) {
		err = nil // the session fails that request alone
	}
	return batch, err
}

func (p *WebsocketPeer) appendPing(batch []byte) []byte {
	return appendWSFrame(batch, wsPing, p.keys.next(), []byte("keepalive"))
}

func (p *WebsocketPeer) appendPong(batch, data []byte) []byte {
	return appendWSFrame(batch, wsPong, p.keys.next(), data)
}

// OnUnsent sets f to be told, on the goroutine that writes (the writer, or
// a sender writing through, see SendContext), of every message
// that was not sent because it could not be serialized (an error matching
// ErrUnencodable) or is larger than wsMaxMessage (a *TooLargeError). f must
// not block.
func (p *WebsocketPeer) OnUnsent(f func(msg wamp.Message, err error)) { p.unsent.set(f) }

// MaxMessage is the largest message sent, in bytes: 16 MiB, the limit
// rawsocket negotiates and the one the peer reads.
func (p *WebsocketPeer) MaxMessage() int { return wsMaxMessage }

// EncodedSize is the size of msg serialized.
func (p *WebsocketPeer) EncodedSize(msg wamp.Message) (int, error) { return p.ser.EncodedSize(msg) }
