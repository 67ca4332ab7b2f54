package wamptest

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/stretchr/testify/require"

	"github.com/gammazero/nexus/v3/wamp"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/kithook"
)

// Transport names one way to reach the router: in process, websocket or
// rawsocket, with a serializer.
type Transport struct {
	Name          string
	Kind          string // "inproc", "ws" or "tcp"
	Serialization client.Serialization
}

// Transports lists every transport and serializer combination.
func Transports() []Transport {
	out := []Transport{{Name: "inproc", Kind: "inproc"}}
	for _, kind := range []string{"ws", "tcp"} {
		for _, s := range []client.Serialization{client.JSON, client.MsgPack, client.CBOR} {
			out = append(out, Transport{Name: kind + "-" + s.String(), Kind: kind, Serialization: s})
		}
	}
	return out
}

// Attacher is a router in this process that takes a client's in-memory
// peer: nexus's router.Router, internal/router's, the Routers of
// client/wamptest and of this package, a Faulty, a test's scripted router.
type Attacher interface{ Attach(wamp.Peer) error }

// ConnectLocal connects a client to r through an in-memory peer (wampkit's
// in-process link, which its public API reaches only through
// client/wamptest); the client attaches again on every reconnect.
func ConnectLocal(ctx context.Context, r Attacher, opts ...client.Option) (*client.Client, error) {
	var attach func(wamp.Peer) error // nil: client refuses it with ErrInvalidOption
	if r != nil {
		attach = r.Attach
	}
	return kithook.Connect[*client.Client](ctx, attach, opts)
}

// Context returns a context that ends after 10 seconds or with the test.
func Context(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// Connect connects a client over tr; the client is closed when the test
// ends.
func (r *Router) Connect(t testing.TB, tr Transport, opts ...client.Option) *client.Client {
	t.Helper()
	opts = append([]client.Option{client.WithSerialization(tr.Serialization)}, opts...)
	var url string
	switch tr.Kind {
	case "inproc":
		opts = append([]client.Option{client.WithRealm(r.Realm())}, opts...)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c, err := ConnectLocal(ctx, r, opts...)
		require.NoError(t, err)
		t.Cleanup(func() { Close(t, c) })
		return c
	case "ws":
		url = r.URL()
	case "tcp":
		url = r.RawSocketURL()
	default:
		t.Fatalf("wamptest: unknown transport kind %q", tr.Kind)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := client.Connect(ctx, url, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { Close(t, c) })
	return c
}

// Local connects a client in process (JSON semantics, no serialization).
func (r *Router) Local(t testing.TB, opts ...client.Option) *client.Client {
	return r.Connect(t, Transport{Name: "inproc", Kind: "inproc"}, opts...)
}

// WS connects a client over websocket with JSON.
func (r *Router) WS(t testing.TB, opts ...client.Option) *client.Client {
	return r.Connect(t, Transport{Name: "ws-json", Kind: "ws"}, opts...)
}

// Close closes c within 5 seconds and fails the test if that fails.
func Close(t testing.TB, c *client.Client) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Close(ctx); err != nil {
		t.Errorf("wamptest: close client: %v", err)
	}
}

// Eventually polls cond every 10ms until it holds or 5 seconds pass.
func Eventually(t testing.TB, cond func() bool, msgAndArgs ...any) {
	t.Helper()
	require.Eventually(t, cond, 5*time.Second, 10*time.Millisecond, msgAndArgs...)
}

// Buffer is a bytes.Buffer safe for one writer goroutine and a reading
// test: the output of a program running beside the test.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what was written so far.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// FastBackoff is a reconnect policy for tests: 10ms, doubling up to 100ms,
// until the client closes. Use it with client.WithReconnect.
func FastBackoff() backoff.BackOff {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval, b.MaxInterval, b.MaxElapsedTime = 10*time.Millisecond, 100*time.Millisecond, 0
	return b
}
