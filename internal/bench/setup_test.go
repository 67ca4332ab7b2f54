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
	"github.com/xconnio/xconn-go"
	"go.uber.org/goleak"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest"
)

// TestMain checks for leaked goroutines, except three of xconn-go v0.1.0's
// (xconn_test.go): its rawsocket writer never ends, its rawsocket Close
// waits a second for that writer, and Leave waits 10 s for a GOODBYE that
// nexus often drops.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("github.com/xconnio/xconn-go.(*Session).Leave"),
		goleak.IgnoreTopFunction("github.com/xconnio/xconn-go.(*RawSocketPeer).writer"),
		goleak.IgnoreTopFunction("github.com/xconnio/xconn-go.(*RawSocketPeer).Close"))
}

// server is a plain nexus router with websocket and rawsocket listeners:
// the common ground for both clients.
type server struct {
	router.Router
	ws, raw string // URLs: ws://host:port/ and tcp://host:port
	rawAddr string // host:port of the rawsocket listener
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
	rawAddr := rs.(net.Listener).Addr().String()
	s := &server{Router: r, ws: "ws://" + wsl.Addr().String() + "/", raw: "tcp://" + rawAddr, rawAddr: rawAddr}
	s.stop = func() { _ = hs.Close(); _ = rs.Close(); r.Close() }
	tb.Cleanup(s.stop)
	return s
}

// transport names a way to reach the server: in process, websocket or
// rawsocket, and a serializer.
type transport struct {
	name string
	kind string // "inproc", "ws" or "raw"
	ser  client.Serialization
	nx   serialize.Serialization
	xc   xconn.SerializerSpec
}

// url is the address of s for this transport, "" in process.
func (tr transport) url(s *server) string {
	switch tr.kind {
	case "ws":
		return s.ws
	case "raw":
		return s.raw
	}
	return ""
}

// transports are every transport and serializer all three clients speak
// (xconn-go and the floor have no in-process link to a nexus router).
// compare.sh runs the first four by default, all of them with FULL=1.
var transports = []transport{
	{"inproc", "inproc", client.JSON, serialize.JSON, nil},
	{"ws-json", "ws", client.JSON, serialize.JSON, xconn.JSONSerializerSpec},
	{"ws-msgpack", "ws", client.MsgPack, serialize.MSGPACK, xconn.MsgPackSerializerSpec},
	{"raw-msgpack", "raw", client.MsgPack, serialize.MSGPACK, xconn.MsgPackSerializerSpec},
	{"ws-cbor", "ws", client.CBOR, serialize.CBOR, xconn.CBORSerializerSpec},
	{"raw-json", "raw", client.JSON, serialize.JSON, xconn.JSONSerializerSpec},
	{"raw-cbor", "raw", client.CBOR, serialize.CBOR, xconn.CBORSerializerSpec},
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
		c, err = wamptest.ConnectLocal(ctx, s, client.WithoutReconnect())
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
