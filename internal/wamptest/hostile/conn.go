package hostile

import (
	"errors"
	"math/rand/v2"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gammazero/nexus/v3/transport/serialize"
	"github.com/gammazero/nexus/v3/wamp"
	"github.com/gorilla/websocket"

	"github.com/wampkit/wampkit/internal/wire"
)

// Errors Recv returns.
var (
	// ErrGone: the client closed the connection (or the Router is closing)
	// and everything it sent before has been received.
	ErrGone = errors.New("hostile: connection gone")
	// ErrTimeout: nothing arrived in time.
	ErrTimeout = errors.New("hostile: nothing received in time")
)

// Conn is one client connection as its script sees it. Its methods are for
// the script's goroutine.
type Conn struct {
	// N numbers the Router's connections from 0 in accept order (a
	// reconnecting client's second connection is 1).
	N int
	// Kind is "ws", "tcp" (rawsocket) or "inproc".
	Kind string
	// Serialization is the serializer the client chose (JSON in process).
	Serialization serialize.Serialization

	r      *Router
	ser    *wire.Serializer
	nc     net.Conn        // ws and tcp
	ws     *websocket.Conn // ws
	binary bool            // ws: binary frames
	local  wamp.Peer       // inproc

	wmu      sync.Mutex // writes
	encBuf   []byte     // TrySend's, reused (script goroutine only)
	frameBuf []byte     // rawsocket frames, reused; under wmu
	silent   atomic.Bool
	ignore   atomic.Bool
	mu       sync.Mutex
	inbox    []wamp.Message
	signal   chan struct{}
	gone     chan struct{} // the reader ended: the client left
	cutOnce  sync.Once
	cutting  chan struct{} // the router side closes the connection
	localMu  sync.Mutex    // guards sends on local against its Close
	localOff bool
}

func newConn(r *Router, kind string, s serialize.Serialization, nc net.Conn) *Conn {
	if s == serialize.AUTO {
		s = serialize.JSON
	}
	ser, _ := wire.NewSerializer(s)
	return &Conn{Kind: kind, Serialization: s, r: r, ser: ser, nc: nc,
		signal: make(chan struct{}, 1), gone: make(chan struct{}), cutting: make(chan struct{})}
}

// cut closes the connection from the router's side. Idempotent.
func (c *Conn) cut() {
	c.cutOnce.Do(func() {
		close(c.cutting)
		switch {
		case c.local != nil:
			c.localMu.Lock()
			c.localOff = true
			c.local.Close()
			c.localMu.Unlock()
		case c.nc != nil:
			_ = c.nc.Close()
		}
	})
}

// Close closes the connection from the router's side (no GOODBYE, no
// closing handshake), as a crashing router would.
func (c *Conn) Close() { c.cut() }

// Gone is closed when the client has left (its side of the connection
// closed) or the connection was cut.
func (c *Conn) Gone() <-chan struct{} { return c.gone }

// WaitGone waits up to d for the client to leave and reports whether it did.
func (c *Conn) WaitGone(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-c.gone:
		return true
	case <-t.C:
		return false
	}
}

// exit ends the script quietly.
func (c *Conn) exit() { runtime.Goexit() }

func (c *Conn) readLoop() {
	defer close(c.gone)
	switch c.Kind {
	case "inproc":
		for {
			select {
			case m, ok := <-c.local.Recv():
				if !ok {
					return
				}
				c.received(m)
			case <-c.cutting:
				return
			}
		}
	case "ws":
		for {
			_, b, err := c.ws.ReadMessage()
			if err != nil {
				return
			}
			c.received(c.decode(b))
		}
	case "tcp":
		c.readRaw()
	}
}

func (c *Conn) decode(b []byte) wamp.Message {
	if c.ser == nil {
		return &wire.Malformed{Err: errors.New("hostile: no serializer"), Size: len(b)}
	}
	m, _ := c.ser.Deserialize(b)
	return m
}

func (c *Conn) readRaw() {
	var header [4]byte
	for {
		if _, err := readFull(c.nc, header[:]); err != nil {
			return
		}
		n := int(header[1])<<16 | int(header[2])<<8 | int(header[3])
		b := make([]byte, n)
		if _, err := readFull(c.nc, b); err != nil {
			return
		}
		switch header[0] & 0x07 {
		case 0:
			c.received(c.decode(b))
		case 1: // ping
			if !c.silent.Load() {
				c.wmu.Lock()
				_, _ = c.nc.Write(append([]byte{2, header[1], header[2], header[3]}, b...))
				c.wmu.Unlock()
			}
		}
	}
}

