package router_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/wamp"
	"github.com/gorilla/websocket"

	"github.com/wampkit/wampkit/internal/router"
)

// The router writes spec-shaped frames on both network transports: a
// callee's kwargs-only answer goes to a JSON caller as [50,id,{},[],{...}]
// (nexus's own serializers write null for the missing Arguments), and a
// []byte as the spec's "\u0000"+base64 string.
func TestRouterSendsSpecShapedFrames(t *testing.T) {
	r := startRouter(t, router.Config{})
	callee := join(t, r, joinOpts{})
	reg := callee.register(proc, nil)
	done, finished := make(chan struct{}), make(chan struct{})
	t.Cleanup(func() { close(done); <-finished })
	go func() { // answers every invocation with kwargs only, Arguments nil
		defer close(finished)
		for {
			var m wamp.Message
			select {
			case msg, open := <-callee.peer.Recv():
				if !open {
					return
				}
				m = msg
			case <-done:
				return
			}
			inv, ok := m.(*wamp.Invocation)
			if !ok || inv.Registration != reg {
				continue
			}
			select {
			case callee.peer.Send() <- &wamp.Yield{Request: inv.Request, Options: wamp.Dict{},
				ArgumentsKw: wamp.Dict{"k": "v", "b": []byte{1, 2, 3}}}:
			case <-done:
				return
			}
		}
	}()
	for name, dial := range map[string]func(t *testing.T) rawFrames{
		"websocket": func(t *testing.T) rawFrames { return dialJSONWebsocket(t, r.WebsocketURL()) },
		"rawsocket": func(t *testing.T) rawFrames {
			return dialJSONRawSocket(t, strings.TrimPrefix(r.RawSocketURL(), "tcp://"))
		},
	} {
		t.Run(name, func(t *testing.T) {
			c := dial(t)
			c.send(t, `[1,"`+r.Realm()+`",{"roles":{"caller":{}}}]`)
			if f := c.recv(t); !strings.HasPrefix(f, "[2,") {
				t.Fatalf("want WELCOME, got %s", f)
			}
			c.send(t, `[48,1,{},"`+proc+`",[]]`)
			frame := c.recv(t)
			var msg []any
			if err := json.Unmarshal([]byte(frame), &msg); err != nil {
				t.Fatalf("RESULT %s: %v", frame, err)
			}
			if len(msg) != 5 || msg[0] != float64(wamp.RESULT) {
				t.Fatalf("want RESULT with Arguments and ArgumentsKw, got %s", frame)
			}
			if args, ok := msg[3].([]any); !ok || len(args) != 0 {
				t.Errorf("Arguments is %#v, want []: %s", msg[3], frame)
			}
			kwargs, _ := msg[4].(map[string]any)
			if kwargs["k"] != "v" || kwargs["b"] != "\x00AQID" {
				t.Errorf("ArgumentsKw %#v, want k=v and b as the binary string \"\\u0000AQID\": %s", msg[4], frame)
			}
		})
	}
}

// rawFrames is a JSON client that sees the router's frames as they are.
type rawFrames struct {
	send func(t *testing.T, frame string)
	recv func(t *testing.T) string
}

func dialJSONWebsocket(t *testing.T, url string) rawFrames {
	d := websocket.Dialer{Subprotocols: []string{"wamp.2.json"}}
	conn, _, err := d.DialContext(context.Background(), url, nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return rawFrames{
		send: func(t *testing.T, f string) {
			if err := conn.WriteMessage(websocket.TextMessage, []byte(f)); err != nil {
				t.Fatal(err)
			}
		},
		recv: func(t *testing.T) string {
			_ = conn.SetReadDeadline(time.Now().Add(wait))
			_, b, err := conn.ReadMessage()
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		},
	}
}

func dialJSONRawSocket(t *testing.T, addr string) rawFrames {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(wait))
	if _, err := conn.Write([]byte{0x7f, 0xf1, 0, 0}); err != nil {
		t.Fatal(err)
	}
	var reply [4]byte
	if _, err := io.ReadFull(conn, reply[:]); err != nil || reply[0] != 0x7f || reply[1]&0x0f != 1 {
		t.Fatalf("rawsocket handshake: %x, %v", reply, err)
	}
	return rawFrames{
		send: func(t *testing.T, f string) {
			var h [4]byte
			binary.BigEndian.PutUint32(h[:], uint32(len(f)))
			if _, err := conn.Write(append(h[:], f...)); err != nil {
				t.Fatal(err)
			}
		},
		recv: func(t *testing.T) string {
			var h [4]byte
			if _, err := io.ReadFull(conn, h[:]); err != nil {
				t.Fatal(err)
			}
			b := make([]byte, binary.BigEndian.Uint32(h[:])&0xffffff)
			if _, err := io.ReadFull(conn, b); err != nil {
				t.Fatal(err)
			}
			return string(b)
		},
	}
}
