package client

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gammazero/nexus/v3/wamp"
)

// callState is an outbound call in flight. Next is for one goroutine; Cancel and
// SendProgress may be called from any.
type callState struct {
	s   *session
	id  wamp.ID
	req callParams
	msg wamp.Call // the first CALL; never changed once sent

	mu       sync.Mutex
	queue    []Result
	charged  int64 // bytes of queue charged to the session's ResultBytes
	final    Result
	err      error
	done     bool // final result or error arrived (or failed locally)
	canceled bool
	giveUp   *time.Timer   // after Cancel: ends the call if no answer comes
	signal   chan struct{} // cap 1: something was added
}

// callParams is what a call keeps of its CallRequest (not its payload, a
// few hundred bytes of a call's state otherwise).
type callParams struct {
	CancelMode CancelMode
	Buffer     int
	KillWait   time.Duration
	Stream     bool
	readOnly   bool
}

// startCall sends req's CALL, with its payload and options as they go on
// the wire (the client has applied Payload Passthru Mode, timeout and
// disclose_me), into c: a zero callState, typically embedded in a handle
// of the caller's, to save an allocation. The engine owns opts from here
// and adds receive_progress and progress to it as needed.
func (s *session) startCall(ctx context.Context, req *CallRequest, args []any, kwargs map[string]any, opts wamp.Dict, c *callState) error {
	c.req = callParams{CancelMode: req.CancelMode, Buffer: req.Buffer, KillWait: req.KillWait,
		Stream: req.Stream, readOnly: req.readOnly}
	if c.req.CancelMode == "" {
		c.req.CancelMode = CancelKillNoWait
	}
	if c.req.Buffer <= 0 {
		c.req.Buffer = 65536
	}
	if c.req.KillWait <= 0 {
		c.req.KillWait = 5 * time.Second
	}
	switch {
	case opts != nil:
	case req.ReceiveProgress || req.Stream:
		opts = make(wamp.Dict, 1)
	default:
		opts = noOptions
	}
	if req.ReceiveProgress {
		opts[wamp.OptReceiveProgress] = true
	}
	if req.Stream {
		opts[wamp.OptProgress] = true
	}
	c.s, c.id, c.signal = s, s.nextID(), make(chan struct{}, 1)
	// The CALL message lives in the callState: one allocation for both.
	c.msg = wamp.Call{Request: c.id, Options: opts, Procedure: wamp.URI(req.Procedure),
		Arguments: args, ArgumentsKw: kwargs}
	s.mu.Lock()
	if s.endErr != nil {
		s.mu.Unlock()
		return ErrClosed
	}
	s.calls[c.id] = c
	s.mu.Unlock()
	typed := req.typed
	if req.Stream { // the callee's input owns the chunks: not given over
		typed.Fresh = false
	}
	if err := s.sendFrozen(ctx, &c.msg, typed); err != nil {
		s.dropCall(c.id)
		return err
	}
	return nil
}

// ID is the call's request ID.
func (c *callState) ID() wamp.ID { return c.id }

// SendProgress sends one more input chunk of a progressive invocation.
func (c *callState) SendProgress(ctx context.Context, args wamp.List, kwargs wamp.Dict) error {
	return c.SendChunk(ctx, args, kwargs, nil, true)
}

// SendFinal sends the last input chunk of a progressive invocation.
func (c *callState) SendFinal(ctx context.Context, args wamp.List, kwargs wamp.Dict) error {
	return c.SendChunk(ctx, args, kwargs, nil, false)
}

// SendChunk sends an input chunk, more of them to follow or not, with extra
// CALL options (nil: none; the engine owns a map it is given and adds
// progress to it).
func (c *callState) SendChunk(ctx context.Context, args wamp.List, kwargs wamp.Dict, extra wamp.Dict, more bool) error {
	if !c.req.Stream {
		return errNotStreaming
	}
	c.mu.Lock()
	done, err := c.done, c.err
	c.mu.Unlock()
	if done {
		if err != nil {
			return err
		}
		return ErrInvocationDone
	}
	opts := noOptions
	switch {
	case extra != nil:
		opts = extra
		if more {
			opts[wamp.OptProgress] = true
		}
	case more:
		opts = progressOptions
	}
	err = c.s.send(ctx, &wamp.Call{Request: c.id, Options: opts, Procedure: c.msg.Procedure,
		Arguments: args, ArgumentsKw: kwargs})
	if errors.Is(err, ErrClosed) || errors.Is(err, ErrNotConnected) {
		// The session ended before failAll ended the call: its first CALL
		// went out, so the call may have run whatever this chunk's fate.
		c.s.mu.Lock()
		err = c.s.inFlightErrLocked()
		c.s.mu.Unlock()
	}
	return err
}

