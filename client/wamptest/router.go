package wamptest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/wamp"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/kithook"
	"github.com/wampkit/wampkit/internal/netfault"
	"github.com/wampkit/wampkit/internal/router"
)

const (
	// connectTimeout bounds Connect and Admin.
	connectTimeout = 10 * time.Second
	// closeTimeout bounds each cleanup: a client's Close, the router's.
	closeTimeout = 10 * time.Second
)

// ErrStopped is the error of [Router.Dial] (and the failure of
// [Router.Connect]) while the router is stopped ([Router.Stop]). A client
// that reconnects in process meanwhile sees its connection refused and
// retries under its reconnect policy.
var ErrStopped = errors.New("wamptest: router is stopped")

// Router is wampkit's reference router running in the process: nexus plus
// wamp.registration.remove_callee, registration revocation and the
// registration meta API, serving one realm to anonymous sessions and to one
// admin user ([Router.AdminCredentials]).
//
// Clients reach it in process ([Router.Connect], [Router.Admin],
// [Router.Dial]), over websocket ([Router.URL]) and over rawsocket
// ([Router.RawSocketURL]), on 127.0.0.1. Every connection, whatever its
// transport, passes through the router's fault injection: [Router.Drop],
// [Router.Stall], [Router.Delay]. The network addresses belong to the Router
// and not to the router process behind them, so they stay the same across
// [Router.Restart].
//
// Concurrency: every method is safe for concurrent use, from the test and
// from handlers. [Router.Connect] and [Router.Admin] stop the test when
// they fail (t.Fatal), which only the test's goroutine may do: from a
// handler or another goroutine, use [Router.Dial].
type Router struct {
	cfg    router.Config
	faults netfault.Faults
	ws     *netfault.Proxy
	raw    *netfault.Proxy

	mu      sync.Mutex
	current *router.Router // nil while stopped
	closed  bool

	closeOnce sync.Once
	closeErr  error
}

func init() {
	kithook.Attach = func(r any, p wamp.Peer) error { return r.(*Router).attachDirect(p) }
}

// NewRouter starts a router for the test, with a fresh realm, and closes it
// when the test ends, after every client [Router.Connect] and [Router.Admin]
// made for the test (t.Cleanup runs last-in first-out). It fails the test
// if the router cannot start. Each cleanup is bounded: one that does not
// finish within 10 seconds fails the test instead of hanging it.
func NewRouter(t testing.TB, opts ...RouterOption) *Router {
	t.Helper()
	r, err := StartRouter(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := bounded(r.Close); err != nil {
			t.Errorf("wamptest: close router: %v", err)
		}
	})
	return r
}

// StartRouter starts a router for a program, a TestMain or an Example
// function, which has no testing.TB; the caller closes it with
// [Router.Close].
func StartRouter(opts ...RouterOption) (*Router, error) {
	cfg := router.Config{
		Realm:       router.DefaultRealm,
		AdminAuthID: router.DefaultAdminAuthID,
		AdminTicket: router.NewTicket(), // random, the same across restarts
	}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o.apply(&cfg); err != nil {
			return nil, fmt.Errorf("wamptest: %w", err)
		}
	}
	r := &Router{cfg: cfg}
	var err error
	if r.ws, err = r.faults.Listen(""); err == nil {
		r.raw, err = r.faults.Listen("")
	}
	if err == nil {
		err = r.Start()
	}
	if err != nil {
		_ = r.Close()
		return nil, fmt.Errorf("wamptest: start router: %w", err)
	}
	return r, nil
}

// Realm returns the realm the router serves.
func (r *Router) Realm() string { return r.cfg.Realm }

// AdminCredentials returns the admin user's WAMP-Ticket credentials (the
// ticket is random, made for this Router, and the same across restarts),
// for clients connecting over the network:
//
//	client.Connect(ctx, r.URL(), client.WithTicket(r.AdminCredentials()))
func (r *Router) AdminCredentials() (authid, ticket string) {
	return r.cfg.AdminAuthID, r.cfg.AdminTicket
}

// URL returns the router's websocket URL, ws://127.0.0.1:PORT/ws (JSON,
// MsgPack and CBOR). It stays the same across restarts.
func (r *Router) URL() string { return "ws://" + r.ws.Addr() + "/ws" }

