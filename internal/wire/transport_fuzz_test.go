package wire_test

import (
	"bufio"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/transport/serialize"
	"github.com/gammazero/nexus/v3/wamp"
	"github.com/gorilla/websocket"

	"github.com/wampkit/wampkit/internal/wire"
)

// The transports' readers are fuzzed with what a hostile peer can send: the
// bytes after the handshake (and the handshake reply itself). Whatever
// arrives, a peer must deliver messages (never nil; a *wire.Malformed for
// what does not decode), and end: its receive queue closes once the other
// side stops, and Close returns.

var fuzzSerializations = []serialize.Serialization{serialize.JSON, serialize.MSGPACK, serialize.CBOR}

// drain reads p's receive queue until it closes, failing on a nil message
// or on a queue still open after 5 s.
func drain(t *testing.T, p wamp.Peer) {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case m, ok := <-p.Recv():
			if !ok {
				return
			}
			if m == nil {
				t.Fatal("the peer delivered a nil message")
			}
		case <-timeout:
			t.Fatal("the peer's receive queue is still open 5 s after the other side stopped")
		}
	}
}

// rawFrame is a rawsocket frame for seeds.
func rawFrame(kind byte, payload string) []byte {
	n := len(payload)
	return append([]byte{kind, byte(n >> 16), byte(n >> 8), byte(n)}, payload...)
}

