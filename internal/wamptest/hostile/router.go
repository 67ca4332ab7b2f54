package hostile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/transport/serialize"
	"github.com/gammazero/nexus/v3/wamp"
	"github.com/gorilla/websocket"
)

// Script is what the router does on one accepted connection. It runs on a
// goroutine the Router owns; when it returns, the connection is closed.
type Script func(c *Conn)

// Router is a scripted router listening on 127.0.0.1 (websocket and
// rawsocket) and accepting in-process peers (Attach). Every accepted
// connection runs the script. Safe for concurrent use.
type Router struct {
	t      testing.TB
	script Script
	opts   options

	ws   net.Listener
	http *http.Server
	raw  net.Listener

	mu       sync.Mutex
	conns    map[*Conn]struct{}
	accepted int
	closed   bool
	rec      record
	wg       sync.WaitGroup
	stop     chan struct{}
}

// record keeps what clients sent: every message counted by type, the first
// maxRecorded kept.
type record struct {
	msgs   []wamp.Message
	counts map[wamp.MessageType]int
}

const maxRecorded = 10000

// Option configures a Router.
type Option func(*options)

type options struct {
	rawHandshake func(hello [4]byte) []byte
	subprotocol  func(offered []string) string
	timeout      time.Duration
}

// WithRawHandshake replaces the rawsocket handshake reply: reply gets the
// client's four bytes and returns what to write back (nil: write nothing,
// then go on to the script, which may stall or write raw bytes). The
// default accepts the client's serializer and announces the largest
// message length (16 MiB).
func WithRawHandshake(reply func(hello [4]byte) []byte) Option {
	return func(o *options) { o.rawHandshake = reply }
}

// WithSubprotocol chooses the websocket subprotocol from the ones the client
// offers (the default takes the first). An empty choice selects none. The
// connection's serializer follows the choice when it is a WAMP one, else
// the client's first offer.
func WithSubprotocol(choose func(offered []string) string) Option {
	return func(o *options) { o.subprotocol = choose }
}

// WithTimeout sets how long Expect waits (default 5 s).
func WithTimeout(d time.Duration) Option {
	return func(o *options) { o.timeout = d }
}

// New starts a Router running script on every connection, and closes it at
// cleanup.
func New(t testing.TB, script Script, opts ...Option) *Router {
	t.Helper()
	r := &Router{t: t, script: script, conns: map[*Conn]struct{}{}, stop: make(chan struct{}),
		opts: options{timeout: 5 * time.Second}}
	r.rec.counts = map[wamp.MessageType]int{}
	for _, o := range opts {
		o(&r.opts)
	}
	var err error
	if r.ws, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		t.Fatalf("hostile: listen: %v", err)
	}
	if r.raw, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		_ = r.ws.Close()
		t.Fatalf("hostile: listen: %v", err)
	}
	r.http = &http.Server{Handler: http.HandlerFunc(r.upgrade), ReadHeaderTimeout: 5 * time.Second}
	r.wg.Add(2)
	go func() { defer r.wg.Done(); _ = r.http.Serve(r.ws) }()
	go r.acceptRaw()
	t.Cleanup(r.Close)
	return r
}

// URL is the router's websocket URL.
func (r *Router) URL() string { return "ws://" + r.ws.Addr().String() + "/ws" }

// RawSocketURL is the router's rawsocket URL.
func (r *Router) RawSocketURL() string { return "tcp://" + r.raw.Addr().String() }

// Accepted is how many connections the router has accepted (and run the
// script on) so far.
func (r *Router) Accepted() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.accepted
}

// Received returns the messages clients sent so far, in arrival order (the
// first 10,000 of them).
func (r *Router) Received() []wamp.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]wamp.Message(nil), r.rec.msgs...)
}

// Count is how many messages of type typ clients sent so far.
func (r *Router) Count(typ wamp.MessageType) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rec.counts[typ]
}

// Find returns the first message of type typ clients sent, or nil.
func (r *Router) Find(typ wamp.MessageType) wamp.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range r.rec.msgs {
		if m.MessageType() == typ {
			return m
		}
	}
	return nil
}

func (r *Router) recordMsg(m wamp.Message) {
	r.mu.Lock()
	r.rec.counts[m.MessageType()]++
	if len(r.rec.msgs) < maxRecorded {
		r.rec.msgs = append(r.rec.msgs, m)
	}
	r.mu.Unlock()
}