// Next returns the next progressive result, or the final one (Progress
// false), or the call's error. After the final result or an error it keeps
// returning them. When ctx ends, Next cancels the call (see Cancel) and
// returns a *canceledError.
func (c *callState) Next(ctx context.Context) (Result, error) {
	for {
		c.mu.Lock()
		if len(c.queue) > 0 {
			r := c.queue[0]
			c.queue[0] = Result{}
			c.queue = c.queue[1:]
			c.release(r.size)
			c.mu.Unlock()
			return r, nil
		}
		if c.done {
			final, err := c.final, c.err
			c.mu.Unlock()
			return final, err
		}
		c.mu.Unlock()
		select {
		case <-c.signal:
		case <-ctx.Done():
			return c.cancelAndWait(ctx.Err())
		}
	}
}

// Cancel sends CANCEL with the call's mode and returns without waiting. The
// call then ends with the router's answer (in kill mode, the callee's); if
// none arrives within KillWait, it ends locally with a *canceledError whose
// Cause is context.Canceled, so a callee that ignores the interrupt cannot
// keep the call pending.
func (c *callState) Cancel() {
	if !c.s.feat.Dealer(featureCallCanceling) {
		c.abandon(context.Canceled)
		return
	}
	if !c.sendCancel(false) {
		return
	}
	c.mu.Lock()
	if !c.done && c.giveUp == nil {
		c.giveUp = time.AfterFunc(c.req.KillWait, func() {
			c.failCanceled(&canceledError{cause: context.Canceled, mode: c.req.CancelMode})
		})
	}
	c.mu.Unlock()
}

// sendCancel sends CANCEL once, unless the call has ended; it reports
// whether it sent it. onReadLoop: the read loop sends it (a slow
// consumer's call), which a write that does not end must not hold.
func (c *callState) sendCancel(onReadLoop bool) bool {
	if !c.s.feat.Dealer(featureCallCanceling) {
		return false
	}
	c.mu.Lock()
	if c.done || c.canceled {
		c.mu.Unlock()
		return false
	}
	c.canceled = true
	c.mu.Unlock()
	msg := &wamp.Cancel{Request: c.id, Options: wamp.Dict{wamp.OptMode: string(c.req.CancelMode)}}
	// The CANCEL waits for room in a full queue only briefly, and is not
	// sent if none comes: the call fails as canceled all the same, and a
	// late answer is dropped. The wait is ended by a cancel, not a
	// deadline: over the network a deadline would bound the write itself,
	// and a write past it ends the connection, and every call on it, when
	// the socket is slow. A write under way ends when the session does;
	// one the read loop makes, at the latest at readLoopSendWait, its
	// deadline: a router that stopped reading must not hold the read loop
	// (see sendOnReadLoop).
	var (
		ctx    context.Context
		cancel context.CancelFunc
	)
	if onReadLoop {
		ctx, cancel = context.WithTimeout(context.Background(), readLoopSendWait)
	} else {
		ctx, cancel = context.WithCancel(context.Background())
	}
	t := time.AfterFunc(cancelSendWait, cancel)
	_ = c.s.send(ctx, msg)
	t.Stop()
	cancel()
	return true
}

// cancelSendWait bounds how long a CANCEL waits for room to be sent.
const cancelSendWait = 100 * time.Millisecond

// cancelAndWait cancels the call after its context ended. In kill mode it
// waits (up to KillWait) for the callee's answer and returns it; in the other
// modes it returns at once and the router's late ERROR is dropped.
func (c *callState) cancelAndWait(cause error) (Result, error) {
	if !c.s.feat.Dealer(featureCallCanceling) {
		return Result{}, c.abandon(cause)
	}
	c.sendCancel(false)
	cerr := &canceledError{cause: cause, mode: c.req.CancelMode}
	if c.req.CancelMode != CancelKill {
		c.failCanceled(cerr)
		return Result{}, cerr
	}
	timer := time.NewTimer(c.req.KillWait)
	defer timer.Stop()
	for {
		c.mu.Lock()
		if c.done {
			final, err := c.final, c.err
			c.mu.Unlock()
			if err != nil {
				var re *Error
				if errors.As(err, &re) {
					cerr.remote = re
				}
				return Result{}, cerr
			}
			return final, nil
		}
		c.discardLocked() // progress after cancel is not wanted
		c.mu.Unlock()
		select {
		case <-c.signal:
		case <-timer.C:
			c.failCanceled(cerr)
			return Result{}, cerr
		}
	}
}

