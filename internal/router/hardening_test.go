package router_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/transport/serialize"
	"github.com/gammazero/nexus/v3/wamp"
	"github.com/gorilla/websocket"

	"github.com/wampkit/wampkit/internal/router"
)

// A websocket message over 16 MiB, even a HELLO before any login, is not
// read whole: the connection ends, nobody is welcomed, and the router goes
// on serving others.
func TestWebsocketMessageOverTheLimitEndsTheConnection(t *testing.T) {
	r := startRouter(t, router.Config{})
	d := websocket.Dialer{Subprotocols: []string{"wamp.2.json"}}
	ws, _, err := d.Dial(r.WebsocketURL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	details := helloDetails(joinOpts{})
	details["padding"] = strings.Repeat("x", 17<<20)
	var ser serialize.JSONSerializer
	b, err := ser.Serialize(&wamp.Hello{Realm: wamp.URI(r.Realm()), Details: details})
	if err != nil {
		t.Fatal(err)
	}
	_ = ws.WriteMessage(websocket.TextMessage, b) // may fail once the router hangs up
	_ = ws.SetReadDeadline(time.Now().Add(wait))
	if _, reply, err := ws.ReadMessage(); err == nil && strings.HasPrefix(string(reply), "[2,") {
		t.Fatalf("a %d-byte HELLO was read whole and welcomed", len(b))
	}
	s := handshake(t, dialWebsocket(t, r.WebsocketURL(), "wamp.2.json", serialize.JSON, websocket.TextMessage), r.Realm(), joinOpts{})
	s.leave()
}

// A testament is published by the router's own meta session when its
// session leaves: one to a topic in the wamp.* namespace would be a forged
// meta event, and is refused (as a PUBLISH there is); and a session may
// leave only so many.
func TestTestamentsCannotForgeMetaEventsOrPileUp(t *testing.T) {
	r := newRouter(t, router.Config{})
	watcher := join(t, r, joinOpts{})
	watcher.subscribe(string(wamp.MetaEventRegOnUnregister))
	anon := join(t, r, joinOpts{})
	victim := join(t, r, joinOpts{})
	for _, topic := range []any{string(wamp.MetaEventRegOnUnregister), []byte(wamp.MetaEventRegOnUnregister), wamp.MetaEventRegOnUnregister} {
		anon.callErr(wamp.ErrNotAuthorized, string(wamp.MetaProcSessionAddTestament),
			topic, wamp.List{victim.id, 4242}, wamp.Dict{})
	}
	for i := 0; ; i++ {
		m := anon.call(string(wamp.MetaProcSessionAddTestament), "com.example.will", wamp.List{i}, wamp.Dict{})
		if e, refused := m.(*wamp.Error); refused {
			if e.Error != wamp.ErrNotAuthorized || i != 64 {
				t.Fatalf("testament %d refused with %s, want the 65th refused as not authorized", i+1, e.Error)
			}
			break
		}
		if i > 64 {
			t.Fatalf("%d testaments taken from one session", i+1)
		}
	}
	// Flushing another scope does not make room.
	anon.send(&wamp.Call{Request: anon.nextID(), Options: wamp.Dict{}, Procedure: wamp.MetaProcSessionFlushTestaments,
		ArgumentsKw: wamp.Dict{"scope": "detached"}})
	if m, ok := anon.recv(wait); !ok {
		t.Fatal("no answer to flush_testaments")
	} else if _, done := m.(*wamp.Result); !done {
		t.Fatalf("flush_testaments: %s", describe(m))
	}
	anon.callErr(wamp.ErrNotAuthorized, string(wamp.MetaProcSessionAddTestament), "com.example.will", wamp.List{65}, wamp.Dict{})
	anon.leave()
	if m, ok := watcher.recv(quiet * 5); ok {
		if ev, isEv := m.(*wamp.Event); isEv {
			t.Fatalf("a forged on_unregister reached a subscriber: %v", ev.Arguments)
		}
	}
}