// Close stops listening, cuts every connection and waits for every
// goroutine of the router, scripts included. Idempotent.
func (r *Router) Close() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		r.wg.Wait()
		return
	}
	r.closed = true
	close(r.stop)
	conns := make([]*Conn, 0, len(r.conns))
	for c := range r.conns {
		conns = append(conns, c)
	}
	r.mu.Unlock()
	_ = r.raw.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	_ = r.http.Shutdown(ctx) // hijacked websocket connections are ours to close
	cancel()
	_ = r.http.Close()
	for _, c := range conns {
		c.cut()
	}
	r.wg.Wait()
}

// admit registers c and runs its reader and script; false when the router
// is closed.
func (r *Router) admit(c *Conn) bool {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return false
	}
	c.N = r.accepted
	r.accepted++
	r.conns[c] = struct{}{}
	r.wg.Add(2)
	r.mu.Unlock()
	go func() {
		defer r.wg.Done()
		c.readLoop()
	}()
	go func() {
		defer r.wg.Done()
		defer func() {
			c.cut()
			r.mu.Lock()
			delete(r.conns, c)
			r.mu.Unlock()
		}()
		r.script(c)
	}()
	return true
}

// Attach accepts an in-process client peer (wamptest.ConnectLocal(ctx, r)).
func (r *Router) Attach(p wamp.Peer) error {
	c := newConn(r, "inproc", serialize.JSON, nil)
	c.local = p
	if !r.admit(c) {
		p.Close()
		return errors.New("hostile: router closed")
	}
	return nil
}

var wampProtocols = map[string]serialize.Serialization{
	"wamp.2.json": serialize.JSON, "wamp.2.msgpack": serialize.MSGPACK, "wamp.2.cbor": serialize.CBOR,
}

func (r *Router) upgrade(w http.ResponseWriter, req *http.Request) {
	offered := websocket.Subprotocols(req)
	choice := ""
	if len(offered) > 0 {
		choice = offered[0]
	}
	if r.opts.subprotocol != nil {
		choice = r.opts.subprotocol(offered)
	}
	ser, ok := wampProtocols[choice]
	if !ok && len(offered) > 0 {
		ser = wampProtocols[offered[0]]
	}
	h := http.Header{}
	if choice != "" {
		h.Set("Sec-WebSocket-Protocol", choice)
	}
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	ws, err := up.Upgrade(w, req, h)
	if err != nil {
		return
	}
	ws.SetReadLimit(-1) // the script decides what is too big
	c := newConn(r, "ws", ser, ws.NetConn())
	c.ws = ws
	c.binary = ser != serialize.JSON
	ws.SetPingHandler(func(data string) error {
		if c.silent.Load() {
			return nil
		}
		return ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
	})
	if !r.admit(c) {
		_ = ws.Close()
	}
}

func (r *Router) acceptRaw() {
	defer r.wg.Done()
	for {
		nc, err := r.raw.Accept()
		if err != nil {
			return
		}
		r.mu.Lock()
		if r.closed {
			r.mu.Unlock()
			_ = nc.Close()
			return
		}
		r.wg.Add(1)
		r.mu.Unlock()
		go func() {
			defer r.wg.Done()
			r.rawHandshake(nc)
		}()
	}
}

// rawHandshake answers the client's four bytes and admits the connection.
func (r *Router) rawHandshake(nc net.Conn) {
	_ = nc.SetDeadline(time.Now().Add(5 * time.Second))
	var hello [4]byte
	if _, err := io.ReadFull(nc, hello[:]); err != nil {
		_ = nc.Close()
		return
	}
	_ = nc.SetDeadline(time.Time{})
	reply := []byte{0x7f, 0xf0 | hello[1]&0x0f, 0, 0}
	if r.opts.rawHandshake != nil {
		reply = r.opts.rawHandshake(hello)
	}
	if len(reply) > 0 {
		if _, err := nc.Write(reply); err != nil {
			_ = nc.Close()
			return
		}
	}
	ser := map[byte]serialize.Serialization{1: serialize.JSON, 2: serialize.MSGPACK, 3: serialize.CBOR}[hello[1]&0x0f]
	c := newConn(r, "tcp", ser, nc)
	if !r.admit(c) {
		_ = nc.Close()
	}
}

func (r *Router) String() string {
	return fmt.Sprintf("hostile router %s %s", r.URL(), r.RawSocketURL())
}
