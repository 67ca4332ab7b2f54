package wire

import (
	"io"
	"net"
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

	// The write side (writer.go): wmu is held by whoever writes to the
	// connection, the writer goroutine or a sender writing through; see
	// SendContext for wq, queuedQ and the hand-over of messages through
	// pending.
	wmu     sync.Mutex
	wq      chan wamp.Message
	queuedQ atomic.Int64
	pmu     sync.Mutex
	pending []wamp.Message // under pmu
	spare   []wamp.Message // pending's other buffer; under wmu
	writing bool           // under pmu
	handed  chan struct{}  // the writer is to write pending
	awaited awaited        // sends the messages received call for
	// frames is the transport's framing, nc where its frames are written
	// (one Write per batch of frames), wbuf the frames being written
	// (under wmu), pongs the answers owed to the other side's pings (the
	// reader queues them, the writer writes them).
	frames framer
	nc     net.Conn
	wbuf   []byte
	pongs  chan []byte
	alive  keepalive
	// pingDue asks the writer for a ping (watch sends, capacity 1).
	pingDue chan struct{}
	// flushing is closed by Close before anything else: the writer writes
	// what the session queued (an ABORT after a protocol violation, the
	// last YIELDs) within flushTimeout, then ends (writerDone).
	flushing   chan struct{}
	writerDone chan struct{}
	once       sync.Once
	wg         sync.WaitGroup

	// The receive queue's bound in bytes (reader goroutine only): the frame
	// sizes of the messages sent into rd, oldest first, in a ring as deep
	// as rd; the last len(rd) of them are still queued. See deliver.
	rdSizes         []int
	rdHead, rdCount int
	rdBytes         int // sum of the ring's sizes
	rdWait          *time.Timer
}

// flushTimeout bounds how long Close lets the writer write what is queued
// (a router that does not read cannot hold Close longer).
const flushTimeout = 500 * time.Millisecond

// recvBudget bounds the bytes (frame sizes) of the messages a peer has
// decoded and queued for the session but the session has not taken yet;
// the queue's count bound (64) applies too. At the bound the reader waits
// before queueing the next message, and so stops reading the connection:
// backpressure onto the transport, as TCP flow control gives it. A
// message is always let in when the queue is empty, so one message
// larger than the budget still passes. Held by a peer at most: the budget,
// plus the one decoded message waiting, plus the read buffer. While it
// waits the reader hears no pongs either: a session that takes nothing for
// two keepalive intervals loses the link (as at the count bound).
const recvBudget = 32 << 20

// recvPoll is how often a reader waiting at recvBudget looks whether the
// session took messages: Recv is a plain channel (wamp.Peer), so taking
// cannot signal. Only a queue holding recvBudget bytes waits, which is
// far more work for the session than one poll interval.
const recvPoll = time.Millisecond

func (l *link) init(conn io.Closer, nc net.Conn, frames framer, queue int) {
	l.conn = conn
	l.nc, l.frames = nc, frames
	l.pongs = make(chan []byte, 4)
	l.handed = make(chan struct{}, 1)
	l.pending, l.spare = make([]wamp.Message, 0, queue), make([]wamp.Message, 0, queue)
	l.rd, l.wr = make(chan wamp.Message, queue), make(chan wamp.Message, queue)
	l.wq = make(chan wamp.Message, queue)
	l.closed = make(chan struct{})
	l.flushing, l.writerDone = make(chan struct{}), make(chan struct{})
	l.rdSizes = make([]int, queue+1)
}

// start runs the peer's reader and writer. The reader closes the receive
// queue when it ends, and the connection with it.
func (l *link) start(read, write func()) {
	if l.alive.interval > 0 {
		l.pingDue = make(chan struct{}, 1)
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			l.watch()
		}()
	}
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

func (l *link) isClosed() bool {
	select {
	case <-l.closed:
		return true
	default:
		return false
	}
}

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

// deliver queues msg, whose frame was size bytes, for the session; false
// when the peer is closing. It waits (and so the reader reads no further)
// while the messages still queued and msg exceed recvBudget; see
// recvBudget.
func (l *link) deliver(msg wamp.Message, size int) bool {
	for l.queued() > 0 && l.rdBytes+size > recvBudget {
		if l.rdWait == nil {
			l.rdWait = time.NewTimer(recvPoll)
		} else {
			l.rdWait.Reset(recvPoll)
		}
		select {
		case <-l.rdWait.C:
		case <-l.closed:
			l.rdWait.Stop()
			return false
		}
	}
	if answers(msg) { // counted before the session can see it and answer
		l.awaited.add()
	}
	select {
	case l.rd <- msg:
	case <-l.closed:
		return false
	}
	// Recorded after the send: rd holds at most cap(rd) of the ring's
	// entries, and the ring has room for one more.
	l.rdSizes[(l.rdHead+l.rdCount)%len(l.rdSizes)] = size
	l.rdCount++
	l.rdBytes += size
	return true
}

// queued forgets the sizes of the messages the session took (rd is first
// in, first out, and only the reader sends into it) and returns how many
// are still queued.
func (l *link) queued() int {
	n := len(l.rd)
	for l.rdCount > n {
		l.rdBytes -= l.rdSizes[l.rdHead]
		l.rdHead = (l.rdHead + 1) % len(l.rdSizes)
		l.rdCount--
	}
	return n
}

// keepalive is the liveness check both peers run: a ping every interval,
// and the connection counts as dead when, during the whole interval after
// a ping was due, nothing at all (a pong, a message, a ping) came in and
// no write made progress. A stalled link is so dropped within two
// intervals of its last sign of life; a router may take up to one interval
// to answer a ping. The check runs on a goroutine of its own (watch), not
// on the writer: a write blocked on a router that stopped reading holds
// the writer, and the check must still drop the link (closing the
// connection ends the write). A long write that goes on, slice by slice
// (see link.write), is a sign of life: a router reading a long upload
// slowly cannot answer a ping queued behind it.
type keepalive struct {
	interval time.Duration
	heard    atomic.Bool // set by the reader on anything received
	wrote    atomic.Bool // set by the writer on each slice of a long write
	pinged   bool        // a ping was due at the last tick (watch only)
}

// lost reports, at a tick, whether the peer showed no sign of life since
// the last ping was due; otherwise a ping is due now.
func (k *keepalive) lost() bool {
	heard, wrote := k.heard.Swap(false), k.wrote.Swap(false)
	if k.pinged && !heard && !wrote {
		return true
	}
	k.pinged = true
	return false
}

// watch runs the keepalive check every interval until the link closes:
// it closes a silent link, and otherwise asks the writer for a ping. A
// writer still busy with the last one (or blocked in a write) is not asked
// twice.
func (l *link) watch() {
	t := time.NewTicker(l.alive.interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if l.alive.lost() {
				l.closeNoWait() // the reader ends, and the session sees the loss
				return
			}
			select {
			case l.pingDue <- struct{}{}:
			default:
			}
		case <-l.closed:
			return
		}
	}
}
