package router

import (
	"sync"
	"time"

	"github.com/gammazero/nexus/v3/wamp"

	"github.com/wampkit/wampkit/internal/wire"
)

const (
	// outQueueSize buffers nexus's messages to one client. nexus drops a
	// message (and fails a call with "callee blocked") rather than block on
	// a full queue, so the queue is deep enough for bursts of thousands of
	// concurrent calls.
	outQueueSize = 4096
	// localQueueSize buffers the router's own messages to one client.
	localQueueSize = 16
	// wsOutQueueSize is the send queue of a websocket client's peer, as
	// nexus's websocket server makes it.
	wsOutQueueSize = 64
	// drainTimeout bounds the wait for a client transport to take its last
	// messages before it is closed.
	drainTimeout = 500 * time.Millisecond
)

// conn stands between one client transport and nexus. nexus sees the conn as
// the client's peer; two pumps move the messages:
//
//   - pumpIn, client to nexus: notes HELLO features, REGISTER and UNREGISTER
//     requests, refuses a REGISTER of what the session already holds,
//     answers intercepted CALLs itself, and aborts a caller that streams a
//     call without announcing progressive_call_invocations;
//   - pumpOut, nexus to client: notes WELCOME, REGISTERED, UNREGISTERED and
//     ERROR replies, advertises registration_revocation, and swallows the
//     replies to the UNREGISTERs the router injected.
//
// Everything entering toRouter does so under inMu, so the router knows the
// exact order in which nexus reads this session's messages.
type conn struct {
	r      *Router
	client wamp.Peer

	toRouter   chan wamp.Message // nexus reads it (Recv)
	fromRouter chan wamp.Message // nexus writes it (Send); closed by Close
	local      chan wamp.Message // the router's own messages to the client
	ended      chan struct{}     // closed by Close: nexus is done with the session
	endOnce    sync.Once
	clientGone chan struct{} // closed when the client transport's Recv closes
	finished   chan struct{} // closed when pumpOut has returned

	inMu     sync.Mutex
	inClosed bool // toRouter is closed

	// Guarded by r.mu.
	id         wamp.ID
	authrole   string
	revocation bool // HELLO announced callee feature registration_revocation
	// progressiveCalls: HELLO announced caller feature
	// progressive_call_invocations.
	progressiveCalls bool
	// testaments: those the session left, by scope (destroyed, detached;
	// see refuseTestament).
	testaments [2]int

	// aborted: the router aborted the session; pumpIn drops what the client
	// still sends until nexus has ended it. Only pumpIn uses it.
	aborted bool
	track   tracker
}

func newConn(r *Router, client wamp.Peer) *conn {
	return &conn{
		r:          r,
		client:     client,
		toRouter:   make(chan wamp.Message),
		fromRouter: make(chan wamp.Message, outQueueSize),
		local:      make(chan wamp.Message, localQueueSize),
		ended:      make(chan struct{}),
		clientGone: make(chan struct{}),
		finished:   make(chan struct{}),
		track:      newTracker(),
	}
}

// Recv implements wamp.Peer for nexus: the client's messages.
func (c *conn) Recv() <-chan wamp.Message { return c.toRouter }

// Send implements wamp.Peer for nexus: messages for the client.
func (c *conn) Send() chan<- wamp.Message { return c.fromRouter }

// IsLocal implements wamp.Peer: whatever the client transport says.
func (c *conn) IsLocal() bool { return c.client.IsLocal() }

// Close implements wamp.Peer. nexus calls it when the session is over.
// fromRouter stays open: when the realm shuts down, nexus closes sessions
// before removing them from its dealer, which may still try to send to
// them; a closed channel would panic there, an open one just fills up and
// nexus drops the rest.
func (c *conn) Close() {
	c.endOnce.Do(func() { close(c.ended) })
}

// welcomed reports whether nexus has welcomed the session.
func (c *conn) welcomed() bool {
	c.r.mu.Lock()
	defer c.r.mu.Unlock()
	return c.id != 0
}

// sessionID is the session's ID, 0 before WELCOME.
func (c *conn) sessionID() wamp.ID {
	c.r.mu.Lock()
	defer c.r.mu.Unlock()
	return c.id
}

// closeInbound tells nexus the client is gone.
func (c *conn) closeInbound() {
	c.inMu.Lock()
	defer c.inMu.Unlock()
	if !c.inClosed {
		c.inClosed = true
		close(c.toRouter)
	}
}

// pumpIn moves the client's messages to nexus until either side ends.
func (c *conn) pumpIn() {
	defer c.r.pumpWG.Done()
	defer c.closeInbound()
	for {
		select {
		case msg, ok := <-c.client.Recv():
			if !ok {
				close(c.clientGone)
				return
			}
			if msg == nil {
				// A transport that cannot decode a frame may hand over a
				// nil message (nexus's rawsocket peer does for a frame of a
				// reserved type, at any stage, HELLO included; an in-process
				// peer may send one). nexus would dereference it: the
				// session ends as if the client had left (nexus then closes
				// the session, and pumpOut the transport).
				c.r.log.Debug("router: nil message from the client transport: closing the connection",
					"session", c.sessionID())
				return
			}
			if !c.inbound(msg) {
				return
			}
		case <-c.ended:
			return
		}
	}
}

