package netfault

import (
	"net"
	"sync"
	"time"
)

// dialTimeout bounds the proxy's connection to the router.
const dialTimeout = 2 * time.Second

// Proxy is a TCP proxy on 127.0.0.1 whose connections belong to a
// [Faults]. Its address stays while the router behind it changes
// ([Proxy.SetTarget]). Safe for concurrent use.
type Proxy struct {
	f  *Faults
	l  net.Listener
	wg sync.WaitGroup // the accept loop

	mu     sync.Mutex
	target string // host:port of the router; "" refuses connections
}

// Listen starts a proxy to target (host:port; "" refuses connections until
// SetTarget) on a free 127.0.0.1 port.
func (f *Faults) Listen(target string) (*Proxy, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{f: f, l: l, target: target}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.l.Addr().String() }

// SetTarget points new connections at addr ("": accept and close them at
// once, as a host with nothing listening would). Connections already made
// keep their router.
func (p *Proxy) SetTarget(addr string) {
	p.mu.Lock()
	p.target = addr
	p.mu.Unlock()
}

// Close stops accepting and waits for the accept loop. Connections made
// stay with the Faults, which cuts them.
func (p *Proxy) Close() {
	_ = p.l.Close()
	p.wg.Wait()
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		cc, err := p.l.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		target := p.target
		p.mu.Unlock()
		if target == "" {
			_ = cc.Close()
			continue
		}
		rc, err := net.DialTimeout("tcp", target, dialTimeout)
		if err != nil {
			_ = cc.Close()
			continue
		}
		p.f.proxy(cc, rc)
	}
}

// proxy pumps bytes between a client connection cc and a router
// connection rc. A cut half-closes rc and reads it until the router, having
// ended the session, closes it; then it closes cc.
func (f *Faults) proxy(cc, rc net.Conn) {
	c := &conn{
		onCut:   func() { closeWrite(rc) },
		onForce: func() { _ = rc.Close() },
	}
	if !f.add(c) {
		_ = cc.Close()
		_ = rc.Close()
		return
	}
	start(f, c, direction[[]byte]{ // client to router
		read:       chunks(cc),
		write:      writeTo(rc),
		writerDone: func() { closeWrite(rc) },
	})
	start(f, c, direction[[]byte]{ // router to client
		read:       chunks(rc),
		drain:      true,
		fromRouter: true,
		readerDone: func() { _ = rc.Close() },
		write:      writeTo(cc),
		writerDone: func() { c.afterRouter(); _ = cc.Close() },
	})
}

// chunks returns a read function yielding what nc delivers, in copies.
func chunks(nc net.Conn) func() ([]byte, bool) {
	buf := make([]byte, chunkSize)
	failed := false
	return func() ([]byte, bool) {
		if failed {
			return nil, false
		}
		n, err := nc.Read(buf)
		if err != nil {
			failed = true
			if n == 0 {
				return nil, false
			}
		}
		return append([]byte(nil), buf[:n]...), true
	}
}

func writeTo(nc net.Conn) func([]byte) bool {
	return func(b []byte) bool {
		_, err := nc.Write(b)
		return err == nil
	}
}

// closeWrite sends FIN on nc, or closes it if it cannot half-close.
func closeWrite(nc net.Conn) {
	if tc, ok := nc.(interface{ CloseWrite() error }); ok {
		_ = tc.CloseWrite()
		return
	}
	_ = nc.Close()
}