// FuzzRawSocketClient: the router's handshake reply (valid, or the first
// four bytes of stream when rawReply is set) and then stream.
func FuzzRawSocketClient(f *testing.F) {
	f.Add(byte(0), byte(0xf), false, rawFrame(0, `[2,1,{}]`))
	f.Add(byte(1), byte(0x1), false, append(rawFrame(1, "ping"), rawFrame(0, "\x93\x02\x01\x80")...))
	f.Add(byte(2), byte(0x0), false, rawFrame(3, "x"))
	f.Add(byte(0), byte(0xf), false, []byte{0, 0xff, 0xff, 0xff, 1, 2})
	f.Add(byte(0), byte(0xf), false, rawFrame(0, `[36,1,{},[1],{"a":[]}]`))
	f.Add(byte(0), byte(0xf), true, []byte{0x7f, 0x10, 0, 0})
	f.Add(byte(0), byte(0xf), true, []byte{0x7f, 0xf2, 0, 0})
	f.Add(byte(0), byte(0xf), true, []byte{0x00, 0x00})
	f.Fuzz(func(t *testing.T, which, lenExp byte, rawReply bool, stream []byte) {
		s := fuzzSerializations[int(which)%len(fuzzSerializations)]
		ser, err := wire.NewSerializer(s)
		if err != nil {
			t.Fatal(err)
		}
		cli, rtr := net.Pipe()
		defer rtr.Close()
		go func() { // the router: answer the handshake, send stream, hang up
			defer rtr.Close()
			var hello [4]byte
			if _, err := io.ReadFull(rtr, hello[:]); err != nil {
				return
			}
			if !rawReply {
				if _, err := rtr.Write([]byte{0x7f, lenExp<<4 | hello[1]&0x0f, 0, 0}); err != nil {
					return
				}
			}
			go func() { _, _ = io.Copy(io.Discard, rtr) }() // pongs
			_, _ = rtr.Write(stream)
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		p, err := wire.HandshakeRawSocket(ctx, cli, s, ser)
		if err != nil {
			_ = cli.Close()
			return
		}
		drain(t, p)
		p.Close()
	})
}

// FuzzRawSocketRouter: the client's handshake request and stream, read by
// the router side of the transport.
func FuzzRawSocketRouter(f *testing.F) {
	f.Add(append([]byte{0x7f, 0xf1, 0, 0}, rawFrame(0, `[1,"realm1",{}]`)...))
	f.Add(append([]byte{0x7f, 0xf2, 0, 0}, rawFrame(0, "\x93\x01\xa6realm1\x80")...))
	f.Add(append([]byte{0x7f, 0xf3, 0, 0}, rawFrame(7, "")...))
	f.Add(append([]byte{0x7f, 0xf1, 0, 0}, rawFrame(1, "ping")...))
	f.Add([]byte{0x7f, 0xf9, 0, 0})
	f.Add([]byte{0x7f, 0xf1, 1, 0})
	f.Add([]byte{0x11})
	f.Fuzz(func(t *testing.T, stream []byte) {
		cli, rtr := net.Pipe()
		defer cli.Close()
		go func() {
			go func() { _, _ = io.Copy(io.Discard, cli) }() // handshake reply, pongs
			_, _ = cli.Write(stream)
			_ = cli.Close()
		}()
		_ = rtr.SetDeadline(time.Now().Add(5 * time.Second))
		p, err := wire.AcceptRawSocket(rtr, wire.NewSerializer)
		if err != nil {
			_ = rtr.Close()
			return
		}
		_ = rtr.SetDeadline(time.Time{})
		drain(t, p)
		p.Close()
	})
}

// wsFrame is an unmasked (server to client) websocket frame for seeds.
func wsFrame(fin bool, opcode byte, payload string) []byte {
	b0 := opcode
	if fin {
		b0 |= 0x80
	}
	n := len(payload)
	switch {
	case n < 126:
		return append([]byte{b0, byte(n)}, payload...)
	case n < 1<<16:
		return append([]byte{b0, 126, byte(n >> 8), byte(n)}, payload...)
	}
	return append([]byte{b0, 127, 0, 0, 0, 0, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}, payload...)
}

// FuzzWebsocketClient: the frames a router sends after a valid websocket
// upgrade, read by the client's websocket peer.
func FuzzWebsocketClient(f *testing.F) {
	f.Add(byte(0), wsFrame(true, websocket.TextMessage, `[2,1,{}]`))
	f.Add(byte(1), wsFrame(true, websocket.BinaryMessage, "\x93\x02\x01\x80"))
	f.Add(byte(0), append(wsFrame(false, websocket.TextMessage, `[36,1,`), wsFrame(true, 0, `{},[1]]`)...))
	f.Add(byte(0), wsFrame(true, websocket.PingMessage, "p"))
	f.Add(byte(0), wsFrame(true, websocket.CloseMessage, "\x03\xe8bye"))
	f.Add(byte(2), []byte{0x82, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Add(byte(0), []byte{0x8f, 0x00})
	f.Add(byte(0), wsFrame(true, websocket.TextMessage, "not json"))
	f.Fuzz(func(t *testing.T, which byte, stream []byte) {
		s := fuzzSerializations[int(which)%len(fuzzSerializations)]
		protocol := map[serialize.Serialization]string{serialize.JSON: "wamp.2.json",
			serialize.MSGPACK: "wamp.2.msgpack", serialize.CBOR: "wamp.2.cbor"}[s]
		ser, err := wire.NewSerializer(s)
		if err != nil {
			t.Fatal(err)
		}
		cli, rtr := net.Pipe()
		defer rtr.Close()
		go serveUpgrade(rtr, protocol, stream)
		d := websocket.Dialer{
			Subprotocols:     []string{protocol},
			NetDialContext:   func(context.Context, string, string) (net.Conn, error) { return cli, nil },
			HandshakeTimeout: 5 * time.Second,
		}
		conn, resp, err := d.Dial("ws://fuzz.invalid/ws", nil)
		if resp != nil && resp.Body != nil {
			_ = resp.Body.Close()
		}
		if err != nil {
			t.Fatalf("upgrade: %v", err)
		}
		p := wire.NewWebsocketPeer(conn, ser, s != serialize.JSON, 0)
		drain(t, p)
		p.Close()
	})
}

// serveUpgrade answers the client's websocket upgrade on conn, writes
// stream and hangs up.
func serveUpgrade(conn net.Conn, protocol string, stream []byte) {
	defer conn.Close()
	req, err := http.ReadRequest(bufio.NewReader(conn))
	if err != nil {
		return
	}
	h := sha1.Sum([]byte(req.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	reply := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: " + base64.StdEncoding.EncodeToString(h[:]) + "\r\n" +
		"Sec-WebSocket-Protocol: " + protocol + "\r\n\r\n"
	if _, err := conn.Write([]byte(reply)); err != nil {
		return
	}
	go func() { _, _ = io.Copy(io.Discard, conn) }() // pongs, the closing frame
	_, _ = conn.Write(stream)
}
