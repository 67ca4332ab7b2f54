package wire

import (
	"io"
	"sync"

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
	once   sync.Once
	wg     sync.WaitGroup
}

func (l *link) init(conn io.Closer, queue int) {
	l.conn = conn
	l.rd, l.wr = make(chan wamp.Message, queue), make(chan wamp.Message, queue)
	l.closed = make(chan struct{})
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
		write()
	}()
}

// Recv implements wamp.Peer.
func (l *link) Recv() <-chan wamp.Message { return l.rd }

// Send implements wamp.Peer. Do not send after Close.
func (l *link) Send() chan<- wamp.Message { return l.wr }

// IsLocal implements wamp.Peer.
func (l *link) IsLocal() bool { return false }

// closeWith closes the peer once: it signals closing, runs before (a last
// word on the connection), closes the connection, and waits for both
// goroutines.
func (l *link) closeWith(before func()) {
	l.once.Do(func() {
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
