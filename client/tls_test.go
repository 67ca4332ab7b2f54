package client_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/router"
	"github.com/gammazero/nexus/v3/transport"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/client"
)

// serveRawSocket accepts rawsocket connections on l and attaches them to r
// until l closes.
func serveRawSocket(t *testing.T, r router.Router, l net.Listener) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			// nexus drops what it cannot queue at once, so the peer needs
			// an outbound queue (0 would make it unbuffered).
			peer, err := transport.AcceptRawSocket(conn, log.New(io.Discard, "", 0), 0, 64)
			if err != nil {
				_ = conn.Close()
				continue
			}
			wg.Add(1)
			go func() { defer wg.Done(); _ = r.Attach(peer) }()
		}
	}()
	t.Cleanup(func() { _ = l.Close(); wg.Wait() })
}

func echoRoundTrip(t *testing.T, c *client.Client) {
	ctx := ctxT(t)
	_, err := c.Register(ctx, "test.echo", func(_ context.Context, inv *client.Invocation) (client.Payload, error) {
		return inv.Payload(), nil
	}, client.RegisterOptions{})
	require.NoError(t, err)
	res, err := c.Call(ctx, client.CallRequest{Procedure: "test.echo", Payload: client.Payload{Args: []any{"secure"}}}, nil)
	require.NoError(t, err)
	assert.Equal(t, "secure", res.Args[0])
}

func TestSecureAndUnixTransports(t *testing.T) {
	r := startNexus(t)
	srv := httptest.NewUnstartedServer(router.NewWebsocketServer(r))
	srv.StartTLS()
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	tlsCfg := &tls.Config{RootCAs: pool, ServerName: "example.com"}

	t.Run("wss", func(t *testing.T) {
		url := "wss://" + strings.TrimPrefix(srv.URL, "https://") + "/ws"
		c := dial(t, url, client.WithTLSConfig(tlsCfg), client.WithSerialization(client.MsgPack))
		echoRoundTrip(t, c)
	})
	t.Run("wss untrusted certificate refused", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		url := "wss://" + strings.TrimPrefix(srv.URL, "https://") + "/ws"
		_, err := client.Connect(ctx, url)
		assert.ErrorContains(t, err, "certificate")
	})
	t.Run("tcps", func(t *testing.T) {
		l, err := tls.Listen("tcp", "127.0.0.1:0", srv.TLS)
		require.NoError(t, err)
		serveRawSocket(t, r, l)
		c := dial(t, "tcps://"+l.Addr().String(), client.WithTLSConfig(tlsCfg), client.WithSerialization(client.CBOR))
		echoRoundTrip(t, c)
	})
	t.Run("unix", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "router.sock")
		l, err := net.Listen("unix", path)
		require.NoError(t, err)
		serveRawSocket(t, r, l)
		c := dial(t, "unix://"+path)
		echoRoundTrip(t, c)
	})
}

var _ http.Handler = (*router.WebsocketServer)(nil)
