package wamptest

import (
	"errors"
	"fmt"
	"time"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/router"
)

// Drop cuts every client's connection, in process and over the network, as
// a network failure would: no GOODBYE, and each client reconnects under its
// reconnect policy. The router sees the cut first and ends every session,
// removing its registrations and subscriptions; only then does each client
// see its transport lost, so a client that reconnects at once never meets
// its own stale registration. Drop returns once every cut session is ended
// (or after 5 seconds).
func (r *Router) Drop() { r.faults.Drop() }

// DropClient is [Router.Drop] for one client only, one this Router
// connected in process ([Router.Connect], [Router.Admin], [Router.Dial]):
// its current connection is cut, the others stay. It fails if c has no
// in-process connection to the router now (a network client, another
// router's, or one that is reconnecting).
func (r *Router) DropClient(c *client.Client) error {
	n := r.faults.DropWhere(func(tag any) bool {
		k, ok := tag.(*linkKey)
		return ok && k.client.Load() == c
	})
	if n == 0 {
		return errors.New("wamptest: drop: the client has no in-process connection to this router")
	}
	return nil
}

// Stall holds all traffic on every connection, current and new, in both
// directions, until [Router.Resume]: the connections stay open but nothing
// arrives, not even websocket pings (a client with client.WithKeepAlive
// notices). Connections made while stalled hang in their handshake.
func (r *Router) Stall() { r.faults.Stall() }

// Resume ends a [Router.Stall]: what was held is delivered, in order.
func (r *Router) Resume() { r.faults.Resume() }

// Delay adds latency d in each direction to every message (in process) and
// every chunk of bytes (over the network) that arrives from now on, on every
// connection (0: none). Order is kept; throughput is not limited.
func (r *Router) Delay(d time.Duration) { r.faults.SetDelay(d) }

// Stop shuts the router down, as a router process that stops would: every
// session ends (clients get GOODBYE wamp.close.system_shutdown), and with it
// every registration and subscription. While stopped, connections to
// [Router.URL] and [Router.RawSocketURL] are accepted and closed at once and
// in-process connections fail with [ErrStopped]. Stop a stopped router does
// nothing.
func (r *Router) Stop() {
	_ = r.stop()
}

// Start starts a stopped router again, with an empty realm, behind the same
// URLs; clients reconnect to it. Start a running router does nothing.
func (r *Router) Start() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return errors.New("wamptest: router is closed")
	}
	if r.current != nil {
		return nil
	}
	cur, err := router.Start(r.cfg)
	if err != nil {
		return fmt.Errorf("wamptest: start router: %w", err)
	}
	r.current = cur
	r.ws.SetTarget(hostPort(cur.WebsocketURL()))
	r.raw.SetTarget(hostPort(cur.RawSocketURL()))
	return nil
}

// Restart stops the router, waits down (0: not at all) and starts it again
// behind the same URLs, as a router process restarted by its operator would
// be; clients reconnect to it and restore their registrations and
// subscriptions.
func (r *Router) Restart(down time.Duration) error {
	r.Stop()
	if down > 0 {
		time.Sleep(down)
	}
	return r.Start()
}

func (r *Router) stop() error {
	r.mu.Lock()
	cur := r.current
	r.current = nil
	if r.ws != nil {
		r.ws.SetTarget("")
	}
	if r.raw != nil {
		r.raw.SetTarget("")
	}
	r.mu.Unlock()
	if cur == nil {
		return nil
	}
	return cur.Close()
}