func readFull(nc net.Conn, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := nc.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func (c *Conn) received(m wamp.Message) {
	c.r.recordMsg(m)
	if c.ignore.Load() {
		return
	}
	c.mu.Lock()
	c.inbox = append(c.inbox, m)
	c.mu.Unlock()
	select {
	case c.signal <- struct{}{}:
	default:
	}
}

// IgnoreIncoming stops queuing what the client sends for Recv (it is still
// counted and recorded by the Router): for scripts that flood and never read,
// so that the client's answers do not pile up. IgnoreIncoming(false) resumes.
func (c *Conn) IgnoreIncoming(on bool) { c.ignore.Store(on) }

// Silence stops (true) or resumes answering keepalive pings (websocket
// pings, rawsocket ping frames).
func (c *Conn) Silence(on bool) { c.silent.Store(on) }

// Recv returns the next message the client sent, waiting up to d. After
// the client left it returns what was still queued, then ErrGone.
func (c *Conn) Recv(d time.Duration) (wamp.Message, error) {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		c.mu.Lock()
		if len(c.inbox) > 0 {
			m := c.inbox[0]
			c.inbox[0] = nil
			c.inbox = c.inbox[1:]
			c.mu.Unlock()
			return m, nil
		}
		c.mu.Unlock()
		select {
		case <-c.signal:
		case <-c.gone:
			c.mu.Lock()
			empty := len(c.inbox) == 0
			c.mu.Unlock()
			if empty {
				return nil, ErrGone
			}
		case <-t.C:
			return nil, ErrTimeout
		}
	}
}

// Expect returns the next message from the client, which must be of type
// typ and arrive within the Router's timeout. Otherwise the test fails and
// the script ends; if the client left, the script ends quietly.
func (c *Conn) Expect(typ wamp.MessageType) wamp.Message {
	m, err := c.Recv(c.r.opts.timeout)
	switch {
	case errors.Is(err, ErrGone):
		c.exit()
	case err != nil:
		c.r.t.Errorf("hostile: connection %d: waiting for %v: %v", c.N, typ, err)
		c.exit()
	case m.MessageType() != typ:
		c.r.t.Errorf("hostile: connection %d: got %v %+v, want %v", c.N, m.MessageType(), m, typ)
		c.exit()
	}
	return m
}

// Welcome reads the client's HELLO and answers WELCOME with a random session
// ID and a dealer and broker role with every feature wampkit uses; details
// are added to (or replace) the WELCOME details.
func (c *Conn) Welcome(details wamp.Dict) *wamp.Hello {
	h := c.Expect(wamp.HELLO).(*wamp.Hello)
	d := wamp.Dict{"roles": RouterRoles(), "authrole": "anonymous", "authmethod": "anonymous"}
	for k, v := range details {
		d[k] = v
	}
	c.Send(&wamp.Welcome{ID: NewID(), Details: d})
	return h
}

// RouterRoles is the roles dictionary Welcome announces.
func RouterRoles() wamp.Dict {
	features := wamp.Dict{"features": wamp.Dict{
		"progressive_call_results": true, "progressive_call_invocations": true, "call_canceling": true,
		"call_timeout": true, "registration_revocation": true, "pattern_based_registration": true,
		"shared_registration": true, "caller_identification": true,
		"pattern_based_subscription": true, "publisher_exclusion": true, "subscriber_blackwhite_listing": true,
	}}
	return wamp.Dict{"dealer": features, "broker": features}
}

// NewID returns a random WAMP ID in [1, 2^53], as a router using random IDs
// would.
func NewID() wamp.ID { return wamp.ID(1 + rand.Uint64N(1<<53)) }

// Send sends msg to the client. If the client left (or the Router is
// closing) the script ends quietly.
func (c *Conn) Send(msg wamp.Message) {
	if err := c.TrySend(msg); err != nil {
		c.exit()
	}
}

// TrySend is Send that returns ErrGone instead of ending the script.
func (c *Conn) TrySend(msg wamp.Message) error {
	if c.local != nil {
		c.localMu.Lock()
		defer c.localMu.Unlock()
		if c.localOff {
			return ErrGone
		}
		select {
		case c.local.Send() <- msg:
			return nil
		case <-c.gone:
			return ErrGone
		case <-c.cutting:
			return ErrGone
		}
	}
	b, err := c.ser.Append(c.encBuf[:0], msg)
	if err != nil {
		c.r.t.Errorf("hostile: encode %v: %v", msg.MessageType(), err)
		c.exit()
	}
	c.encBuf = b
	return c.TrySendFrame(b)
}

// Encode serializes msg with the connection's serializer (not in process).
// A message the serializer refuses fails the test and ends the script.
func (c *Conn) Encode(msg wamp.Message) []byte {
	if c.local != nil {
		c.r.t.Errorf("hostile: Encode on an in-process connection")
		c.exit()
	}
	b, err := c.ser.Serialize(msg)
	if err != nil {
		c.r.t.Errorf("hostile: encode %v: %v", msg.MessageType(), err)
		c.exit()
	}
	return b
}

// SendFrame sends payload as one transport frame: a websocket message
// (text for JSON, else binary) or a regular rawsocket frame. It need not be
// a valid WAMP message. Not in process.
func (c *Conn) SendFrame(payload []byte) {
	if err := c.TrySendFrame(payload); err != nil {
		c.exit()
	}
}

