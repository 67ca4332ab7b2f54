package router

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	nexus "github.com/gammazero/nexus/v3/router"
	"github.com/gammazero/nexus/v3/transport"
	"github.com/gammazero/nexus/v3/transport/serialize"
	"github.com/gammazero/nexus/v3/wamp"
	"github.com/gorilla/websocket"

	"github.com/wampkit/wampkit/internal/wire"
)

// handshakeTimeout bounds the rawsocket handshake and the HTTP upgrade.
const handshakeTimeout = 5 * time.Second

// listener is one network endpoint of the router.
type listener struct {
	url     string
	ln      net.Listener
	srv     *http.Server          // websocket only
	pending map[net.Conn]struct{} // rawsocket connections in handshake; guarded by Router.mu
}

// ListenWebsocket serves WAMP over websocket on addr (host:port; port 0
// picks one), with the JSON, MsgPack and CBOR subprotocols. The URL is then
// [Router.WebsocketURL]. A router has at most one websocket listener.
func (r *Router) ListenWebsocket(addr string) error {
	// nexus's server gives the upgrader: its subprotocols and origin policy.
	ws := nexus.NewWebsocketServer(front{r})
	if err := ws.AllowOrigins(r.cfg.AllowOrigins); err != nil {
		return fmt.Errorf("router: websocket origins: %w", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("router: websocket listen: %w", err)
	}
	l := &listener{url: "ws://" + displayAddr(ln.Addr()) + "/ws", ln: ln}
	l.srv = &http.Server{
		Handler:           r.trackHTTP(r.serveWebsocket(ws.Upgrader)),
		ReadHeaderTimeout: handshakeTimeout,
		ErrorLog:          slog.NewLogLogger(r.log.Handler(), slog.LevelDebug),
	}
	if err := r.addListener(&r.ws, l); err != nil {
		return err
	}
	go func() {
		defer r.listenWG.Done()
		_ = l.srv.Serve(ln) // returns when Close closes the server
	}()
	return nil
}

// ListenRawSocket serves WAMP over rawsocket (TCP) on addr, accepting JSON,
// MsgPack and CBOR. The URL is then [Router.RawSocketURL]. A router has at
// most one rawsocket listener.
func (r *Router) ListenRawSocket(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("router: rawsocket listen: %w", err)
	}
	l := &listener{url: "tcp://" + displayAddr(ln.Addr()), ln: ln, pending: map[net.Conn]struct{}{}}
	if err := r.addListener(&r.raw, l); err != nil {
		return err
	}
	go func() {
		defer r.listenWG.Done()
		r.acceptRaw(l)
	}()
	return nil
}

// WebsocketURL returns the websocket URL, such as ws://127.0.0.1:PORT/ws,
// or "" before [Router.ListenWebsocket].
func (r *Router) WebsocketURL() string { return r.url(&r.ws) }

// RawSocketURL returns the rawsocket URL, such as tcp://127.0.0.1:PORT, or
// "" before [Router.ListenRawSocket].
func (r *Router) RawSocketURL() string { return r.url(&r.raw) }

func (r *Router) url(slot **listener) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if *slot == nil {
		return ""
	}
	return (*slot).url
}

// addListener stores l in slot and counts its serving goroutine.
func (r *Router) addListener(slot **listener, l *listener) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var err error
	switch {
	case r.closing:
		err = ErrClosed
	case *slot != nil:
		err = fmt.Errorf("router: already listening on %s", (*slot).url)
	}
	if err != nil {
		_ = l.ln.Close()
		return err
	}
	*slot = l
	r.listenWG.Add(1)
	return nil
}

// trackHTTP counts each upgrade handler, which goes on running after the
// HTTP server hands the connection over, so Close can wait for it.
func (r *Router) trackHTTP(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		if r.closing {
			r.mu.Unlock()
			http.Error(w, ErrClosed.Error(), http.StatusServiceUnavailable)
			return
		}
		r.listenWG.Add(1)
		r.mu.Unlock()
		defer r.listenWG.Done()
		h.ServeHTTP(w, req)
	})
}

