package wamptest

import (
	"io"
	"log"
	"net"
	"net/http"
	"testing"

	"github.com/gammazero/nexus/v3/router"
	"github.com/gammazero/nexus/v3/wamp"
	"github.com/stretchr/testify/require"
)

// Router is a router running for one test, reachable in process (Attach),
// over websocket and over rawsocket on 127.0.0.1 ephemeral ports.
type Router struct {
	nexus router.Router
	ws    string
	tcp   string
}

// NewRouter starts a router for the test and stops it at cleanup.
func NewRouter(t testing.TB) *Router {
	t.Helper()
	nr, err := router.NewRouter(&router.Config{RealmConfigs: []*router.RealmConfig{
		{URI: "realm1", AnonymousAuth: true, AllowDisclose: true},
	}}, log.New(io.Discard, "", 0))
	require.NoError(t, err)
	r := &Router{nexus: nr}
	wsl, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: router.NewWebsocketServer(nr)}
	go func() { _ = srv.Serve(wsl) }()
	r.ws = "ws://" + wsl.Addr().String() + "/ws"
	rs, err := router.NewRawSocketServer(nr).ListenAndServe("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	r.tcp = "tcp://" + rs.(net.Listener).Addr().String()
	t.Cleanup(func() {
		_ = srv.Close()
		_ = rs.Close()
		nr.Close()
	})
	return r
}

// Attach connects a peer in process (client.ConnectLocal uses it).
func (r *Router) Attach(p wamp.Peer) error { return r.nexus.Attach(p) }

// WebsocketURL is the router's websocket URL.
func (r *Router) WebsocketURL() string { return r.ws }

// RawSocketURL is the router's rawsocket (tcp://) URL.
func (r *Router) RawSocketURL() string { return r.tcp }
