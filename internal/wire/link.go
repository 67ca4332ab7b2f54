package wire

import (
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gammazero/nexus/v3/wamp"
)

// link is what the rawsocket and websocket peers share: the queues to and
// from the session, the signal that the peer is closing, and the accounting
// of its two goroutines (a reader and a writer).
type link struct {
	conn   io.Closer
	rd     chan wamp.Message
	wr     chan wamp.Message
	closed chan struct{}
	// flushing is closed by Close before anything else: the writer writes
	// what the session queued (an ABORT after a protocol violation, the
	// last YIELDs) within flushTimeout, then ends (writerDone).
	flushing   chan struct{}
	writerDone chan struct{}
	once       sync.Once
	wg         sync.WaitGroup
}

// flushTimeout bounds how long Close lets the writer write what is queued
// (a router that does not read cannot hold Close longer).
const flushTimeout = 500 * time.Millisecond

func (l *link) init(conn io.Closer, queue int) {
	l.conn = conn
	l.rd, l.wr = make(chan wamp.Message, queue), make(chan wamp.Message, queue)
	l.closed = make(chan struct{})
	l.flushing, l.writerDone = make(chan struct{}), make(chan struct{})
}

// start runs the peer's reader and writer. The reader closes the receive
// queue when it ends, and the connection with it.
func (l *link) start(read, write func()) {
	l.wg.Add(2)
	go func() {
		defer l.wg.Done()
		defer close(l.rd)
		defer l.closeNoWait()
		read()
	}()
	go func() {
		defer l.wg.Done()
		defer close(l.writerDone)
		write()
	}()
}

// Recv implements wamp.Peer.
func (l *link) Recv() <-chan wamp.Message { return l.rd }

// Send implements wamp.Peer. Do not send after Close.
func (l *link) Send() chan<- wamp.Message { return l.wr }

// IsLocal implements wamp.Peer.
func (l *link) IsLocal() bool { return false }

// closeWith closes the peer once: the writer writes what is queued (up to
// flushTimeout), then closing is signalled, before runs (a last word on the
// connection) and the connection closes; it waits for both goroutines.
func (l *link) closeWith(before func()) {
	l.once.Do(func() {
		close(l.flushing)
		t := time.NewTimer(flushTimeout)
		select {
		case <-l.writerDone:
		case <-t.C: // a write blocked on a router that does not read: closing the connection ends it
		}
		t.Stop()
		close(l.closed)
		if before != nil {
			before()
		}
		_ = l.conn.Close()
	})
	l.wg.Wait()
}

// closeNoWait closes the connection without waiting (used by the peer's own
// goroutines).
func (l *link) closeNoWait() {
	l.once.Do(func() { close(l.closed); _ = l.conn.Close() })
}

// deliver queues msg for the session; false when the peer is closing.
func (l *link) deliver(msg wamp.Message) bool {
	select {
	case l.rd <- msg:
		return true
	case <-l.closed:
		return false
	}
}

// keepalive is the liveness check both peers run on their writer: a ping
// every interval, and the connection counts as dead when nothing at all
// (a pong, a message, a ping) came in during the whole interval after a
// ping. A stalled link is so dropped within two intervals of its last
// sign of life; a router may take up to one interval to answer a ping.
type keepalive struct {
	interval time.Duration
	heard    atomic.Bool // set by the reader on anything received
	pinged   bool        // a ping went out at the last tick (writer only)
}

// ticks returns the ticker channel (nil when off) and its stop function.
func (k *keepalive) ticks() (<-chan time.Time, func()) {
	if k.interval <= 0 {
		return nil, func() {}
	}
	t := time.NewTicker(k.interval)
	return t.C, t.Stop
}

// lost reports, at a tick, whether the peer stayed silent since the last
// ping; otherwise the writer pings now.
func (k *keepalive) lost() bool {
	heard := k.heard.Swap(false)
	if k.pinged && !heard {
		return true
	}
	k.pinged = true
	return false
}
