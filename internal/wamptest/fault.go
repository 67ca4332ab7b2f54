package wamptest

import (
	"errors"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/wamp"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/internal/router"
)

// Proxy is a TCP proxy on 127.0.0.1 in front of a router address: clients
// connect to the proxy, and the test drops their connections (DropAll),
// makes the router unreachable (Pause), or slows traffic (SetDelay) at will.
// Its goroutines (an accept loop, two per connection) end on Close, which
// NewProxy registers with t.Cleanup. Safe for concurrent use.
type Proxy struct {
	l      net.Listener
	target string

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	paused bool
	closed bool
	delay  time.Duration
	wg     sync.WaitGroup
}

// SetDelay delays every chunk of bytes forwarded in either direction by d
// (0: no delay), on current and new connections.
func (p *Proxy) SetDelay(d time.Duration) { p.mu.Lock(); p.delay = d; p.mu.Unlock() }

// Pause refuses new connections (they are accepted and closed at once)
// until Resume: the router is unreachable.
func (p *Proxy) Pause() { p.mu.Lock(); p.paused = true; p.mu.Unlock() }

// Resume accepts connections again.
func (p *Proxy) Resume() { p.mu.Lock(); p.paused = false; p.mu.Unlock() }

// NewProxy starts a proxy to target (host:port, or a ws://, tcp:// URL
// whose host:port is taken) and closes it at cleanup.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	if u, err := url.Parse(target); err == nil && u.Host != "" {
		target = u.Host
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &Proxy{l: l, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.Close)
	return p
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.l.Addr().String() }

// WebsocketURL is the proxy's address as a websocket URL (for a proxy in
// front of a router's websocket address).
func (p *Proxy) WebsocketURL() string { return "ws://" + p.Addr() + "/ws" }

// RawSocketURL is the proxy's address as a rawsocket URL.
func (p *Proxy) RawSocketURL() string { return "tcp://" + p.Addr() }

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		in, err := p.l.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		paused := p.paused
		p.mu.Unlock()
		if paused {
			_ = in.Close()
			continue
		}
		out, err := net.DialTimeout("tcp", p.target, 2*time.Second)
		if err != nil {
			_ = in.Close()
			continue
		}
		p.mu.Lock()
		if p.closed { // Close ran while this connection was being made
			p.mu.Unlock()
			_ = in.Close()
			_ = out.Close()
			return
		}
		p.conns[in], p.conns[out] = struct{}{}, struct{}{}
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(in, out)
		go p.pipe(out, in)
	}
}

func (p *Proxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			d := p.delay
			p.mu.Unlock()
			if d > 0 {
				time.Sleep(d)
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	_ = dst.Close()
	_ = src.Close()
	p.mu.Lock()
	delete(p.conns, dst)
	delete(p.conns, src)
	p.mu.Unlock()
}

// DropAll cuts every connection through the proxy, as a network failure
// would; new connections are still accepted.
func (p *Proxy) DropAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		_ = c.Close()
	}
}

// Close stops the proxy and cuts its connections.
func (p *Proxy) Close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	_ = p.l.Close()
	p.DropAll()
	p.wg.Wait()
}

// Restartable is a reference router on fixed 127.0.0.1 ports that a test
// can stop and start again on the same addresses: clients reconnect to the
// new router at the URL they know. NewRestartable stops it at cleanup.
// Start, Stop and Restart are for the test goroutine (Start fails the test).
type Restartable struct {
	t       testing.TB
	cfg     router.Config
	mu      sync.Mutex
	current *router.Router
}

// NewRestartable starts a router on free fixed ports.
func NewRestartable(t testing.TB, cfg router.Config) *Restartable {
	t.Helper()
	cfg.WebsocketAddr, cfg.RawSocketAddr = freeAddr(t), freeAddr(t)
	if cfg.AdminTicket == "" { // one ticket for every restart
		cfg.AdminTicket = router.NewTicket()
	}
	r := &Restartable{t: t, cfg: cfg}
	r.Start()
	t.Cleanup(r.Stop)
	return r
}

func freeAddr(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().String()
}

// Start starts the router (again) on its addresses, retrying for up to a
// second while the ports are still held (by the previous router's
// connections in TIME_WAIT, say). It is a no-op while the router runs.
func (r *Restartable) Start() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.current != nil {
		return
	}
	var err error
	for range 50 {
		if r.current, err = router.Start(r.cfg); err == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.t.Fatalf("wamptest: restart router: %v", err)
}

// Stop stops the router; every session is cut.
func (r *Restartable) Stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.current != nil {
		_ = r.current.Close()
		r.current = nil
	}
}

// Restart stops the router, waits down (0: not at all), starts a new one on
// the same addresses and returns the time the new one was listening.
func (r *Restartable) Restart(down time.Duration) time.Time {
	r.Stop()
	if down > 0 {
		time.Sleep(down)
	}
	r.Start()
	return time.Now()
}

// Router returns the running router, or nil while stopped.
func (r *Restartable) Router() *router.Router {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.current
}

// AdminCredentials returns the admin ticket credentials, the same across
// restarts.
func (r *Restartable) AdminCredentials() (authid, ticket string) {
	authid, ticket = r.cfg.AdminAuthID, r.cfg.AdminTicket
	if authid == "" {
		authid = router.DefaultAdminAuthID
	}
	return authid, ticket
}

// WebsocketAddr is the router's websocket host:port.
func (r *Restartable) WebsocketAddr() string { return r.cfg.WebsocketAddr }

// WebsocketURL is the router's websocket URL, the same across restarts.
func (r *Restartable) WebsocketURL() string { return "ws://" + r.cfg.WebsocketAddr + "/ws" }

// RawSocketURL is the router's rawsocket URL, the same across restarts.
func (r *Restartable) RawSocketURL() string { return "tcp://" + r.cfg.RawSocketAddr }

// Attach connects a peer in process to the running router.
func (r *Restartable) Attach(p wamp.Peer) error {
	r.mu.Lock()
	cur := r.current
	r.mu.Unlock()
	if cur == nil {
		return errors.New("wamptest: router is stopped")
	}
	return cur.Attach(p)
}
