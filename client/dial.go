package client

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"

	"github.com/gammazero/nexus/v3/transport/serialize"
	"github.com/gammazero/nexus/v3/wamp"
	"github.com/gorilla/websocket"

	"github.com/wampkit/wampkit/internal/wire"
)

// dialer opens a new transport to the router. A goroutine it leaves
// running is counted in bg, which the client waits for on Close.
type dialer func(ctx context.Context, bg *group) (wamp.Peer, error)

func (c *config) nexusSerialization() serialize.Serialization {
	switch c.serialization {
	case MsgPack:
		return serialize.MSGPACK
	case CBOR:
		return serialize.CBOR
	}
	return serialize.JSON
}

// urlDialer parses a router URL: ws, wss (websocket), tcp, tcps (rawsocket
// over TCP), unix (rawsocket over a Unix socket: unix:///path/to/socket).
func urlDialer(raw string, cfg *config) (dialer, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("client: router URL %q: %w", raw, err)
	}
	if cfg.tls != nil && u.Scheme != "wss" && u.Scheme != "tcps" {
		return nil, fmt.Errorf("%w: router URL %q: WithTLSConfig needs a wss or tcps URL (%s would go in clear)", ErrInvalidOption, raw, u.Scheme)
	}
	switch u.Scheme {
	case "ws", "wss":
		return func(ctx context.Context, _ *group) (wamp.Peer, error) {
			return dialWebsocket(ctx, raw, u.Scheme == "wss", cfg)
		}, nil
	case "tcp", "tcps":
		if u.Host == "" {
			return nil, fmt.Errorf("client: router URL %q has no host:port", raw)
		}
		return func(ctx context.Context, _ *group) (wamp.Peer, error) {
			return dialRawSocket(ctx, "tcp", u.Host, u.Scheme == "tcps", cfg)
		}, nil
	case "unix":
		path := u.Path
		if path == "" {
			path = u.Opaque
		}
		if path == "" {
			return nil, fmt.Errorf("client: router URL %q has no socket path", raw)
		}
		return func(ctx context.Context, _ *group) (wamp.Peer, error) {
			return dialRawSocket(ctx, "unix", path, false, cfg)
		}, nil
	}
	return nil, fmt.Errorf("%w: router URL %q: scheme must be ws, wss, tcp, tcps or unix", ErrInvalidOption, raw)
}

func dialWebsocket(ctx context.Context, raw string, secure bool, cfg *config) (wamp.Peer, error) {
	ser, err := wire.NewSerializer(cfg.nexusSerialization())
	if err != nil {
		return nil, err
	}
	protocol, binary := "wamp.2.json", false
	switch cfg.serialization {
	case MsgPack:
		protocol, binary = "wamp.2.msgpack", true
	case CBOR:
		protocol, binary = "wamp.2.cbor", true
	}
	d := websocket.Dialer{Subprotocols: []string{protocol}, Proxy: http.ProxyFromEnvironment}
	if secure {
		d.TLSClientConfig = cfg.tls
	}
	conn, resp, err := d.DialContext(ctx, raw, nil)
	if resp != nil && resp.Body != nil {
		_ = resp.Body.Close()
	}
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("client: websocket %s: %w (HTTP %s)", raw, err, resp.Status)
		}
		return nil, fmt.Errorf("client: websocket %s: %w", raw, err)
	}
	if conn.Subprotocol() != protocol {
		_ = conn.Close()
		return nil, fmt.Errorf("client: websocket %s: router does not speak %s", raw, protocol)
	}
	return wire.NewWebsocketPeer(conn, ser, binary, cfg.keepAlive), nil
}

func dialRawSocket(ctx context.Context, network, addr string, secure bool, cfg *config) (wamp.Peer, error) {
	ser, err := wire.NewSerializer(cfg.nexusSerialization())
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, fmt.Errorf("client: rawsocket %s: %w", addr, err)
	}
	if secure {
		tcfg := cfg.tls
		if tcfg == nil {
			tcfg = &tls.Config{}
		}
		if tcfg.ServerName == "" {
			tcfg = tcfg.Clone()
			host, _, _ := net.SplitHostPort(addr)
			tcfg.ServerName = host
		}
		tconn := tls.Client(conn, tcfg)
		if err := tconn.HandshakeContext(ctx); err != nil {
			_ = conn.Close()
			return nil, fmt.Errorf("client: rawsocket TLS %s: %w", addr, err)
		}
		conn = tconn
	}
	p, err := wire.HandshakeRawSocketKeepAlive(ctx, conn, cfg.nexusSerialization(), ser, cfg.keepAlive)
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("client: rawsocket %s: %w", addr, err)
	}
	return p, nil
}

