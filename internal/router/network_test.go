package router_test

import (
	"context"
	"io"
	"log"
	"net/url"
	"strings"
	"testing"

	"github.com/gammazero/nexus/v3/transport"
	"github.com/gammazero/nexus/v3/transport/serialize"
	"github.com/gammazero/nexus/v3/wamp"
	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/wampkit/wampkit/internal/router"
	"github.com/wampkit/wampkit/internal/wire"
)

var serializations = []struct {
	name        string
	s           serialize.Serialization
	subprotocol string
	payload     int
}{
	{"json", serialize.JSON, "wamp.2.json", websocket.TextMessage},
	{"msgpack", serialize.MSGPACK, "wamp.2.msgpack", websocket.BinaryMessage},
	{"cbor", serialize.CBOR, "wamp.2.cbor", websocket.BinaryMessage},
}

var quietLog = log.New(io.Discard, "", 0)

// startRouter starts a router on ephemeral loopback ports.
func startRouter(t *testing.T, cfg router.Config) *router.Router {
	t.Helper()
	r, err := router.Start(cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return r
}

// dialWebsocket connects over websocket, decoding with wire.Serializer so
// that the Details of a revocation survive.
func dialWebsocket(t *testing.T, wsURL, subprotocol string, s serialize.Serialization, payload int) wamp.Peer {
	t.Helper()
	ser, err := wire.NewSerializer(s)
	if err != nil {
		t.Fatal(err)
	}
	d := websocket.Dialer{Subprotocols: []string{subprotocol}}
	conn, _, err := d.DialContext(context.Background(), wsURL, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", wsURL, err)
	}
	if conn.Subprotocol() != subprotocol {
		t.Fatalf("subprotocol %q, want %q", conn.Subprotocol(), subprotocol)
	}
	return transport.NewWebsocketPeer(conn, ser, payload, quietLog, 0, 16)
}

func TestURLs(t *testing.T) {
	r := startRouter(t, router.Config{})
	for _, u := range []struct{ got, scheme, path string }{
		{r.WebsocketURL(), "ws", "/ws"},
		{r.RawSocketURL(), "tcp", ""},
	} {
		p, err := url.Parse(u.got)
		if err != nil || p.Scheme != u.scheme || p.Hostname() != "127.0.0.1" || p.Port() == "" || p.Path != u.path {
			t.Errorf("URL %q: want %s://127.0.0.1:PORT%s", u.got, u.scheme, u.path)
		}
	}
	if err := r.ListenWebsocket("127.0.0.1:0"); err == nil {
		t.Error("second ListenWebsocket: want error")
	}
}

func TestWebsocketRevocationDetailsSurviveEncoding(t *testing.T) {
	r := startRouter(t, router.Config{})
	admin := join(t, r, asAdmin(r))
	for _, sz := range serializations {
		t.Run(sz.name, func(t *testing.T) {
			peer := dialWebsocket(t, r.WebsocketURL(), sz.subprotocol, sz.s, sz.payload)
			callee := handshake(t, peer, r.Realm(), joinOpts{revocation: true})
			reg := callee.register(proc, nil)
			admin.callOK(router.ProcRemoveCallee, reg, callee.id, "com.example."+sz.name)
			expectRevocation(t, callee, reg, "com.example."+sz.name)
		})
	}
}

func TestWebsocketTicketAuth(t *testing.T) {
	r := startRouter(t, router.Config{})
	sz := serializations[0]
	authid, ticket := r.AdminCredentials()
	s := handshake(t, dialWebsocket(t, r.WebsocketURL(), sz.subprotocol, sz.s, sz.payload),
		r.Realm(), joinOpts{authid: authid, ticket: ticket})
	if s.role != router.DefaultAdminRole {
		t.Errorf("authrole %q, want %q", s.role, router.DefaultAdminRole)
	}

	bad := dialWebsocket(t, r.WebsocketURL(), sz.subprotocol, sz.s, sz.payload)
	t.Cleanup(bad.Close)
	bs := &rawSession{t: t, peer: bad}
	bs.send(&wamp.Hello{Realm: wamp.URI(r.Realm()), Details: helloDetails(joinOpts{authid: authid, ticket: "wrong"})})
	expect[*wamp.Challenge](bs)
	bs.send(&wamp.Authenticate{Signature: "wrong", Extra: wamp.Dict{}})
	if a := expect[*wamp.Abort](bs); a.Reason != wamp.ErrAuthenticationFailed {
		t.Errorf("ABORT %s, want %s", a.Reason, wamp.ErrAuthenticationFailed)
	}
}

func TestRawSocketSerializations(t *testing.T) {
	r := startRouter(t, router.Config{})
	addr := strings.TrimPrefix(r.RawSocketURL(), "tcp://")
	for _, sz := range serializations {
		t.Run(sz.name, func(t *testing.T) {
			peer, err := transport.ConnectRawSocketPeer(context.Background(), "tcp", addr, sz.s, nil, quietLog, 0)
			if err != nil {
				t.Fatalf("connect: %v", err)
			}
			s := handshake(t, peer, r.Realm(), joinOpts{})
			if s.role != "anonymous" {
				t.Errorf("authrole %q, want anonymous", s.role)
			}
			s.register(proc+"."+sz.name, nil)
		})
	}
}

func TestWelcomeAnnouncesRevocation(t *testing.T) {
	r := newRouter(t, router.Config{})
	cli, rtr := transportPair()
	go func() { _ = r.Attach(rtr) }()
	s := &rawSession{t: t, peer: cli}
	s.send(&wamp.Hello{Realm: wamp.URI(r.Realm()), Details: helloDetails(joinOpts{})})
	w := expect[*wamp.Welcome](s)
	t.Cleanup(s.leave)
	features := wamp.DictChild(wamp.DictChild(wamp.DictChild(w.Details, "roles"), "dealer"), "features")
	for _, f := range []string{"registration_revocation", "registration_meta_api", "shared_registration"} {
		if features[f] != true {
			t.Errorf("dealer feature %s = %v, want true", f, features[f])
		}
	}
	// The patched WELCOME keeps nexus's other details.
	if v, ok := w.Details["authrole"]; !ok || v != "anonymous" {
		t.Errorf("authrole %v, want anonymous", v)
	}
}

// TestCloseWithOpenSessions closes a router under live network and
// in-process sessions and a handshake left half done: nothing may remain.
func TestCloseWithOpenSessions(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	r, err := router.Start(router.Config{})
	if err != nil {
		t.Fatal(err)
	}
	sz := serializations[1]
	ws := handshake(t, dialWebsocket(t, r.WebsocketURL(), sz.subprotocol, sz.s, sz.payload), r.Realm(), joinOpts{revocation: true})
	ws.register(proc, nil)
	local := join(t, r, joinOpts{})
	local.register(proc+".local", nil)
	// A websocket that never says HELLO.
	silent := dialWebsocket(t, r.WebsocketURL(), sz.subprotocol, sz.s, sz.payload)

	if err := r.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for _, s := range []*rawSession{ws, local} {
		if g := expect[*wamp.Goodbye](s); g.Reason != wamp.CloseSystemShutdown {
			t.Errorf("GOODBYE %s, want %s", g.Reason, wamp.CloseSystemShutdown)
		}
		s.leave()
	}
	silent.Close()
	if err := r.Attach(rtrOnly()); err != router.ErrClosed {
		t.Errorf("Attach after Close: %v, want ErrClosed", err)
	}
}

func transportPair() (wamp.Peer, wamp.Peer) { return transport.LinkedPeers() }

func rtrOnly() wamp.Peer {
	_, rtr := transport.LinkedPeers()
	return rtr
}
