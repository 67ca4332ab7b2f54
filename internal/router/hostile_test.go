package router_test

import (
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/transport/serialize"
	"github.com/gammazero/nexus/v3/wamp"
	"github.com/gorilla/websocket"

	"github.com/wampkit/wampkit/internal/router"
)

// rawConn is a rawsocket client speaking JSON, frame by frame.
type rawConn struct {
	t   *testing.T
	nc  net.Conn
	ser serialize.JSONSerializer
}

func dialRaw(t *testing.T, r *router.Router) *rawConn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", strings.TrimPrefix(r.RawSocketURL(), "tcp://"), wait)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(wait))
	if _, err := nc.Write([]byte{0x7f, 0xf1, 0, 0}); err != nil {
		t.Fatal(err)
	}
	var reply [4]byte
	if _, err := io.ReadFull(nc, reply[:]); err != nil || reply[0] != 0x7f || reply[1]&0x0f != 1 {
		t.Fatalf("rawsocket handshake: %x, %v", reply, err)
	}
	return &rawConn{t: t, nc: nc}
}

func (c *rawConn) frame(kind byte, payload []byte) {
	c.t.Helper()
	n := len(payload)
	if _, err := c.nc.Write(append([]byte{kind, byte(n >> 16), byte(n >> 8), byte(n)}, payload...)); err != nil {
		c.t.Fatalf("write frame: %v", err)
	}
}

func (c *rawConn) send(m wamp.Message) {
	c.t.Helper()
	b, err := c.ser.Serialize(m)
	if err != nil {
		c.t.Fatal(err)
	}
	c.frame(0, b)
}

func (c *rawConn) recv() wamp.Message {
	c.t.Helper()
	var h [4]byte
	if _, err := io.ReadFull(c.nc, h[:]); err != nil {
		c.t.Fatalf("read frame: %v", err)
	}
	b := make([]byte, int(h[1])<<16|int(h[2])<<8|int(h[3]))
	if _, err := io.ReadFull(c.nc, b); err != nil {
		c.t.Fatalf("read frame: %v", err)
	}
	m, err := c.ser.Deserialize(b)
	if err != nil {
		c.t.Fatalf("decode %q: %v", b, err)
	}
	return m
}

// closedByRouter reports whether the router closes the connection within
// wait (whatever it sends before).
func (c *rawConn) closedByRouter() bool {
	_ = c.nc.SetReadDeadline(time.Now().Add(wait))
	_, err := io.Copy(io.Discard, c.nc)
	var ne net.Error
	return err == nil || !(errors.As(err, &ne) && ne.Timeout())
}

// stages bring a rawsocket connection to a point of the session's life.
var stages = []struct {
	name string
	to   func(c *rawConn, r *router.Router)
}{
	{"before HELLO", func(*rawConn, *router.Router) {}},
	{"during authentication", func(c *rawConn, r *router.Router) {
		authid, _ := r.AdminCredentials()
		c.send(&wamp.Hello{Realm: wamp.URI(r.Realm()), Details: helloDetails(joinOpts{authid: authid, ticket: "x"})})
		if m := c.recv(); m.MessageType() != wamp.CHALLENGE {
			c.t.Fatalf("want CHALLENGE, got %v", m.MessageType())
		}
	}},
	{"after WELCOME", func(c *rawConn, r *router.Router) {
		c.send(&wamp.Hello{Realm: wamp.URI(r.Realm()), Details: helloDetails(joinOpts{})})
		if m := c.recv(); m.MessageType() != wamp.WELCOME {
			c.t.Fatalf("want WELCOME, got %v", m.MessageType())
		}
	}},
}

// The router survives a malformed rawsocket frame at any stage of a
// session: a frame of a reserved type (which nexus's transport turns into
// a nil message) closes that connection; an undecodable or non-WAMP frame is
// dropped or refused. Other sessions go on, and new ones join.
func TestMalformedRawSocketFramesAtAnyStage(t *testing.T) {
	r := startRouter(t, router.Config{})
	bystander := handshake(t, dialWebsocket(t, r.WebsocketURL(), "wamp.2.json", serialize.JSON, websocket.TextMessage), r.Realm(), joinOpts{})
	frames := []struct {
		name   string
		kind   byte
		data   string
		closes bool // the router must close the connection
	}{
		{"reserved type 3", 3, "[1]", true},
		{"reserved type 7", 7, "", true},
		{"undecodable", 0, "\xff\x00garbage", false},
		{"not a WAMP message", 0, `[999,"x"]`, false},
		{"empty", 0, "", false},
	}
	for _, st := range stages {
		for _, f := range frames {
			t.Run(st.name+"/"+f.name, func(t *testing.T) {
				c := dialRaw(t, r)
				st.to(c, r)
				c.frame(f.kind, []byte(f.data))
				if f.closes && !c.closedByRouter() {
					t.Error("the router kept the connection after a reserved frame type")
				}
				_ = c.nc.Close()
				// The router still serves: the bystander's call and a new
				// session's join both work.
				bystander.callOK(string(wamp.MetaProcSessionCount))
				s := handshake(t, dialWebsocket(t, r.WebsocketURL(), "wamp.2.json", serialize.JSON, websocket.TextMessage), r.Realm(), joinOpts{})
				s.leave()
			})
		}
	}
}

