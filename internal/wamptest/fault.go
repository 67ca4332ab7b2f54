package wamptest

import (
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/wamp"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/internal/router"
)

// Proxy is a TCP proxy on 127.0.0.1 in front of a router address: clients
// connect to the proxy, and the test drops their connections at will.
type Proxy struct {
	l      net.Listener
	target string

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	paused bool
	wg     sync.WaitGroup
}

// Pause refuses new connections (they are accepted and closed at once)
// until Resume: the router is unreachable.
func (p *Proxy) Pause() { p.mu.Lock(); p.paused = true; p.mu.Unlock() }

// Resume accepts connections again.
func (p *Proxy) Resume() { p.mu.Lock(); p.paused = false; p.mu.Unlock() }

// NewProxy starts a proxy to target (host:port) and closes it at cleanup.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
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
		p.conns[in], p.conns[out] = struct{}{}, struct{}{}
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(in, out)
		go p.pipe(out, in)
	}
}

func (p *Proxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	_, _ = io.Copy(dst, src)
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
	_ = p.l.Close()
	p.DropAll()
	p.wg.Wait()
}

// Restartable is a reference router on fixed 127.0.0.1 ports that a test
// can stop and start again on the same addresses.
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

// Start starts the router (again) on its addresses, retrying while the
// ports are still held by the previous one.
func (r *Restartable) Start() {
	r.mu.Lock()
	defer r.mu.Unlock()
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
