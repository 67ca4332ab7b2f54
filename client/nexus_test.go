package client_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/router"
	"github.com/gammazero/nexus/v3/router/auth"
	"github.com/gammazero/nexus/v3/wamp"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest"
)

// keyStore serves the test credentials to nexus's authenticators.
type keyStore struct {
	cryptosignPub ed25519.PublicKey
}

func (k keyStore) AuthKey(authid, method string) ([]byte, error) {
	switch {
	case method == "ticket" && authid == "alice":
		return []byte("alice-ticket"), nil
	case method == "wampcra" && authid == "bob":
		return []byte("bob-secret"), nil
	case method == "cryptosign" && authid == "carol":
		return k.cryptosignPub, nil
	}
	return nil, errors.New("no such user")
}
func (keyStore) PasswordInfo(string) (string, int, int) { return "", 0, 0 }
func (keyStore) AuthRole(authid string) (string, error) { return "user-" + authid, nil }
func (keyStore) Provider() string                       { return "test" }

// testRouter is a plain nexus router in process, with websocket and
// rawsocket servers on 127.0.0.1 ephemeral ports.
type testRouter struct {
	router.Router
	wsURL, tcpURL string
	signKey       ed25519.PrivateKey
}

func startNexus(t testing.TB) *testRouter {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	ks := keyStore{cryptosignPub: pub}
	r, err := router.NewRouter(&router.Config{RealmConfigs: []*router.RealmConfig{
		{URI: "realm1", AnonymousAuth: true, AllowDisclose: true},
		{URI: "secure", Authenticators: []auth.Authenticator{
			auth.NewTicketAuthenticator(ks, time.Second),
			auth.NewCRAuthenticator(ks, time.Second),
			auth.NewCryptoSignAuthenticator(ks, time.Second),
		}},
	}}, log.New(io.Discard, "", 0))
	require.NoError(t, err)
	tr := &testRouter{Router: r, signKey: priv}

	wsl, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: router.NewWebsocketServer(r)}
	go func() { _ = srv.Serve(wsl) }()
	tr.wsURL = "ws://" + wsl.Addr().String() + "/"

	rss := router.NewRawSocketServer(r)
	rsCloser, err := rss.ListenAndServe("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	tr.tcpURL = "tcp://" + rsCloser.(net.Listener).Addr().String()

	t.Cleanup(func() {
		_ = srv.Close()
		_ = rsCloser.Close()
		r.Close()
	})
	return tr
}

type transportCase struct {
	name    string
	connect func(t testing.TB, r *testRouter, opts ...client.Option) *client.Client
}

func transports() []transportCase {
	mk := func(url func(*testRouter) string, ser client.Serialization) func(testing.TB, *testRouter, ...client.Option) *client.Client {
		return func(t testing.TB, r *testRouter, opts ...client.Option) *client.Client {
			return dial(t, url(r), append([]client.Option{client.WithSerialization(ser)}, opts...)...)
		}
	}
	ws := func(r *testRouter) string { return r.wsURL }
	tcp := func(r *testRouter) string { return r.tcpURL }
	return []transportCase{
		{"inproc", func(t testing.TB, r *testRouter, opts ...client.Option) *client.Client {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			c, err := wamptest.ConnectLocal(ctx, r, opts...)
			require.NoError(t, err)
			t.Cleanup(func() { closeClient(t, c) })
			return c
		}},
		{"ws-json", mk(ws, client.JSON)},
		{"ws-msgpack", mk(ws, client.MsgPack)},
		{"ws-cbor", mk(ws, client.CBOR)},
		{"tcp-json", mk(tcp, client.JSON)},
		{"tcp-msgpack", mk(tcp, client.MsgPack)},
		{"tcp-cbor", mk(tcp, client.CBOR)},
	}
}

func dial(t testing.TB, url string, opts ...client.Option) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := client.Connect(ctx, url, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { closeClient(t, c) })
	return c
}

func closeClient(t testing.TB, c *client.Client) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, c.Close(ctx))
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

var _ = wamp.ID(0)