// RawSocketURL returns the router's rawsocket URL, tcp://127.0.0.1:PORT
// (JSON, MsgPack and CBOR). It stays the same across restarts.
func (r *Router) RawSocketURL() string { return "tcp://" + r.raw.Addr() }

// Dial connects a client in process, for code without a testing.TB; the
// caller closes it. opts are the client's options; the realm defaults to
// the router's.
func (r *Router) Dial(ctx context.Context, opts ...client.Option) (*client.Client, error) {
	r.mu.Lock()
	stopped := r.current == nil
	r.mu.Unlock()
	if stopped {
		return nil, ErrStopped
	}
	all := append([]client.Option{client.WithRealm(r.cfg.Realm)}, opts...)
	key := &linkKey{}
	c, err := kithook.Connect[*client.Client](ctx, attacher{r: r, key: key}.Attach, all)
	if err != nil {
		return nil, err
	}
	key.client.Store(c)
	return c, nil
}

// Connect connects a client in process and closes it when the test ends,
// before the router; it fails the test if the client cannot join. The
// client reconnects like any other (client.WithReconnect), in process too.
func (r *Router) Connect(t testing.TB, opts ...client.Option) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
	defer cancel()
	c, err := r.Dial(ctx, opts...)
	if err != nil {
		t.Fatalf("wamptest: connect: %v", err)
	}
	t.Cleanup(func() {
		// Faults left in place would hold up the client's goodbye.
		r.faults.Resume()
		r.faults.SetDelay(0)
		if err := bounded(func() error {
			ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
			defer cancel()
			return c.Close(ctx)
		}); err != nil {
			t.Errorf("wamptest: close client: %v", err)
		}
	})
	return c
}

// Admin is [Router.Connect] with the admin user's credentials: the session
// may call the meta API's admin procedures, such as
// wamp.registration.remove_callee (metaclient.Client.RemoveCallee).
func (r *Router) Admin(t testing.TB, opts ...client.Option) *client.Client {
	t.Helper()
	return r.Connect(t, append([]client.Option{client.WithTicket(r.AdminCredentials())}, opts...)...)
}

// Close stops the router and its listeners, cuts what is still connected
// and waits for every goroutine the Router started. Clients still open see
// the router shut down and, if they reconnect, find nothing listening.
// Calling it again returns the first result.
func (r *Router) Close() error {
	r.closeOnce.Do(func() {
		r.mu.Lock()
		r.closed = true
		r.mu.Unlock()
		r.faults.Resume()
		r.faults.SetDelay(0)
		for _, p := range []*netfault.Proxy{r.ws, r.raw} {
			if p != nil {
				p.Close()
			}
		}
		r.closeErr = r.stop()
		r.faults.Close()
	})
	return r.closeErr
}

// attach joins an in-process client peer to the running router through the
// fault injection, its link tagged with key.
func (r *Router) attach(p wamp.Peer, key *linkKey) error {
	r.mu.Lock()
	cur := r.current
	r.mu.Unlock()
	if cur == nil {
		p.Close()
		return ErrStopped
	}
	return r.faults.Attach(p, cur.Attach, key)
}

// attachDirect joins an in-process client peer to the running router
// without the fault injection.
func (r *Router) attachDirect(p wamp.Peer) error {
	r.mu.Lock()
	cur := r.current
	r.mu.Unlock()
	if cur == nil {
		p.Close()
		return ErrStopped
	}
	return cur.Attach(p)
}

// attacher is what the client's in-process link sees of a Router: one per client,
// so that every connection the client makes, first and reconnects, carries
// its key.
type attacher struct {
	r   *Router
	key *linkKey
}

func (a attacher) Attach(p wamp.Peer) error { return a.r.attach(p, a.key) }

// linkKey tags the in-process links of one client, for DropClient.
type linkKey struct {
	client atomic.Pointer[client.Client] // set once Dial has the client
}

// bounded runs f and gives up waiting after closeTimeout; f then goes on
// running (goleak reports it).
func bounded(f func() error) error {
	done := make(chan error, 1)
	go func() { done <- f() }()
	t := time.NewTimer(closeTimeout)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		return fmt.Errorf("did not finish within %s", closeTimeout)
	}
}

// hostPort returns the host:port of a router URL.
func hostPort(url string) string {
	_, rest, _ := strings.Cut(url, "://")
	host, _, _ := strings.Cut(rest, "/")
	return host
}
