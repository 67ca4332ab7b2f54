package wire_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/transport/serialize"
	"github.com/gammazero/nexus/v3/wamp"
	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/internal/wire"
)

// wsServer runs serve for the one websocket connection it accepts and
// returns the URL.
func wsServer(t *testing.T, serve func(*websocket.Conn)) string {
	t.Helper()
	up := websocket.Upgrader{Subprotocols: []string{"wamp.2.json", "wamp.2.msgpack", "wamp.2.cbor"}}
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer close(done)
		defer conn.Close()
		serve(conn)
	}))
	t.Cleanup(func() {
		srv.CloseClientConnections()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("server handler did not end")
		}
		srv.Close()
	})
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}

func dialWS(t *testing.T, url, protocol string, s serialize.Serialization, keepAlive time.Duration) *wire.WebsocketPeer {
	t.Helper()
	d := websocket.Dialer{Subprotocols: []string{protocol}}
	conn, resp, err := d.Dial(url, nil)
	require.NoError(t, err)
	_ = resp.Body.Close()
	ser, err := wire.NewSerializer(s)
	require.NoError(t, err)
	p := wire.NewWebsocketPeer(conn, ser, s != serialize.JSON, keepAlive)
	t.Cleanup(p.Close)
	return p
}

// Every message arrives whole and in order, in both directions, and what
// was decoded from the reused read buffer stays intact after later messages
// overwrite it.
func TestWebsocketMessagesInOrderAndIntact(t *testing.T) {
	const n = 1000
	big := strings.Repeat("b", 2<<20) // beyond the buffer a loop keeps
	arg := func(i int) string {
		if i%300 == 7 {
			return big
		}
		return fmt.Sprintf("result %d", i)
	}
	for name, s := range serializations {
		t.Run(name, func(t *testing.T) {
			nx, _ := wire.NewSerializer(s)
			wantKind := websocket.BinaryMessage
			if s == serialize.JSON {
				wantKind = websocket.TextMessage
			}
			got := make(chan error, 1)
			url := wsServer(t, func(conn *websocket.Conn) {
				for i := range n {
					b, err := nx.Inner.Serialize(&wamp.Result{Request: wamp.ID(i + 1), Details: wamp.Dict{}, Arguments: wamp.List{arg(i)}})
					if err == nil {
						err = conn.WriteMessage(wantKind, b)
					}
					if err != nil {
						got <- err
						return
					}
				}
				for i := range n {
					kind, b, err := conn.ReadMessage()
					if err != nil {
						got <- err
						return
					}
					msg, err := nx.Inner.Deserialize(b)
					if err != nil || kind != wantKind || msg.(*wamp.Call).Request != wamp.ID(i+1) {
						got <- fmt.Errorf("message %d: kind %d, %#v, %v", i, kind, msg, err)
						return
					}
				}
				got <- nil
			})
			p := dialWS(t, url, "wamp.2."+name, s, 0)
			for i := range n {
				p.Send() <- &wamp.Call{Request: wamp.ID(i + 1), Options: wamp.Dict{}, Procedure: "p", Arguments: wamp.List{i}}
			}
			var results []*wamp.Result
			for range n {
				select {
				case msg := <-p.Recv():
					r, ok := msg.(*wamp.Result)
					require.True(t, ok, "%T", msg)
					results = append(results, r)
				case <-time.After(10 * time.Second):
					t.Fatalf("%d of %d results", len(results), n)
				}
			}
			for i, r := range results {
				require.Equal(t, wamp.ID(i+1), r.Request)
				require.Equal(t, arg(i), r.Arguments[0], "result %d", i)
			}
			require.NoError(t, <-got)
		})
	}
}

func TestWebsocketMessageOverTheLimitIsReported(t *testing.T) {
	url := wsServer(t, func(conn *websocket.Conn) {
		_ = conn.WriteMessage(websocket.BinaryMessage, make([]byte, 16<<20+1))
		_, _, _ = conn.ReadMessage() // until the client goes
	})
	p := dialWS(t, url, "wamp.2.msgpack", serialize.MSGPACK, 0)
	msg := <-p.Recv()
	m, ok := msg.(*wire.Malformed)
	require.True(t, ok, "%T", msg)
	assert.Contains(t, m.Err.Error(), "exceeds")
	_, open := <-p.Recv()
	assert.False(t, open, "the peer ends after an oversized message")
}

