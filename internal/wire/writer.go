package wire

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/gammazero/nexus/v3/wamp"
)

// ErrPeerStopped is SendContext's error when stop was closed before msg was
// handed over.
var ErrPeerStopped = errors.New("wire: send stopped")

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

// writeRounds bounds the rounds of writes a goroutine holding the writing
// role makes for what other senders hand over to it (see SendContext)
// before it leaves the rest to the writer goroutine (a round writes every
// maxBatch bytes it gathered).
const writeRounds = 4

// SendContext hands msg to the connection. Messages go out in batches: one
// write carries every message handed over while the write before it was
// being prepared or in progress.
//
// The goroutine that writes holds the writing role: a sender that finds no
// one writing and nothing it queued before still unwritten takes the role
// and writes msg itself (write-through: no handoff to the writer
// goroutine, which is what makes a lone call fast). When other sends are
// awaited (results and invocations received and not yet answered, see
// awaited: concurrent calls), it first lets the goroutines that are ready
// to run go (one runtime.Gosched). Those that send while it holds the role
// hand their messages over (pending, up to 64 messages), and it writes
// them together with its own, then what was handed over during that
// write, up to writeRounds writes; what is still pending then goes to the writer goroutine, which
// takes the role over. A sender that finds the role taken and pending full,
// or messages queued before still unwritten (its own may be among them),
// queues msg for the writer goroutine (wq, 64 messages), which writes
// everything queued together; so does a progressive chunk (see
// streamChunk).
//
// It returns nil once msg is written, handed over or queued; a connection
// that fails while writing is closed (the reader then ends, as for any
// broken connection) and that is still nil. It returns ErrPeerStopped when
// stop is closed, or ctx's error when ctx ends, before msg was handed over.
// A sender writing is bounded by ctx's deadline (see writeOwn). Messages one
// goroutine sends through SendContext are written in order; they are not
// ordered with messages sent through Send's channel.
func (l *link) SendContext(ctx context.Context, stop <-chan struct{}, msg wamp.Message) error {
	select {
	case <-stop:
		return ErrPeerStopped
	default:
	}
	// With nothing queued unwritten (queuedQ counts until written), none of
	// this sender's earlier messages is in wq; any in pending are written
	// before msg, by the holder of the role.
	others := l.awaited.take() > 0
	if l.queuedQ.Load() == 0 && !streamChunk(msg) {
		l.pmu.Lock()
		switch {
		case l.writing:
			if len(l.pending) < cap(l.pending) {
				l.pending = append(l.pending, msg)
				l.pmu.Unlock()
				return nil
			}
		case !l.isClosed() && l.wmu.TryLock():
			l.writing = true
			l.pmu.Unlock()
			return l.writeOwn(ctx, msg, others)
		}
		l.pmu.Unlock()
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
// writes what queued behind a write in one write, while the sender makes
// the next chunk; its final message may write through.
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

// writeOwn writes msg, and what is handed over meanwhile, on the sender's
// goroutine, which holds wmu and the writing role. When others are about
// to send, it first lets them go (runtime.Gosched) so that their messages
// go out in the same write. A deadline of ctx bounds that one write: past
// it the connection is closed (a frame cannot be half sent); what is
// handed over later goes to the writer goroutine, under no sender's
// deadline. A ctx canceled while the write is in progress does not
// interrupt it; ending the session (Close) does. A ctx ended before the
// write (also while yielding) sends nothing of its own, and the messages
// handed over still go out.
func (l *link) writeOwn(ctx context.Context, msg wamp.Message, others bool) error {
	if others {
		runtime.Gosched() // the goroutines ready to run hand over theirs
	}
	var (
		deadline time.Time
		err      error
	)
	if ctx.Done() != nil {
		deadline, _ = ctx.Deadline()
		if err = ctx.Err(); err == nil && !deadline.IsZero() && !time.Now().Before(deadline) {
			err = context.DeadlineExceeded // its timer has not run yet
		}
		if err != nil {
			msg, deadline = nil, time.Time{}
		}
	}
	batch := l.wbuf[:0]
	var ferr error
	if msg != nil {
		batch, ferr = l.frames.appendMessage(batch, msg)
	}
	l.writeHeld(batch, ferr, deadline, 0)
	l.wmu.Unlock()
	return err
}

// writeHeld writes batch (unless ferr, its framing's error, drops the
// connection) together with what was handed over until then, then what is
// handed over meanwhile, in up to writeRounds rounds in all (a round writes
// every maxBatch bytes); the caller holds wmu and the writing role. With a
// deadline (a sender's) it writes one round only. It gives the role up when
// nothing more is pending, or hands it to the writer goroutine. counted
// messages of batch came from wq: queuedQ forgets them once written. False
// when the connection failed (it is then closing, and pending is dropped).
func (l *link) writeHeld(batch []byte, ferr error, deadline time.Time, counted int64) bool {
	if !deadline.IsZero() {
		_ = l.nc.SetWriteDeadline(deadline)
		defer func() { _ = l.nc.SetWriteDeadline(time.Time{}) }()
	}
	err := ferr
	if err == nil { // handed over after what batch holds: they follow it
		batch, err = l.appendAll(batch, l.takePending(false))
	}
	for round := 0; err == nil; round++ {
		if len(batch) > 0 {
			err = l.write(batch)
			batch = batch[:0]
		}
		if counted != 0 {
			l.queuedQ.Add(-counted)
			counted = 0
		}
		if err != nil {
			break
		}
		if round+1 == writeRounds || !deadline.IsZero() {
			l.handOver()
			break
		}
		taken := l.takePending(true)
		if taken == nil {
			break // the role is given up
		}
		batch, err = l.appendAll(batch, taken)
	}
	l.keep(batch)
	if err != nil {
		l.queuedQ.Add(-counted)
		l.dropPending()
		l.closeNoWait()
		return false
	}
	return true
}

// writeSlice is the most one Write call is given: a large batch (a 16 MiB
// message) goes out slice by slice, and each slice written with more to
// follow, once the write has lasted a quarter of an interval, tells keepalive
// that the other side is reading (see keepalive.wrote), so a long upload
// to a router that reads it slowly is not taken for a stall. Whole small
// writes (a ping among them), and writes the socket's buffers take at
// once, say nothing: a router that reads but never answers, or one that
// stopped reading, is still dropped.
const writeSlice = 64 << 10

// write writes batch to the connection (the caller holds wmu).
func (l *link) write(batch []byte) error {
	var began time.Time
	for len(batch) > 0 {
		n := min(len(batch), writeSlice)
		if _, err := l.nc.Write(batch[:n]); err != nil {
			return err
		}
		batch = batch[n:]
		// Only a write that has gone on for a quarter of a keepalive
		// interval is a sign of life: the socket's buffers take a
		// write at once whether or not the other side reads.
		if len(batch) > 0 && l.alive.interval > 0 {
			if began.IsZero() {
				began = time.Now()
			} else if time.Since(began) > l.alive.interval/4 {
				l.alive.wrote.Store(true)
			}
		}
	}
	return nil
}

// takePending takes what was handed over to the holder of the writing
// role (the caller holds wmu). With nothing pending it returns nil, and
// gives the role up if giveUp is set.
func (l *link) takePending(giveUp bool) []wamp.Message {
	l.pmu.Lock()
	defer l.pmu.Unlock()
	taken := l.pending
	if len(taken) == 0 {
		if giveUp {
			l.writing = false
		}
		return nil
	}
	// The two buffers alternate; appendAll clears taken's entries.
	l.pending, l.spare = l.spare[:0], taken
	return taken
}

// handOver leaves what is pending to the writer goroutine: the role stays
// taken (senders keep handing over) until the writer has written it.
func (l *link) handOver() {
	l.pmu.Lock()
	more := len(l.pending) > 0
	if !more {
		l.writing = false
	}
	l.pmu.Unlock()
	if more {
		select {
		case l.handed <- struct{}{}:
		default: // the writer has been told already
		}
	}
}

// dropPending forgets what was handed over after the connection failed,
// and gives the role up.
func (l *link) dropPending() {
	l.pmu.Lock()
	clear(l.pending)
	l.pending = l.pending[:0]
	l.writing = false
	l.pmu.Unlock()
}

// appendAll appends the frames of msgs to batch, clearing msgs' entries,
// and writes whenever batch reaches maxBatch. The error is the
// connection's or a framing error that drops it.
func (l *link) appendAll(batch []byte, msgs []wamp.Message) ([]byte, error) {
	var err error
	for i, msg := range msgs {
		msgs[i] = nil
		if err != nil {
			continue
		}
		batch, err = l.appendOne(batch, msg)
	}
	return batch, err
}

// appendOne appends msg's frame to batch, and writes batch once it reaches
// maxBatch.
func (l *link) appendOne(batch []byte, msg wamp.Message) ([]byte, error) {
	batch, err := l.frames.appendMessage(batch, msg)
	if err == nil && len(batch) >= maxBatch {
		err = l.write(batch)
		batch = batch[:0]
	}
	return batch, err
}

// writeLoop is the writer goroutine: it writes what the session sends
// through Send's channel, what SendContext queued (wq) or handed over to it
// (pending, see handOver), pings and pongs. Everything already queued when
// it writes goes out together in one write (up to maxBatch bytes), and it
// holds the writing role while it writes: what senders hand over meanwhile
// goes out in its next write.
func (l *link) writeLoop() {
	for {
		var (
			msg     wamp.Message
			counted int64 // messages taken from wq
			pong    []byte
			ping    bool
			isPong  bool
		)
		select {
		case msg = <-l.wr:
		case msg = <-l.wq:
			counted = 1
		case <-l.handed:
		case pong = <-l.pongs:
			isPong = true
		case <-l.pingDue: // nil without keepalive
			ping = true
		case <-l.flushing:
			l.flush()
			return
		case <-l.closed:
			return
		}
		l.wmu.Lock()
		l.pmu.Lock()
		left := l.writing // only a holder of wmu takes the role: it was left to the writer
		l.writing = true
		l.pmu.Unlock()
		batch := l.wbuf[:0]
		var err error
		if left { // handed over before what is queued in wq was
			batch, err = l.appendAll(batch, l.takePending(false))
		}
		switch {
		case err != nil:
		case ping:
			batch = l.frames.appendPing(batch)
		case isPong:
			batch = l.frames.appendPong(batch, pong)
		case msg != nil:
			batch, err = l.frames.appendMessage(batch, msg)
		}
	gather:
		for err == nil && len(batch) < maxBatch {
			select {
			case msg := <-l.wr:
				batch, err = l.frames.appendMessage(batch, msg)
			case msg := <-l.wq:
				counted++
				// What was handed over before msg was queued goes first:
				// msg's sender queued it when pending was full, and its
				// earlier messages may be there.
				if batch, err = l.appendAll(batch, l.takePending(false)); err == nil {
					batch, err = l.frames.appendMessage(batch, msg)
				}
			default:
				break gather
			}
		}
		ok := l.writeHeld(batch, err, time.Time{}, counted)
		l.wmu.Unlock()
		if !ok {
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
	l.wbuf = batch[:0]
}

// flush writes what the session queued or handed over before Close (see
// link.flushing), within flushTimeout. What cannot be sent is dropped: the
// peer is closing. It keeps the writing role, so nothing is written after
// it but the transport's closing word (Close's before).
func (l *link) flush() {
	_ = l.nc.SetWriteDeadline(time.Now().Add(flushTimeout)) // bounds a sender's write in progress too
	l.wmu.Lock()                                            // a sender writing through finishes first
	defer l.wmu.Unlock()
	_ = l.nc.SetWriteDeadline(time.Now().Add(flushTimeout))
	l.pmu.Lock()
	l.writing = true // for good: no sender writes after the flush
	l.pmu.Unlock()
	defer func() { // what is handed over later is dropped: the peer is closing
		l.pmu.Lock()
		clear(l.pending)
		l.pending = l.pending[:0]
		l.pmu.Unlock()
	}()
	batch := l.wbuf[:0]
	batch, err := l.appendAll(batch, l.takePending(false))
	for err == nil {
		select {
		case msg := <-l.wr:
			batch, err = l.appendOne(batch, msg)
		case msg := <-l.wq:
			// As in writeLoop: what was handed over before msg goes first.
			if batch, err = l.appendAll(batch, l.takePending(false)); err == nil {
				batch, err = l.appendOne(batch, msg)
			}
		default:
			if taken := l.takePending(false); taken != nil {
				batch, err = l.appendAll(batch, taken)
				continue
			}
			if len(batch) > 0 {
				_, _ = l.nc.Write(batch)
			}
			return
		}
	}
}

// awaited counts the messages received that a sender answers, the results
// of calls (each lets a caller make its next call) and invocations (each is
// answered by a yield), less the messages sent since; bounded to [0, 64].
// A sender that sees more awaited than its own send knows others are about
// to send: it lets them go first and hand over (see SendContext). A lone
// caller, or a callee answering one call at a time, sees none.
type awaited struct{ n atomic.Int32 }

const maxAwaited = 64

// add counts a message received that calls for a send.
func (a *awaited) add() {
	for {
		n := a.n.Load()
		if n >= maxAwaited || a.n.CompareAndSwap(n, n+1) {
			return
		}
	}
}

// take counts a send and returns how many other sends are awaited.
func (a *awaited) take() int32 {
	for {
		n := a.n.Load()
		if n <= 0 {
			return 0
		}
		if a.n.CompareAndSwap(n, n-1) {
			return n - 1
		}
	}
}

// answers reports whether msg calls for a send: a call's final result or
// error (the caller goes on to its next call), or an invocation.
func answers(msg wamp.Message) bool {
	switch m := msg.(type) {
	case *wamp.Invocation, *wamp.Error:
		return true
	case *wamp.Result:
		progress, _ := m.Details[wamp.OptProgress].(bool)
		return !progress
	}
	return false
}