// localMaxMessage is the largest message an in-process session sends,
// measured as MessagePack encodes it: 16 MiB, the websocket peers' limit,
// less 64 KiB for what the router adds when it forwards a message (an
// INVOCATION's or EVENT's details) and for rawsocket, whose frames carry
// at most 2^24-1 bytes. The in-process link itself would carry more, but
// the router forwards what it receives to sessions on the network, which
// could not take it: nexus then drops the receiving session (a callee, a
// subscriber) rather than the message. So a larger message is refused at
// the call, with ErrMessageTooLarge and nothing sent, as on a network link.
//
// MessagePack is an estimate: a message that passes may still be too large
// for a receiver using JSON, which writes binary as base64 (a third
// larger) and may escape strings, while JSON writes some numbers shorter.
const localMaxMessage = 16<<20 - 64<<10

// localLink is the client's end of an in-process connection: the session
// limits what it sends to localMaxMessage (sizer), and takes back what the
// router never took (linkedPeer.takeBack).
type localLink struct{ *linkedPeer }

func (localLink) MaxMessage() int { return localMaxMessage }

// EncodedSize is msg's size in MessagePack. The session asks only when its
// bound of the size passes localMaxMessage (any message with a few MiB of
// strings); the serializer counts it without encoding unless a value needs
// its fallback.
func (localLink) EncodedSize(msg wamp.Message) (int, error) {
	ser, err := localSizer()
	if err != nil {
		return 0, err
	}
	return ser.EncodedSize(msg)
}

var localSizer = sync.OnceValues(func() (*wire.Serializer, error) { return wire.NewSerializer(serialize.MSGPACK) })

// localQueueSize is the depth of the router-to-client queue of an in-process
// connection.
const localQueueSize = 16384

// localSendQueue is the depth of the client-to-router queue of an
// in-process connection. nexus's own linked peers make it unbuffered, so
// every send waits until the router's goroutine takes the message: the
// sender parks and is woken again for each CALL and YIELD. A few slots let
// a send return at once while the router is busy, as a socket's buffer
// does. The router still takes them in order, and a sender waits for room
// (until its ctx ends) once they are full.
const localSendQueue = 64

// linkedPeers returns the two ends of an in-process connection: the
// client's, which reads what the router sends (up to toClient queued), and
// the router's, which reads what the client sends (up to toRouter queued).
// Closing an end closes the channel it sends on; the other end reads what
// is queued, then sees it closed.
func linkedPeers(toClient, toRouter int) (client, router *linkedPeer) {
	rToC := make(chan wamp.Message, toClient)
	cToR := make(chan wamp.Message, toRouter)
	return &linkedPeer{rd: rToC, wr: cToR}, &linkedPeer{rd: cToR, wr: rToC}
}

// linkedPeer is one end of linkedPeers.
type linkedPeer struct {
	rd <-chan wamp.Message
	wr chan wamp.Message // what this end sends; takeBack reads it too
}

// takeBack takes out of the client's end what the router has not taken
// from wr (it never will: a message is received once). The session calls
// it after the router closed the link and the session ended (its end
// closed), to fail the calls whose CALL the router never had as not sent.
func (p *linkedPeer) takeBack() []wamp.Message {
	var msgs []wamp.Message
	for {
		select {
		case m, ok := <-p.wr:
			if !ok {
				return msgs
			}
			msgs = append(msgs, m)
		default:
			return msgs
		}
	}
}

func (p *linkedPeer) IsLocal() bool             { return true }
func (p *linkedPeer) Recv() <-chan wamp.Message { return p.rd }
func (p *linkedPeer) Send() chan<- wamp.Message { return p.wr }
func (p *linkedPeer) Close()                    { close(p.wr) }

func localDialer(attach func(wamp.Peer) error) dialer {
	return func(_ context.Context, bg *group) (wamp.Peer, error) {
		// nexus fails a call with network_failure ("callee blocked") when
		// a session's queue from the router is full, so the in-memory
		// link gets a deep one.
		cli, rtr := linkedPeers(localQueueSize, localSendQueue)
		// Attach reads our HELLO, so it runs beside the join. It returns as
		// soon as the router has answered (or given up on) the handshake,
		// or the join closed the peer; a failure shows up as the router
		// closing the peer. attach must return then (Close waits for it,
		// until its context ends).
		bg.Add(1)
		go func() {
			defer bg.Done()
			_ = attach(rtr)
		}()
		return localLink{cli}, nil
	}
}

func (c *config) log() *slog.Logger {
	if c.logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.logger
}
