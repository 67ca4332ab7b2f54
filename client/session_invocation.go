package client

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/gammazero/nexus/v3/wamp"
)

// The engine's side of an Invocation (see invocation.go for the handler's
// side): its context, its interruption, and its streamed input.

type chunk struct {
	args    []any
	kwargs  map[string]any
	details wamp.Dict // only when they carry more than progress (PPT)
	size    int64
}

// modeInputOverflow is the interrupt mode of an invocation ended because its
// streamed input overflowed the session's budget.
const modeInputOverflow = "input_overflow"

// errInterrupted is the cause of a handler's context canceled by the
// router's INTERRUPT (the caller canceled the call), by an input overflow,
// or because the session ended.
var errInterrupted = errors.New("client: invocation interrupted")

func newInvocation(s *session, reg *sessionReg, m *wamp.Invocation) *Invocation {
	proc, _ := wamp.AsString(m.Details[wamp.OptProcedure])
	if proc == "" {
		proc = reg.Procedure
	}
	more, _ := m.Details[wamp.OptProgress].(bool)
	inv := &Invocation{
		id: m.Request, proc: proc, details: m.Details,
		args: m.Arguments, kwargs: m.ArgumentsKw,
		s: s, reg: reg, more: more,
	}
	if more {
		inv.signal = make(chan struct{}, 1)
	}
	base := s.cfg.BaseContext
	if base == nil {
		base = context.Background()
	}
	ctx, cancel := context.WithCancelCause(base)
	inv.cancel = cancel
	// A timeout too long for a time.Duration (a hostile or careless router)
	// is no deadline rather than an overflowed, negative one.
	if ms, ok := wamp.AsInt64(m.Details[wamp.OptTimeout]); ok && ms > 0 && ms <= math.MaxInt64/int64(time.Millisecond) {
		ctx, inv.stop = context.WithTimeout(ctx, time.Duration(ms)*time.Millisecond)
	}
	inv.ctx = context.WithValue(ctx, invocationKey{}, inv)
	return inv
}

// end cancels the handler's context with cause (once) and releases its
// timer.
func (inv *Invocation) end(cause error) {
	inv.cancel(cause)
	if inv.stop != nil {
		inv.stop()
	}
}

// progressWire sends a progressive YIELD with the payload as it goes on the
// wire and extra YIELD options (nil: none; the engine owns a map it is
// given and adds progress to it). When the caller did not ask for progress
// it does nothing. After the invocation was interrupted or answered it
// returns ErrInvocationDone.
func (inv *Invocation) progressWire(args []any, kwargs map[string]any, extra wamp.Dict) error {
	// Held until the YIELD is handed on: the final answer (finish) waits
	// for it, so no progressive YIELD follows the final one.
	inv.answerMu.RLock()
	defer inv.answerMu.RUnlock()
	inv.mu.Lock()
	over := inv.answered || inv.mode != ""
	inv.mu.Unlock()
	if over {
		return ErrInvocationDone
	}
	if !inv.ReceiveProgress() {
		return nil
	}
	opts := progressOptions
	if extra != nil {
		opts = extra
		opts[wamp.OptProgress] = true
	}
	return inv.s.send(inv.ctx, &wamp.Yield{Request: inv.id, Options: opts, Arguments: args, ArgumentsKw: kwargs})
}

// nextChunk returns the next streamed input chunk of a progressive
// invocation, with its INVOCATION details when they say something beyond
// progress (Payload Passthru Mode attributes). ok is false once the final
// chunk was taken. The first chunk is the invocation's own payload and is
// not returned again.
func (inv *Invocation) nextChunk(ctx context.Context) (c chunk, ok bool, err error) {
	for {
		inv.mu.Lock()
		if len(inv.inputs) > 0 {
			c := inv.inputs[0]
			inv.inputs[0] = chunk{}
			inv.inputs = inv.inputs[1:]
			inv.releaseLocked(c.size)
			inv.mu.Unlock()
			return c, true, nil
		}
		more, mode := inv.more, inv.mode
		inv.mu.Unlock()
		if mode == modeInputOverflow {
			return chunk{}, false, ErrStreamOverflow
		}
		if !more {
			return chunk{}, false, nil
		}
		if mode != "" {
			return chunk{}, false, ErrInvocationDone
		}
		select {
		case <-inv.signal:
		case <-ctx.Done():
			return chunk{}, false, ctx.Err()
		case <-inv.ctx.Done():
			return chunk{}, false, fmt.Errorf("%w: %w", ErrInvocationDone, context.Cause(inv.ctx))
		}
	}
}

// addChunk takes a streamed input chunk of a running invocation; the read
// loop holds s.mu (see onInvocation). It reports an overflow: the handler
// does not keep up and the session is over its budget, so the caller ends
// the invocation (see sessionConfig.InputBytes).
func (inv *Invocation) addChunk(m *wamp.Invocation) (overflow bool) {
	more, _ := m.Details[wamp.OptProgress].(bool)
	size := int64(invocationSize(m, handed{}))
	s := inv.s
	inv.mu.Lock()
	switch {
	case !inv.more || inv.mode == modeInputOverflow:
		// After the last chunk, or after an overflow: dropped. Whether
		// more are to come is still followed, so that the handler's end
		// does not remember a stream whose last chunk came.
		inv.more = inv.more && more
	case len(inv.inputs) > 0 && s.inputBytes.Load()+size > int64(s.cfg.InputBytes):
		clear(inv.inputs)
		inv.inputs = nil
		inv.releaseLocked(inv.charged)
		inv.more = more
		inv.mu.Unlock()
		return true
	default:
		c := chunk{args: m.Arguments, kwargs: m.ArgumentsKw, size: size}
		if _, ppt := m.Details["ppt_scheme"]; ppt {
			c.details = m.Details
		}
		inv.inputs = append(inv.inputs, c)
		inv.charged += size
		s.inputBytes.Add(size)
		inv.more = more
	}
	inv.mu.Unlock()
	if inv.signal != nil {
		select {
		case inv.signal <- struct{}{}:
		default:
		}
	}
	return false
}

// releaseLocked gives n bytes of the invocation's charge back to the
// session; inv.mu is held.
func (inv *Invocation) releaseLocked(n int64) {
	n = min(n, inv.charged)
	if n > 0 {
		inv.charged -= n
		inv.s.inputBytes.Add(-n)
	}
}

// releaseInput drops what the invocation still holds once its handler has
// returned, and reports whether input chunks are still to come.
func (inv *Invocation) releaseInput() (more bool) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	clear(inv.inputs)
	inv.inputs = nil
	inv.releaseLocked(inv.charged)
	return inv.more
}

// interrupt ends the handler's context: the router's INTERRUPT (mode is
// its cancel mode), an input overflow, or the session's end.
func (inv *Invocation) interrupt(mode string) {
	inv.mu.Lock()
	if inv.mode == "" {
		inv.mode = mode
	}
	inv.mu.Unlock()
	inv.end(fmt.Errorf("%w (%s)", errInterrupted, mode))
}

func (inv *Invocation) interruptMode() string {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	return inv.mode
}

// finish marks the invocation answered and reports whether the answer is
// still wanted: not after killnowait, and not once the session has ended.
func (inv *Invocation) finish() bool {
	inv.answerMu.Lock() // progressive YIELDs under way are handed on first
	defer inv.answerMu.Unlock()
	inv.mu.Lock()
	defer inv.mu.Unlock()
	inv.answered = true
	return inv.mode != string(CancelKillNoWait)
}
