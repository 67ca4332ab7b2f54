package wamptest

import (
	"testing"

	"github.com/gammazero/nexus/v3/wamp"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/router"
)

// Router is the reference router (internal/router) running for one test,
// reachable in process (Attach), over websocket and over rawsocket on
// 127.0.0.1 ephemeral ports.
type Router struct {
	*router.Router
}

// NewRouter starts the reference router for the test with the default
// configuration and stops it at cleanup.
func NewRouter(t testing.TB) *Router {
	return NewRouterConfig(t, router.Config{})
}

// NewRouterConfig starts the reference router with cfg.
func NewRouterConfig(t testing.TB, cfg router.Config) *Router {
	t.Helper()
	r, err := router.Start(cfg)
	require.NoError(t, err)
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("wamptest: close router: %v", err)
		}
	})
	return &Router{Router: r}
}

// Attach connects a peer in process (client.ConnectLocal uses it).
func (r *Router) Attach(p wamp.Peer) error { return r.Router.Attach(p) }

// Admin connects a client with the admin ticket credentials (the role
// allowed to call wamp.registration.remove_callee).
func (r *Router) Admin(t testing.TB, tr Transport, opts ...client.Option) *client.Client {
	authid, ticket := r.AdminCredentials()
	return r.Connect(t, tr, append([]client.Option{client.WithTicket(authid, ticket)}, opts...)...)
}