// Websocket messages that are not WAMP, before HELLO and after WELCOME, do
// not take the router down.
func TestMalformedWebsocketMessages(t *testing.T) {
	r := startRouter(t, router.Config{})
	for _, afterWelcome := range []bool{false, true} {
		for _, msg := range []struct {
			kind int
			data string
		}{{websocket.TextMessage, "not json"}, {websocket.BinaryMessage, "\xc1\xff"}, {websocket.TextMessage, `{"a":1}`}, {websocket.TextMessage, ""}} {
			d := websocket.Dialer{Subprotocols: []string{"wamp.2.json"}}
			ws, _, err := d.Dial(r.WebsocketURL(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if afterWelcome {
				var ser serialize.JSONSerializer
				b, _ := ser.Serialize(&wamp.Hello{Realm: wamp.URI(r.Realm()), Details: helloDetails(joinOpts{})})
				_ = ws.WriteMessage(websocket.TextMessage, b)
				_ = ws.SetReadDeadline(time.Now().Add(wait))
				if _, b, err = ws.ReadMessage(); err != nil || !strings.HasPrefix(string(b), "[2,") {
					t.Fatalf("want WELCOME, got %q, %v", b, err)
				}
			}
			_ = ws.WriteMessage(msg.kind, []byte(msg.data))
			_ = ws.Close()
		}
	}
	s := handshake(t, dialWebsocket(t, r.WebsocketURL(), "wamp.2.json", serialize.JSON, websocket.TextMessage), r.Realm(), joinOpts{})
	s.callOK(string(wamp.MetaProcSessionCount))
}

// An ordinary session's PUBLISH to a wamp.* topic would be a forged meta
// event: the router refuses it (ERROR not_authorized when acknowledged) and
// no subscriber sees it. The admin may still publish there.
func TestForgedMetaEventsRefused(t *testing.T) {
	r := newRouter(t, router.Config{})
	watcher := join(t, r, joinOpts{})
	sub := watcher.subscribe(string(wamp.MetaEventRegOnUnregister))
	anon := join(t, r, joinOpts{})

	anon.send(&wamp.Publish{Request: anon.nextID(), Options: wamp.Dict{"acknowledge": true},
		Topic: wamp.MetaEventRegOnUnregister, Arguments: wamp.List{anon.id, 42}})
	e := expect[*wamp.Error](anon)
	if e.Type != wamp.PUBLISH || e.Error != wamp.ErrNotAuthorized {
		t.Errorf("acknowledged forged publish: got %s, want ERROR(PUBLISH) %s", describe(e), wamp.ErrNotAuthorized)
	}
	anon.send(&wamp.Publish{Request: anon.nextID(), Options: wamp.Dict{}, Topic: "wamp.session.on_join",
		Arguments: wamp.List{wamp.Dict{"session": 1}}})
	anon.expectNothing() // unacknowledged: no answer
	watcher.expectNothing()

	// An ordinary topic is still published, acknowledged.
	anon.send(&wamp.Publish{Request: anon.nextID(), Options: wamp.Dict{"acknowledge": true}, Topic: "com.example.wamp"})
	expect[*wamp.Published](anon)

	admin := join(t, r, asAdmin(r))
	admin.send(&wamp.Publish{Request: admin.nextID(), Options: wamp.Dict{"acknowledge": true, "exclude_me": true},
		Topic: wamp.MetaEventRegOnUnregister, Arguments: wamp.List{admin.id, 42}})
	expect[*wamp.Published](admin)
	if ev := expect[*wamp.Event](watcher); ev.Subscription != sub {
		t.Errorf("event for subscription %d, want %d", ev.Subscription, sub)
	}
}

// A nil message from a client transport (what nexus's rawsocket peer hands
// over for a reserved frame type; any in-process peer can send one), before
// HELLO or after WELCOME, ends that session only.
func TestNilMessageFromTransport(t *testing.T) {
	r := newRouter(t, router.Config{})
	bystander := join(t, r, joinOpts{})
	for _, welcomed := range []bool{false, true} {
		cli, rtr := transportPair()
		errc := make(chan error, 1)
		go func() { errc <- r.Attach(rtr) }()
		if welcomed {
			s := handshake(t, cli, r.Realm(), joinOpts{})
			s.send(nil)
			if _, ok := s.recv(wait); ok {
				t.Error("the session goes on after a nil message")
			}
		} else {
			cli.Send() <- nil
			<-errc
		}
		bystander.callOK(string(wamp.MetaProcSessionCount))
	}
}