// inbound handles one client message; false means the session is over.
func (c *conn) inbound(msg wamp.Message) bool {
	if c.aborted {
		return true // read and dropped, so that closing the socket does not reset it before the ABORT
	}
	switch m := msg.(type) {
	case *wire.Malformed:
		// A frame that is no WAMP message: dropped, as nexus's peers do. (A
		// rawsocket frame of a reserved type, or one over the size limit,
		// also ends the connection: wire's peer stops reading.)
		c.r.log.Debug("router: undecodable message dropped", "size", m.Size, "err", m.Err)
		return true
	case *wamp.Call:
		if c.intercept(m) {
			return true
		}
		if c.unannouncedProgress(m) {
			c.aborted = true
			c.closeInbound() // nexus ends the session
			return true
		}
		msg = carryCustom(m)
	case *wamp.Publish:
		if c.refusePublish(m) {
			return true
		}
	case *wamp.Register:
		c.awaitRegistering(m)
	}
	c.inMu.Lock()
	if c.inClosed {
		c.inMu.Unlock()
		return false
	}
	if reply, consumed := c.r.observeIn(c, msg); consumed {
		c.inMu.Unlock()
		if reply != nil {
			c.sendLocal(reply)
		}
		return true
	}
	defer c.inMu.Unlock()
	return c.toNexus(msg)
}

// toNexus hands msg to nexus; the caller holds inMu.
func (c *conn) toNexus(msg wamp.Message) bool {
	select {
	case c.toRouter <- msg:
		return true
	case <-c.ended:
		return false
	}
}

// pumpOut moves nexus's and the router's messages to the client until nexus
// closes the session, then closes the client transport once it has written
// what it holds.
func (c *conn) pumpOut() {
	defer c.r.pumpWG.Done()
	defer c.r.forget(c)
	defer close(c.finished)
	defer c.client.Close()
	defer c.drainClient()
	deliver := true
	out := func(m wamp.Message) {
		msg, after := c.r.observeOut(c, m)
		if msg != nil && deliver {
			deliver = c.deliver(msg)
		}
		if after != nil {
			after()
		}
	}
	for {
		select {
		case m := <-c.fromRouter:
			out(m)
		case msg := <-c.local:
			if deliver {
				deliver = c.deliver(msg)
			}
		case <-c.ended:
			for { // what nexus and the router queued before the session ended
				select {
				case m := <-c.fromRouter:
					out(m)
				case msg := <-c.local:
					if deliver {
						deliver = c.deliver(msg)
					}
				default:
					return
				}
			}
		}
	}
}

// drainClient waits, up to drainTimeout, until the client transport has
// taken every message queued for it: nexus's websocket peer discards its
// queue on Close, so the last words of a session (an ABORT after a failed
// authentication, a GOODBYE) were lost when Close came first. A message the
// peer has taken is written before Close returns. The router's own Close
// waits too (bounded, and for every client at once): the GOODBYE it sends
// each session on shutdown is such a last word.
func (c *conn) drainClient() {
	q := c.client.Send()
	deadline := time.Now().Add(drainTimeout)
	for len(q) > 0 && time.Now().Before(deadline) {
		select {
		case <-c.clientGone:
			return
		case <-time.After(time.Millisecond):
		}
	}
}

// deliver gives msg to the client transport. It gives up, for good, when the
// client is gone or the router has closed every session: the pump then only
// drains, so nexus never blocks on this session.
func (c *conn) deliver(msg wamp.Message) bool {
	select { // a client that can take the message gets it, even while closing
	case c.client.Send() <- msg:
		return true
	default:
	}
	select {
	case c.client.Send() <- msg:
		return true
	case <-c.clientGone:
	case <-c.r.done:
	}
	return false
}

// sendLocal queues a message made by the router for the client. It is
// dropped once the session or the router is closing.
func (c *conn) sendLocal(msg wamp.Message) {
	select {
	case c.local <- msg:
	case <-c.finished:
	case <-c.r.ctx.Done():
	}
}

// unannouncedProgress ends the session of a caller that streams a call
// (CALL with progress: true) without having announced
// progressive_call_invocations in HELLO: an ABORT
// wamp.error.protocol_violation, and nexus never sees the chunk. nexus v3.3.0
// aborts such a caller itself, but keeps answering the chunks that follow on
// the session it has closed (router/dealer.go, syncCall): a peer whose Close
// closes its send channel, as nexus's own transports do, then panics the
// whole router with a send on a closed channel. It reports whether it
// ended the session.
func (c *conn) unannouncedProgress(call *wamp.Call) bool {
	if progress, _ := call.Options[wamp.OptProgress].(bool); !progress {
		return false
	}
	c.r.mu.Lock()
	welcomed, announced := c.id != 0, c.progressiveCalls
	c.r.mu.Unlock()
	if !welcomed || announced {
		return false // before WELCOME, nexus's protocol violation to handle
	}
	c.r.log.Debug("router: progressive CALL from a caller that did not announce progressive_call_invocations: aborting",
		"session", c.sessionID(), "procedure", call.Procedure)
	c.sendLocal(&wamp.Abort{Reason: wamp.ErrProtocolViolation, Details: wamp.Dict{wamp.OptMessage: "router: a CALL " +
		"with progress: true from a caller whose HELLO did not announce roles.caller.features." + featureProgressiveCalls}})
	return true
}