func (r *Router) acceptRaw(l *listener) {
	for {
		nc, err := l.ln.Accept()
		if err != nil {
			return
		}
		r.mu.Lock()
		if r.closing {
			r.mu.Unlock()
			_ = nc.Close()
			continue
		}
		l.pending[nc] = struct{}{}
		r.listenWG.Add(1)
		r.mu.Unlock()
		go func() {
			defer r.listenWG.Done()
			r.serveRaw(l, nc)
		}()
	}
}

// maxWebsocketMessage is the largest message the router reads over
// websocket: 16 MiB, as over rawsocket (whose frames cannot say more) and
// as wampkit's own peer reads.
const maxWebsocketMessage = 16 << 20

// serveWebsocket upgrades the connection and attaches a nexus websocket
// peer that serializes with wampkit's Serializer, so that what the router
// sends is spec-shaped (wire/spec.go), which nexus's own serializers are not.
func (r *Router) serveWebsocket(up *websocket.Upgrader) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		conn, err := up.Upgrade(w, req, w.Header()) // on failure it has answered the request
		if err != nil {
			r.log.Debug("router: websocket upgrade failed", "remote", req.RemoteAddr, "err", err)
			return
		}
		// nexus's peer reads each message whole: without a limit, any
		// client, before it has even joined, could have the router hold a
		// message of any size. A message past it ends that connection.
		conn.SetReadLimit(maxWebsocketMessage)
		s, kind := serialize.JSON, websocket.TextMessage
		switch conn.Subprotocol() {
		case "wamp.2.msgpack":
			s, kind = serialize.MSGPACK, websocket.BinaryMessage
		case "wamp.2.cbor":
			s, kind = serialize.CBOR, websocket.BinaryMessage
		case "wamp.2.json":
		default: // the upgrader only agrees to the three
			_ = conn.Close()
			return
		}
		ser, err := wire.NewSerializer(s)
		if err != nil {
			_ = conn.Close()
			return
		}
		peer := transport.NewWebsocketPeer(conn, peerSerializer{ser}, kind, nexusLog{r.log}, 0, wsOutQueueSize)
		if err := r.attach(peer, wamp.Dict{"auth": wamp.Dict(nil)}); err != nil {
			r.log.Debug("router: websocket session refused", "remote", req.RemoteAddr, "err", err)
		}
	})
}

// peerSerializer is wampkit's Serializer for nexus's websocket peer, which
// logs and drops a frame it cannot decode (as with nexus's serializers)
// when Deserialize reports an error rather than a *wire.Malformed.
type peerSerializer struct{ *wire.Serializer }

func (p peerSerializer) Deserialize(data []byte) (wamp.Message, error) {
	msg, _ := p.Serializer.Deserialize(data)
	if m, ok := msg.(*wire.Malformed); ok {
		return nil, m.Err
	}
	return msg, nil
}

// serveRaw runs the rawsocket handshake, then attaches the peer, which
// serializes with wampkit's Serializer (see serveWebsocket).
func (r *Router) serveRaw(l *listener, nc net.Conn) {
	_ = nc.SetDeadline(time.Now().Add(handshakeTimeout))
	peer, err := wire.AcceptRawSocket(nc, wire.NewSerializer)
	r.mu.Lock()
	delete(l.pending, nc)
	r.mu.Unlock()
	if err != nil {
		r.log.Debug("router: rawsocket handshake failed", "remote", nc.RemoteAddr(), "err", err)
		return
	}
	_ = nc.SetDeadline(time.Time{})
	if err := r.attach(peer, nil); err != nil {
		r.log.Debug("router: rawsocket session refused", "remote", nc.RemoteAddr(), "err", err)
	}
}

// closeListeners stops accepting and drops rawsocket handshakes under way.
func (r *Router) closeListeners() error {
	r.mu.Lock()
	ws, raw := r.ws, r.raw
	var pending []net.Conn
	if raw != nil {
		for nc := range raw.pending {
			pending = append(pending, nc)
		}
	}
	r.mu.Unlock()
	var errs []error
	if ws != nil {
		errs = append(errs, ws.srv.Close())
	}
	if raw != nil {
		if err := raw.ln.Close(); !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	for _, nc := range pending {
		_ = nc.Close()
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("router: close listeners: %w", err)
	}
	return nil
}

// displayAddr formats a listening address for a URL, naming 127.0.0.1
// when the listener is on every interface.
func displayAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
