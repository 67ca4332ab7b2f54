package bench

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"testing"
	"time"

	nxclient "github.com/gammazero/nexus/v3/client"
	"github.com/gammazero/nexus/v3/router"
	"github.com/gammazero/nexus/v3/transport/serialize"
	"go.uber.org/goleak"

	"github.com/wampkit/wampkit/client"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// server is a plain nexus router with websocket and rawsocket listeners:
// the common ground for both clients.
type server struct {
	router.Router
	ws, raw string
	stop    func()
}

func startServer(tb testing.TB) *server {
	tb.Helper()
	r, err := router.NewRouter(&router.Config{RealmConfigs: []*router.RealmConfig{
		{URI: "realm1", AnonymousAuth: true},
	}}, log.New(io.Discard, "", 0))
	if err != nil {
		tb.Fatal(err)
	}
	wsl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	hs := &http.Server{Handler: router.NewWebsocketServer(r)}
	go func() { _ = hs.Serve(wsl) }()
	rs, err := router.NewRawSocketServer(r).ListenAndServe("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s := &server{Router: r, ws: "ws://" + wsl.Addr().String() + "/", raw: "tcp://" + rs.(net.Listener).Addr().String()}
	s.stop = func() { _ = hs.Close(); _ = rs.Close(); r.Close() }
	tb.Cleanup(s.stop)
	return s
}

// transport names a way to reach the server.
type transport struct {
	name string
	url  func(*server) string // "" means in process
	ser  client.Serialization
	nx   serialize.Serialization
}

var transports = []transport{
	{"inproc", func(*server) string { return "" }, client.JSON, serialize.JSON},
	{"ws-json", func(s *server) string { return s.ws }, client.JSON, serialize.JSON},
	{"ws-msgpack", func(s *server) string { return s.ws }, client.MsgPack, serialize.MSGPACK},
	{"raw-msgpack", func(s *server) string { return s.raw }, client.MsgPack, serialize.MSGPACK},
}

func wampkitClient(tb testing.TB, s *server, tr transport) *client.Client {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var (
		c   *client.Client
		err error
	)
	if u := tr.url(s); u == "" {
		c, err = client.ConnectLocal(ctx, s, client.WithoutReconnect())
	} else {
		c, err = client.Connect(ctx, u, client.WithSerialization(tr.ser), client.WithoutReconnect())
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = c.Close(ctx)
	})
	return c
}

func nexusClient(tb testing.TB, s *server, tr transport) *nxclient.Client {
	tb.Helper()
	cfg := nxclient.Config{Realm: "realm1", Serialization: tr.nx, Logger: log.New(io.Discard, "", 0)}
	var (
		c   *nxclient.Client
		err error
	)
	if u := tr.url(s); u == "" {
		c, err = nxclient.ConnectLocal(s.Router, cfg)
	} else {
		c, err = nxclient.ConnectNet(context.Background(), u, cfg)
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = c.Close() })
	return c
}