func TestWebsocketKeepAliveDropsASilentRouter(t *testing.T) {
	url := wsServer(t, func(conn *websocket.Conn) {
		conn.SetPingHandler(func(string) error { return nil }) // never answers
		for {
			if _, _, err := conn.ReadMessage(); err != nil {
				return
			}
		}
	})
	p := dialWS(t, url, "wamp.2.json", serialize.JSON, 20*time.Millisecond)
	select {
	case _, open := <-p.Recv():
		assert.False(t, open)
	case <-time.After(5 * time.Second):
		t.Fatal("a router that answers no ping was not dropped")
	}
}

// A router that stops reading, its connection up, holds a sender's write
// through once the socket's buffers are full: keepalive must still drop it
// (and so end the write), not wait for the writer, which that write holds.
func TestWebsocketKeepAliveDropsARouterThatStoppedReading(t *testing.T) {
	release := make(chan struct{})
	url := wsServer(t, func(*websocket.Conn) { <-release }) // reads nothing, says nothing
	t.Cleanup(func() { close(release) })                    // runs before the server closes
	p := dialWS(t, url, "wamp.2.json", serialize.JSON, 50*time.Millisecond)
	big := &wamp.Publish{Request: 1, Options: wamp.Dict{}, Topic: "com.example.fill",
		Arguments: wamp.List{strings.Repeat("x", 4<<20)}}
	sent := make(chan struct{})
	go func() { // no deadline: only the connection's end ends these writes
		defer close(sent)
		for range 8 {
			if p.SendContext(context.Background(), nil, big) != nil {
				return
			}
		}
	}()
	select {
	case _, open := <-p.Recv():
		assert.False(t, open)
	case <-time.After(5 * time.Second):
		t.Fatal("a router that stopped reading was not dropped while a write to it was blocked")
	}
	select {
	case <-sent: // the blocked write ended (SendContext does not report write errors)
	case <-time.After(5 * time.Second):
		t.Fatal("the blocked write did not end with the connection")
	}
}

// A router that reads everything but never answers is dropped although the
// client keeps writing messages of several slices: writes the socket takes
// at once are no sign of life.
func TestWebsocketKeepAliveDropsASilentRouterUnderLargeWrites(t *testing.T) {
	url := wsServer(t, func(conn *websocket.Conn) {
		conn.SetPingHandler(func(string) error { return nil }) // never answers
		for {
			if _, _, err := conn.ReadMessage(); err != nil {
				return
			}
		}
	})
	p := dialWS(t, url, "wamp.2.json", serialize.JSON, 100*time.Millisecond)
	big := &wamp.Publish{Request: 1, Options: wamp.Dict{}, Topic: "com.example.fill",
		Arguments: wamp.List{strings.Repeat("x", 200<<10)}}
	stop := make(chan struct{})
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		for {
			select {
			case <-stop:
				return
			case <-time.After(30 * time.Millisecond):
			}
			if p.SendContext(context.Background(), stop, big) != nil {
				return
			}
		}
	}()
	defer func() { close(stop); <-sent }()
	select {
	case _, open := <-p.Recv():
		assert.False(t, open)
	case <-time.After(5 * time.Second):
		t.Fatal("a router that answers nothing was not dropped while the client wrote to it")
	}
}

func TestWebsocketKeepAliveKeepsAnAnsweringRouter(t *testing.T) {
	url := wsServer(t, func(conn *websocket.Conn) {
		for { // the default ping handler answers
			if _, _, err := conn.ReadMessage(); err != nil {
				return
			}
		}
	})
	// A router gets one interval to answer a ping: 200 ms leaves room for
	// a loaded machine.
	p := dialWS(t, url, "wamp.2.json", serialize.JSON, 200*time.Millisecond)
	select {
	case <-p.Recv():
		t.Fatal("the connection ended although the router answered every ping")
	case <-time.After(1200 * time.Millisecond): // 6 pings
	}
}

func TestWebsocketCloseSaysGoodbye(t *testing.T) {
	closeErr := make(chan error, 1)
	url := wsServer(t, func(conn *websocket.Conn) {
		_, _, err := conn.ReadMessage()
		closeErr <- err
	})
	p := dialWS(t, url, "wamp.2.json", serialize.JSON, 0)
	p.Close()
	err := <-closeErr
	var ce *websocket.CloseError
	require.True(t, errors.As(err, &ce), "%v", err)
	assert.Equal(t, websocket.CloseNormalClosure, ce.Code)
}
