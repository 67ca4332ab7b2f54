package wamptest

import (
	"testing"

	"github.com/gammazero/nexus/v3/wamp"

	"github.com/wampkit/wampkit/client"
	kit "github.com/wampkit/wampkit/client/wamptest"
	"github.com/wampkit/wampkit/internal/kithook"
)

// Router is the public kit's router (client/wamptest) with the SDK tests'
// conveniences: connecting over a [Transport], Local and WS, and Attach for
// ConnectLocal and [Faulty]. Its in-process clients (Local, Attach)
// join without the kit's fault injection, one hop less per message: the
// router-wide faults (Drop, Stall, Delay) reach its network clients and the
// kit's own (r.Router.Connect); [Faulty] injects faults in process.
type Router struct {
	*kit.Router
}

// NewRouter starts the reference router for the test (client/wamptest's
// NewRouter) and stops it at cleanup.
func NewRouter(t testing.TB) *Router {
	t.Helper()
	return &Router{Router: kit.NewRouter(t)}
}

// Attach connects a peer in process, without the router's fault injection
// (ConnectLocal uses it).
func (r *Router) Attach(p wamp.Peer) error { return kithook.Attach(r.Router, p) }

// WebsocketURL is the router's websocket URL (the kit's URL).
func (r *Router) WebsocketURL() string { return r.URL() }

// Admin connects a client over tr with the admin ticket credentials (the
// role allowed to call wamp.registration.remove_callee).
func (r *Router) Admin(t testing.TB, tr Transport, opts ...client.Option) *client.Client {
	t.Helper()
	return r.Connect(t, tr, append([]client.Option{client.WithTicket(r.AdminCredentials())}, opts...)...)
}
