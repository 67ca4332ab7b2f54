package netfault

import (
	"errors"
	"time"

	"github.com/gammazero/nexus/v3/transport"
	"github.com/gammazero/nexus/v3/wamp"
)

// ErrClosed is returned for a connection attempted after [Faults.Close].
var ErrClosed = errors.New("netfault: closed")

// linkQueue is the depth of the router-to-link queue (nexus fails a call
// with "callee blocked" when a session's queue is full, so it is deep, as
// the client's own in-process queue is).
const linkQueue = 16384

// Attach joins client, the router-facing end of an in-process client's
// linked peers, to a router through a link of f: attach is the router's
// Attach, which gets the link's own router-facing peer. Like a router's
// Attach, it returns once the handshake is answered; on failure client is
// closed, which the client sees as its connection refused. tag (nil: none)
// names the link for [Faults.DropWhere].
func (f *Faults) Attach(client wamp.Peer, attach func(wamp.Peer) error, tag any) error {
	c := &conn{tag: tag}
	if !f.add(c) {
		client.Close()
		return ErrClosed
	}
	cli, rtr := transport.LinkedPeersQSize(linkQueue)
	start(f, c, direction[wamp.Message]{ // client to router
		read: func() (wamp.Message, bool) {
			select {
			case m, ok := <-client.Recv():
				return m, ok
			case <-c.kill:
				return nil, false
			}
		},
		drain:      true, // a client's last words (its GOODBYE) never block it
		write:      sendTo(c, cli),
		writerDone: cli.Close, // the router sees the client leave
	})
	start(f, c, direction[wamp.Message]{ // router to client
		read: func() (wamp.Message, bool) {
			m, ok := <-cli.Recv()
			return m, ok
		},
		drain:      true, // until the router has finished the session
		fromRouter: true,
		extra: func(m wamp.Message) (bool, time.Duration) {
			if filter := f.filter.Load(); filter != nil {
				return (*filter)(m)
			}
			return false, 0
		},
		write: sendTo(c, client),
		writerDone: func() {
			c.afterRouter()
			client.Close() // the client sees its transport lost
		},
	})
	return attach(rtr)
}

// sendTo returns a write function that sends to p until c is cut.
func sendTo(c *conn, p wamp.Peer) func(wamp.Message) bool {
	return func(m wamp.Message) bool {
		select {
		case p.Send() <- m:
			return true
		case <-c.cutCh:
			return false
		}
	}
}