// TrySendFrame is SendFrame that returns ErrGone instead of ending the script.
func (c *Conn) TrySendFrame(payload []byte) error {
	switch c.Kind {
	case "ws":
		kind := websocket.TextMessage
		if c.binary {
			kind = websocket.BinaryMessage
		}
		c.wmu.Lock()
		err := c.ws.WriteMessage(kind, payload)
		c.wmu.Unlock()
		if err != nil {
			return ErrGone
		}
		return nil
	case "tcp":
		c.wmu.Lock()
		n := len(payload)
		c.frameBuf = append(append(c.frameBuf[:0], 0, byte(n>>16), byte(n>>8), byte(n)), payload...)
		_, err := c.nc.Write(c.frameBuf)
		c.wmu.Unlock()
		if err != nil {
			return ErrGone
		}
		return nil
	}
	c.r.t.Errorf("hostile: frames on an in-process connection")
	c.exit()
	return nil
}

// RawFrame builds a rawsocket frame of type kind (0 regular, 1 ping, 2
// pong, 3-7 reserved) around payload; its length field is the low 24 bits
// of len(payload).
func RawFrame(kind byte, payload []byte) []byte {
	n := len(payload)
	return append([]byte{kind, byte(n >> 16), byte(n >> 8), byte(n)}, payload...)
}

// WriteRaw writes b to the connection as is, outside any framing (for a
// websocket connection, under its framing): mangled headers, truncated
// frames, garbage. Not in process.
func (c *Conn) WriteRaw(b []byte) {
	if err := c.TryWriteRaw(b); err != nil {
		c.exit()
	}
}

// TryWriteRaw is WriteRaw that returns ErrGone instead of ending the script.
func (c *Conn) TryWriteRaw(b []byte) error {
	if c.nc == nil {
		c.r.t.Errorf("hostile: raw bytes on an in-process connection")
		c.exit()
	}
	c.wmu.Lock()
	_, err := c.nc.Write(b)
	c.wmu.Unlock()
	if err != nil {
		return ErrGone
	}
	return nil
}

// Flood sends msg n times, or until the client leaves, and returns how many
// were sent. The message is serialized once. Incoming messages are ignored
// meanwhile (IgnoreIncoming) and still counted by the Router.
func (c *Conn) Flood(n int, msg wamp.Message) int {
	c.IgnoreIncoming(true)
	defer c.IgnoreIncoming(false)
	var frame []byte
	if c.local == nil {
		frame = c.Encode(msg)
	}
	for i := range n {
		var err error
		if frame != nil {
			err = c.TrySendFrame(frame)
		} else {
			err = c.TrySend(msg)
		}
		if err != nil {
			return i
		}
	}
	return n
}

// FloodWith sends next(i) for i in [0, n), or until the client leaves, and
// returns how many were sent. Incoming messages are ignored meanwhile.
func (c *Conn) FloodWith(n int, next func(i int) wamp.Message) int {
	c.IgnoreIncoming(true)
	defer c.IgnoreIncoming(false)
	for i := range n {
		if c.TrySend(next(i)) != nil {
			return i
		}
	}
	return n
}

// Stall says nothing more and answers no keepalive pings until the client
// leaves or the Router closes; it returns then.
func (c *Conn) Stall() {
	c.Silence(true)
	c.IgnoreIncoming(true)
	select {
	case <-c.gone:
	case <-c.cutting:
	}
}

// Serve answers like a plain router until the client leaves: answer gets
// every message first, and what it does not handle (returns false) gets the
// ordinary reply (see Answer).
func (c *Conn) Serve(answer func(c *Conn, m wamp.Message) bool) {
	for {
		m, err := c.Recv(time.Hour)
		if err != nil {
			return
		}
		if answer != nil && answer(c, m) {
			continue
		}
		c.Answer(m)
	}
}

// Answer sends a plain router's reply to m: REGISTERED, UNREGISTERED,
// SUBSCRIBED, UNSUBSCRIBED (fresh random IDs), PUBLISHED when asked for,
// ERROR no_such_procedure to a CALL, GOODBYE to GOODBYE (then closes).
// Other messages get no answer.
func (c *Conn) Answer(m wamp.Message) {
	switch m := m.(type) {
	case *wamp.Register:
		c.Send(&wamp.Registered{Request: m.Request, Registration: NewID()})
	case *wamp.Unregister:
		c.Send(&wamp.Unregistered{Request: m.Request})
	case *wamp.Subscribe:
		c.Send(&wamp.Subscribed{Request: m.Request, Subscription: NewID()})
	case *wamp.Unsubscribe:
		c.Send(&wamp.Unsubscribed{Request: m.Request})
	case *wamp.Publish:
		if ack, _ := m.Options["acknowledge"].(bool); ack {
			c.Send(&wamp.Published{Request: m.Request, Publication: NewID()})
		}
	case *wamp.Call:
		c.Send(&wamp.Error{Type: wamp.CALL, Request: m.Request, Details: wamp.Dict{}, Error: wamp.ErrNoSuchProcedure})
	case *wamp.Goodbye:
		c.Send(&wamp.Goodbye{Reason: wamp.CloseGoodbyeAndOut, Details: wamp.Dict{}})
		c.cut()
		c.exit()
	}
}
