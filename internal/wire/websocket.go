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
	// wsControlTimeout bounds writing a ping or the closing frame.
	wsControlTimeout = 5 * time.Second
)

// WebsocketPeer is a client-side WAMP websocket connection. It implements
// wamp.Peer. Unlike nexus's websocket peer it reads every message into one
// reused buffer (the Serializer decodes what it keeps out of it) and
// serializes every message into one reused buffer. Its two goroutines
// (reader, writer) end when Close is called or the connection fails; Close
// waits for both.
type WebsocketPeer struct {
	link
	conn   *websocket.Conn
	ser    *Serializer
	kind   int // websocket.TextMessage or websocket.BinaryMessage
	alive  keepalive
	unsent unsentReport
	wbuf   []byte // the serialized message being written; under wmu
}

// NewWebsocketPeer starts a peer on an open connection. Messages are sent as
// binary frames when binary is set (MsgPack, CBOR), else as text (JSON). A
// keepAlive above zero pings the router at that interval and drops the
// connection when nothing came in for a whole interval after a ping (so a
// stalled link is dropped within two intervals).
func NewWebsocketPeer(conn *websocket.Conn, ser *Serializer, binary bool, keepAlive time.Duration) *WebsocketPeer {
	p := &WebsocketPeer{conn: conn, ser: ser, kind: websocket.TextMessage, alive: keepalive{interval: keepAlive}}
	if binary {
		p.kind = websocket.BinaryMessage
	}
	p.init(conn, wsQueueLength)
	p.writeThrough = p.writeMessage
	conn.SetReadLimit(wsMaxMessage)
	conn.SetPongHandler(func(string) error { p.alive.heard.Store(true); return nil })
	p.start(p.readLoop, p.writeLoop)
	return p
}

// Close sends the websocket closing frame, closes the connection and waits
// for the peer's goroutines.
func (p *WebsocketPeer) Close() {
	p.closeWith(func() {
		// The router may have closed first, after a GOODBYE: errors are moot.
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

func (p *WebsocketPeer) writeLoop() {
	tick, stop := p.alive.ticks()
	defer stop()
	for {
		var (
			msg     wamp.Message
			counted int64 // 1 when msg came from SendContext's queue
		)
		select {
		case msg = <-p.wr:
		case msg = <-p.wq:
			counted = 1
		case <-tick:
			if p.alive.lost() {
				p.closeNoWait() // the reader ends, and the session sees the loss
				return
			}
			// WriteControl may run alongside the writes of a sender.
			if err := p.conn.WriteControl(websocket.PingMessage, []byte("keepalive"), time.Now().Add(wsControlTimeout)); err != nil {
				p.closeNoWait()
				return
			}
			continue
		case <-p.flushing:
			p.flush()
			return
		case <-p.closed:
			return
		}
		p.wmu.Lock()
		ok := p.writeMessage(msg, time.Time{})
		p.queuedQ.Add(-counted)
		p.wmu.Unlock()
		if !ok {
			return
		}
	}
}

// writeMessage serializes msg and writes it, under wmu, by the deadline
// unless it is zero (gorilla's deadline: the next write's only); false when the
// connection failed or a message could not be sent and no OnUnsent function
// takes the report (the peer is then closing).
func (p *WebsocketPeer) writeMessage(msg wamp.Message, deadline time.Time) bool {
	var err error
	if p.wbuf, err = p.ser.Append(p.wbuf[:0], msg); err != nil {
		err = fmt.Errorf("%w: %w", ErrUnencodable, err)
	} else if len(p.wbuf) > wsMaxMessage {
		err = &TooLargeError{Size: len(p.wbuf), Limit: wsMaxMessage}
		p.wbuf = nil
	}
	if err != nil {
		if p.unsent.report(msg, err) {
			return true // the session fails that request alone
		}
		p.closeNoWait()
		return false
	}
	if !deadline.IsZero() {
		_ = p.conn.SetWriteDeadline(deadline)
		defer func() { _ = p.conn.SetWriteDeadline(time.Time{}) }()
	}
	if err := p.conn.WriteMessage(p.kind, p.wbuf); err != nil {
		p.closeNoWait()
		return false
	}
	if cap(p.wbuf) > wsKeepBuffer {
		p.wbuf = nil
	}
	return true
}

// flush writes what the session queued before Close (see link.flushing),
// within flushTimeout. What cannot be sent is dropped: the peer is closing.
func (p *WebsocketPeer) flush() {
	p.wmu.Lock() // a sender writing through finishes first
	defer p.wmu.Unlock()
	_ = p.conn.SetWriteDeadline(time.Now().Add(flushTimeout))
	for {
		var msg wamp.Message
		select {
		case msg = <-p.wr:
		case msg = <-p.wq:
		default:
			return
		}
		buf, err := p.ser.Append(nil, msg)
		if err != nil || len(buf) > wsMaxMessage {
			continue
		}
		if p.conn.WriteMessage(p.kind, buf) != nil {
			return
		}
	}
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
func (p *WebsocketPeer) EncodedSize(msg wamp.Message) (int, error) { return encodedSize(p.ser, msg) }
