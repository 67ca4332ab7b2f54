package wamptest

import (
	"net/url"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/internal/netfault"
	"github.com/wampkit/wampkit/internal/router"
)

// Proxy is a TCP proxy on 127.0.0.1 in front of one router address:
// clients connect to the proxy, and the test drops their connections
// (DropAll), makes the router unreachable (Pause), or slows traffic
// (SetDelay) at will, for the clients of that proxy only. NewProxy closes it
// at cleanup. Safe for concurrent use.
type Proxy struct {
	target string
	faults netfault.Faults
	p      *netfault.Proxy
}

// NewProxy starts a proxy to target (host:port, or a ws://, tcp:// URL
// whose host:port is taken) and closes it at cleanup.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	if u, err := url.Parse(target); err == nil && u.Host != "" {
		target = u.Host
	}
	p := &Proxy{target: target}
	var err error
	p.p, err = p.faults.Listen(target)
	require.NoError(t, err)
	t.Cleanup(p.Close)
	return p
}

// SetDelay delays every chunk of bytes forwarded in either direction by d
// (0: no delay), from now on.
func (p *Proxy) SetDelay(d time.Duration) { p.faults.SetDelay(d) }

// Pause refuses new connections (they are accepted and closed at once)
// until Resume: the router is unreachable.
func (p *Proxy) Pause() { p.p.SetTarget("") }

// Resume accepts connections again.
func (p *Proxy) Resume() { p.p.SetTarget(p.target) }

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.p.Addr() }

// WebsocketURL is the proxy's address as a websocket URL (for a proxy in
// front of a router's websocket address).
func (p *Proxy) WebsocketURL() string { return "ws://" + p.Addr() + "/ws" }

// RawSocketURL is the proxy's address as a rawsocket URL.
func (p *Proxy) RawSocketURL() string { return "tcp://" + p.Addr() }

// DropAll cuts every connection through the proxy, as a network failure
// would; new connections are still accepted.
func (p *Proxy) DropAll() { p.faults.Drop() }

// Close stops the proxy and cuts its connections.
func (p *Proxy) Close() {
	p.p.Close()
	p.faults.Close()
}

// Restartable is a [Router] the SDK's reconnect tests stop and start: the
// public kit's routers all keep their URLs across restarts, so it only adds
// a Start that fails the test and a Restart that reports when the new router
// was up.
type Restartable struct {
	*Router
	t testing.TB
}

// NewRestartable starts a router; only the zero router.Config is
// supported (the kit's routers take RouterOptions).
func NewRestartable(t testing.TB, cfg router.Config) *Restartable {
	t.Helper()
	if !reflect.ValueOf(cfg).IsZero() {
		t.Fatal("wamptest: NewRestartable takes the zero router.Config only")
	}
	return &Restartable{Router: NewRouter(t), t: t}
}

// Start starts the router again (a no-op while it runs) and fails the test
// if it cannot.
func (r *Restartable) Start() {
	if err := r.Router.Start(); err != nil {
		r.t.Errorf("wamptest: %v", err)
	}
}

// Restart stops the router, waits down (0: not at all), starts a new one
// behind the same URLs and returns the time the new one was listening.
func (r *Restartable) Restart(down time.Duration) time.Time {
	r.Stop()
	if down > 0 {
		time.Sleep(down)
	}
	r.Start()
	return time.Now()
}
