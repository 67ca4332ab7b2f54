package wire

import (
	"context"
	"errors"
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

	// Write-through (SendContext). wmu is held by whoever writes to the
	// connection: the writer goroutine, or a sender writing its own
	// message. wq is SendContext's queue; queuedQ counts the messages put
	// into wq and not yet written (decremented under wmu once written), so
	// a sender that holds wmu and sees zero knows nothing it queued before
	// is still unwritten: its message cannot overtake one of its own.
	wmu     sync.Mutex
	wq      chan wamp.Message
	queuedQ atomic.Int64
	// The write side: frames is the transport's framing, nc where its
	// frames are written (one Write per batch of frames), wbuf the frames
	// being written (under wmu), pongs the answers owed to the other
	// side's pings (the reader queues them, the writer writes them).
	frames framer
	nc     net.Conn
	wbuf   []byte
	pongs  chan []byte
	alive  keepalive
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

// framer frames messages for a transport, appending to a batch of frames
// that goes out in one write.
type framer interface {
	// appendMessage appends msg's frame. A message that cannot be
	// serialized, or is larger than the other side accepts, is not sent
	// and is reported (OnUnsent) and the connection stays up; without an
	// OnUnsent function (the router's side) that is an error that drops
	// the connection.
	appendMessage(batch []byte, msg wamp.Message) ([]byte, error)
	// appendPing appends a keepalive ping, appendPong the answer to a ping
	// that carried data.
	appendPing(batch []byte) []byte
	appendPong(batch, data []byte) []byte
}

// maxBatch bounds the bytes the writer gathers from its queues into one
// write; a buffer grown beyond four times that by one large message is not
// kept for the next.
const maxBatch = 64 << 10

func (l *link) init(conn io.Closer, nc net.Conn, frames framer, queue int) {
	l.conn = conn
	l.nc, l.frames = nc, frames
	l.pongs = make(chan []byte, 4)
	l.rd, l.wr = make(chan wamp.Message, queue), make(chan wamp.Message, queue)
	l.wq = make(chan wamp.Message, queue)
	l.closed = make(chan struct{})
	l.flushing, l.writerDone = make(chan struct{}), make(chan struct{})
	l.rdSizes = make([]int, queue+1)
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

// ErrPeerStopped is SendContext's error when stop was closed before msg was
// handed over.
var ErrPeerStopped = errors.New("wire: send stopped")

// SendContext hands msg to the connection. When no write is in flight and
// nothing this queue holds is unwritten, the calling goroutine serializes
// and writes msg itself (write-through: no handoff to the writer
// goroutine); otherwise msg is queued for the writer (the queue holds 64
// messages), which writes every message queued behind the write in flight
// together where the transport allows. It returns nil once msg is written
// or queued; a connection that fails while writing is closed (the reader
// then ends, as for any broken connection) and that is still nil. It
// returns ErrPeerStopped when stop is closed, or ctx's error when ctx ends,
// before msg was handed over. A sender writing its own message is bounded
// by ctx's deadline (see writeOwn). Progressive chunks are always queued
// (see streamChunk). Messages one goroutine sends through SendContext are
// written in order; they are not ordered with messages sent through Send's
// channel.
func (l *link) SendContext(ctx context.Context, stop <-chan struct{}, msg wamp.Message) error {
	select {
	case <-stop:
		return ErrPeerStopped
	default:
	}
	if l.queuedQ.Load() == 0 && !streamChunk(msg) && l.wmu.TryLock() {
		if l.queuedQ.Load() == 0 && !l.isClosed() {
			err := l.writeOwn(ctx, msg)
			l.wmu.Unlock()
			return err
		}
		l.wmu.Unlock()
	}
	l.queuedQ.Add(1)
	select {
	case l.wq <- msg:
		return nil
	case <-stop:
		l.queuedQ.Add(-1)
		return ErrPeerStopped
	case <-ctx.Done():
		l.queuedQ.Add(-1)
		return ctx.Err()
	}
}

// streamChunk reports whether msg is a progressive chunk (a YIELD or a
// CALL with progress set): a stream's chunks go through the writer, which
// writes what queued behind a write in one write (rawsocket), while the
// sender makes the next chunk; its final message may write through.
func streamChunk(msg wamp.Message) bool {
	var opts wamp.Dict
	switch m := msg.(type) {
	case *wamp.Yield:
		opts = m.Options
	case *wamp.Call:
		opts = m.Options
	default:
		return false
	}
	progress, _ := opts[wamp.OptProgress].(bool)
	return progress
}

// writeOwn writes msg on the sender's goroutine, under wmu. A deadline of
// ctx bounds the write: past it the connection is closed (a frame cannot
// be half sent). A ctx canceled while the write is in progress does not
// interrupt it; ending the session (Close) does.
func (l *link) writeOwn(ctx context.Context, msg wamp.Message) error {
	if ctx.Done() == nil {
		l.writeThrough(msg, time.Time{})
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	deadline, _ := ctx.Deadline()
	l.writeThrough(msg, deadline)
	return nil
}

// writeThrough writes msg in a write of its own, under wmu (a sender
// writing through, see SendContext), by the deadline unless it is zero;
// false when the connection failed or msg could not be sent and nobody
// takes the report (the peer is then closing).
func (l *link) writeThrough(msg wamp.Message, deadline time.Time) bool {
	batch, err := l.frames.appendMessage(l.wbuf[:0], msg)
	if err == nil && len(batch) > 0 {
		if !deadline.IsZero() {
			_ = l.nc.SetWriteDeadline(deadline)
		}
		_, err = l.nc.Write(batch)
		if !deadline.IsZero() && err == nil {
			_ = l.nc.SetWriteDeadline(time.Time{})
		}
	}
	l.keep(batch)
	if err != nil {
		l.closeNoWait()
		return false
	}
	return true
}

// writeLoop serializes what the session sends and writes it. Messages that
// are already queued when it writes go out together in one write (up to
// maxBatch bytes): under concurrent calls this saves a system call per
// message. With SendContext, a message sent while no write is in flight is
// written by its sender; what queues behind a write in flight is written
// here, together.
func (l *link) writeLoop() {
	tick, stop := l.alive.ticks()
	defer stop()
	for {
		var (
			msg     wamp.Message
			counted int64 // messages taken from SendContext's queue
			pong    []byte
			ping    bool
			isPong  bool
		)
		select {
		case msg = <-l.wr:
		case msg = <-l.wq:
			counted = 1
		case pong = <-l.pongs:
			isPong = true
		case <-tick:
			if l.alive.lost() {
				l.closeNoWait() // the reader ends, and the session sees the loss
				return
			}
			ping = true
		case <-l.flushing:
			l.flush()
			return
		case <-l.closed:
			return
		}
		l.wmu.Lock()
		batch := l.wbuf[:0]
		var err error
		switch {
		case ping:
			batch = l.frames.appendPing(batch)
		case isPong:
			batch = l.frames.appendPong(batch, pong)
		default:
			batch, err = l.frames.appendMessage(batch, msg)
		}
	gather:
		for err == nil && len(batch) < maxBatch {
			select {
			case msg := <-l.wr:
				batch, err = l.frames.appendMessage(batch, msg)
			case msg := <-l.wq:
				counted++
				batch, err = l.frames.appendMessage(batch, msg)
			default:
				break gather
			}
		}
		if err == nil && len(batch) > 0 {
			_, err = l.nc.Write(batch)
		}
		l.keep(batch)
		l.queuedQ.Add(-counted)
		l.wmu.Unlock()
		if err != nil { // the connection's own failure
			l.closeNoWait()
			return
		}
	}
}

// keep keeps batch's buffer for the next write, unless one large message
// grew it.
func (l *link) keep(batch []byte) {
	if cap(batch) > 4*maxBatch {
		batch = nil
	}
	l.wbuf = batch
}

// flush writes what the session queued before Close (see link.flushing),
// within flushTimeout. What cannot be sent is dropped: the peer is closing.
func (l *link) flush() {
	_ = l.nc.SetWriteDeadline(time.Now().Add(flushTimeout)) // bounds a sender's write in progress too
	l.wmu.Lock()                                            // a sender writing through finishes first
	defer l.wmu.Unlock()
	_ = l.nc.SetWriteDeadline(time.Now().Add(flushTimeout))
	batch := l.wbuf[:0]
	for {
		var msg wamp.Message
		select {
		case msg = <-l.wr:
		case msg = <-l.wq:
		default:
			if len(batch) > 0 {
				_, _ = l.nc.Write(batch)
			}
			return
		}
		var err error
		if batch, err = l.frames.appendMessage(batch, msg); err != nil {
			return
		}
		if len(batch) >= maxBatch {
			if _, err := l.nc.Write(batch); err != nil {
				return
			}
			batch = batch[:0]
		}
	}
}

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