// featureCallCanceling is the dealer feature CANCEL needs.
const featureCallCanceling = "call_canceling"

// abandon ends the call locally without sending CANCEL, which a router that
// does not announce call_canceling would not understand: the call goes on
// at the router and its answer, when it comes, is dropped. The error says
// so: its Mode is "" (no CANCEL sent).
func (c *callState) abandon(cause error) error {
	c.mu.Lock()
	c.canceled = true
	c.mu.Unlock()
	cerr := &canceledError{cause: cause}
	c.failCanceled(cerr)
	return cerr
}

// failCanceled ends the call locally; the router's answer to CANCEL, when
// it comes, finds no call and is dropped.
func (c *callState) failCanceled(err error) {
	c.s.dropCall(c.id)
	c.finish(Result{}, err)
}

func (c *callState) finish(final Result, err error) {
	c.mu.Lock()
	if !c.done {
		c.done, c.final, c.err = true, final, err
		if c.giveUp != nil {
			c.giveUp.Stop()
		}
		// The router adds nothing more to an ended call: what it queued
		// is the reader's, and no longer counts against the session.
		c.release(c.charged)
	}
	c.mu.Unlock()
	c.wake()
}

// release gives n bytes of the call's charge back to the session; c.mu is
// held.
func (c *callState) release(n int64) {
	n = min(n, c.charged)
	if n > 0 {
		c.charged -= n
		c.s.resultBytes.Add(-n)
	}
}

// discardLocked drops the unread progressive results; c.mu is held.
func (c *callState) discardLocked() {
	clear(c.queue)
	c.queue = nil
	c.release(c.charged)
}

func (c *callState) fail(err error) { c.finish(Result{}, err) }

func (c *callState) wake() {
	select {
	case c.signal <- struct{}{}:
	default:
	}
}

func (s *session) dropCall(id wamp.ID) {
	s.mu.Lock()
	delete(s.calls, id)
	s.mu.Unlock()
}

func (s *session) onResult(m *wamp.Result, shared bool) {
	progress, _ := m.Details[wamp.OptProgress].(bool)
	s.mu.Lock()
	c, ok := s.calls[m.Request]
	if ok && !progress {
		delete(s.calls, m.Request)
	}
	s.mu.Unlock()
	if !ok {
		return // canceled or abandoned call: its late RESULT is expected noise
	}
	if shared && !c.req.readOnly {
		// Whoever reads this result may modify it: it gets a copy of its
		// own. (A frozen payload cannot fail the copy; a progressive
		// result is never shared, see localize.)
		if err := s.unshare(&m.Arguments, &m.ArgumentsKw); err != nil {
			c.fail(&Error{URI: string(wamp.ErrInvalidArgument), Args: wamp.List{err.Error()}})
			return
		}
	}
	r := Result{Payload: Payload{Args: m.Arguments, Kwargs: m.ArgumentsKw}, Details: m.Details, Progress: progress}
	if !progress {
		c.finish(r, nil)
		return
	}
	r.size = int64(resultSize(m))
	c.mu.Lock()
	if c.done || c.canceled {
		c.mu.Unlock()
		return
	}
	var over error
	switch {
	case len(c.queue) >= c.req.Buffer:
		over = fmt.Errorf("%w (%d progressive results unread, the call's buffer)", ErrSlowConsumer, len(c.queue))
	case len(c.queue) > 0 && s.resultBytes.Load()+r.size > int64(s.cfg.ResultBytes):
		over = fmt.Errorf("%w (progressive results unread past the session's %d-byte budget; this call held %d bytes)",
			ErrSlowConsumer, s.cfg.ResultBytes, c.charged)
	}
	if over != nil {
		c.discardLocked()
		c.mu.Unlock()
		s.log.Warn("wamp call failed: its progressive results are not read fast enough",
			"procedure", c.msg.Procedure, "request", c.id, "error", over)
		c.sendCancel(true)
		s.dropCall(c.id)
		c.fail(over)
		return
	}
	c.queue = append(c.queue, r)
	c.charged += r.size
	s.resultBytes.Add(r.size)
	c.mu.Unlock()
	c.wake()
}

func (s *session) onCallError(m *wamp.Error) {
	s.mu.Lock()
	c, ok := s.calls[m.Request]
	delete(s.calls, m.Request)
	s.mu.Unlock()
	if ok {
		c.fail(errorFromMsg(m))
	}
}
