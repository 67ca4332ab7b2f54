package router

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	nexus "github.com/gammazero/nexus/v3/router"
	"github.com/gammazero/nexus/v3/stdlog"
	"github.com/gammazero/nexus/v3/wamp"
)

// ErrClosed is returned by [Router.Attach] and the Listen methods once
// [Router.Close] has begun.
var ErrClosed = errors.New("router: closed")

// Router is the reference WAMP router: nexus plus the registration meta API
// completion (remove_callee and registration revocation) and access control
// for admin procedures. Create it with [New] or [Start]; stop it with
// [Router.Close].
//
// Concurrency: every method is safe for concurrent use. Every goroutine the
// router starts, per session and per listener, ends before Close returns.
type Router struct {
	cfg   Config
	log   *slog.Logger
	nexus nexus.Router

	// ctx is cancelled when Close begins; remove_callee tasks watch it.
	ctx    context.Context
	cancel context.CancelFunc
	// done is closed once nexus has closed every session; pumps still
	// blocked on a client that does not read give up then.
	done chan struct{}

	mu       sync.Mutex
	closing  bool
	conns    map[*conn]struct{} // every attached peer whose pumps run
	sessions map[wamp.ID]*conn  // welcomed sessions by session ID
	revoked  revocations        // reasons of recent remove_callee removals
	ws       *listener          // nil until ListenWebsocket
	raw      *listener          // nil until ListenRawSocket

	attachWG sync.WaitGroup // Attach calls in progress
	pumpWG   sync.WaitGroup // conn pumps
	taskWG   sync.WaitGroup // remove_callee tasks
	listenWG sync.WaitGroup // accept loops and per-connection handshakes

	closeOnce sync.Once
	closeErr  error
}

// New returns a router serving cfg.Realm, with no listener: sessions join
// in-process through [Router.Attach] until [Router.ListenWebsocket] or
// [Router.ListenRawSocket] is called.
func New(cfg Config) (*Router, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	nx, err := nexus.NewRouter(cfg.nexusConfig(), nexusLog{cfg.Logger})
	if err != nil {
		return nil, fmt.Errorf("router: start nexus: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Router{
		cfg:      cfg,
		log:      cfg.Logger,
		nexus:    nx,
		ctx:      ctx,
		cancel:   cancel,
		done:     make(chan struct{}),
		conns:    map[*conn]struct{}{},
		sessions: map[wamp.ID]*conn{},
	}, nil
}

// Start returns a router listening for websocket clients on
// cfg.WebsocketAddr and rawsocket clients on cfg.RawSocketAddr (both
// 127.0.0.1 on an ephemeral port by default).
func Start(cfg Config) (*Router, error) {
	r, err := New(cfg)
	if err != nil {
		return nil, err
	}
	if err = r.ListenWebsocket(r.cfg.WebsocketAddr); err == nil {
		err = r.ListenRawSocket(r.cfg.RawSocketAddr)
	}
	if err != nil {
		_ = r.Close()
		return nil, err
	}
	return r, nil
}

// Realm returns the realm URI the router serves.
func (r *Router) Realm() string { return r.cfg.Realm }

// AdminCredentials returns the authid and ticket of the admin user
// (WAMP-Ticket authentication, authrole [Config.AdminRole]).
func (r *Router) AdminCredentials() (authid, ticket string) {
	return r.cfg.AdminAuthID, r.cfg.AdminTicket
}

// Attach joins peer to the router. It runs the opening handshake, so it
// returns only once the peer has sent HELLO and been answered (WELCOME or
// ABORT): call it on its own goroutine when the same goroutine drives the
// peer. This is the in-process entry point: the client package connects
// through any value with this method.
//
//	cli, rtr := transport.LinkedPeers()
//	go func() { errc <- r.Attach(rtr) }()
//	cli.Send() <- &wamp.Hello{Realm: "realm1", Details: details}
func (r *Router) Attach(peer wamp.Peer) error {
	return r.attach(peer, nil)
}

// attach wraps peer in a conn and hands the router side to nexus.
func (r *Router) attach(peer wamp.Peer, transportDetails wamp.Dict) error {
	c := newConn(r, peer)
	r.mu.Lock()
	if r.closing {
		r.mu.Unlock()
		peer.Close()
		return ErrClosed
	}
	r.conns[c] = struct{}{}
	r.attachWG.Add(1)
	r.pumpWG.Add(2)
	r.mu.Unlock()
	defer r.attachWG.Done()

	go c.pumpIn()
	go c.pumpOut()
	if err := r.nexus.AttachClient(c, transportDetails); err != nil {
		return fmt.Errorf("router: attach: %w", err)
	}
	return nil
}

// Close stops the listeners, ends every session (clients get GOODBYE
// wamp.close.system_shutdown) and returns once every goroutine the router
// started has ended. Calling it again returns the first result.
func (r *Router) Close() error {
	r.closeOnce.Do(func() { r.closeErr = r.shutdown() })
	return r.closeErr
}

func (r *Router) shutdown() error {
	r.mu.Lock()
	r.closing = true
	conns := make([]*conn, 0, len(r.conns))
	for c := range r.conns {
		conns = append(conns, c)
	}
	r.mu.Unlock()
	r.cancel()

	err := r.closeListeners()
	// Handshakes still waiting for HELLO or AUTHENTICATE would hold nexus
	// for its 5 s hello timeout; cut them short.
	for _, c := range conns {
		if !c.welcomed() {
			c.closeInbound()
		}
	}
	r.attachWG.Wait()
	r.listenWG.Wait()
	r.taskWG.Wait()
	r.nexus.Close()
	close(r.done)
	r.pumpWG.Wait()
	return err
}

// forget drops c once both its pumps are done.
func (r *Router) forget(c *conn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.conns, c)
	if id := c.id; id != 0 && r.sessions[id] == c {
		delete(r.sessions, id)
	}
}

// front is what nexus's websocket server sees as its router: every
// attachment goes through the wrapper. Realm administration is not exposed.
type front struct{ r *Router }

var _ nexus.Router = front{}

func (f front) Attach(p wamp.Peer) error { return f.r.attach(p, nil) }

func (f front) AttachClient(p wamp.Peer, d wamp.Dict) error { return f.r.attach(p, d) }

// Close is a no-op: the Router owns shutdown (nexus servers never call it).
func (f front) Close() {}

func (f front) Logger() stdlog.StdLog { return nexusLog{f.r.log} }

func (f front) AddRealm(*nexus.RealmConfig) error {
	return errors.New("router: realms are fixed at construction")
}

func (f front) RemoveRealm(wamp.URI) {}

func (f front) RouterFeatures() *wamp.Dict {
	d := withRevocation(*f.r.nexus.RouterFeatures())
	return &d
}
