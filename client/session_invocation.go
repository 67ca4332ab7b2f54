package client

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/gammazero/nexus/v3/wamp"
)

// engineInvocation is one INVOCATION being handled. Its methods are safe for
// concurrent use.
type engineInvocation struct {
	ID           wamp.ID
	Registration wamp.ID
	// Procedure is the URI the caller called (Details.procedure when the
	// router sends it, else the registered URI).
	Procedure string
	Details   wamp.Dict
	Args      wamp.List
	Kwargs    wamp.Dict
	// Owner is the registration's Value.
	Owner any

	s   *session
	reg *sessionReg

	// The invocation is its own context (see context.go): no allocation
	// for a handler that never looks at cancellation.
	deadline   time.Time
	timer      *time.Timer
	done       chan struct{} // made on first Done
	err        error
	afterFuncs map[*afterFunc]struct{}

	mu       sync.Mutex
	mode     string // interrupt mode, "" while not interrupted
	answered bool
	inputs   []chunk // streamed input chunks not yet taken
	charged  int64   // bytes charged to the session's InputBytes
	more     bool    // more input chunks will come
	signal   chan struct{}
}

type chunk struct {
	args    wamp.List
	kwargs  wamp.Dict
	details wamp.Dict // only when they carry more than progress (PPT)
	size    int64
}

// modeInputOverflow is the interrupt mode of an invocation ended because its
// streamed input overflowed the session's budget.
const modeInputOverflow = "input_overflow"

func newInvocation(s *session, reg *sessionReg, m *wamp.Invocation) *engineInvocation {
	proc, _ := wamp.AsString(m.Details[wamp.OptProcedure])
	if proc == "" {
		proc = reg.Procedure
	}
	more, _ := m.Details[wamp.OptProgress].(bool)
	inv := &engineInvocation{
		ID: m.Request, Registration: m.Registration, Procedure: proc, Details: m.Details,
		Args: m.Arguments, Kwargs: m.ArgumentsKw, Owner: reg.Value,
		s: s, reg: reg, more: more,
	}
	if more {
		inv.signal = make(chan struct{}, 1)
	}
	// A timeout too long for a time.Duration (a hostile or careless router)
	// is no deadline rather than an overflowed, negative one.
	if ms, ok := wamp.AsInt64(m.Details[wamp.OptTimeout]); ok && ms > 0 && ms <= math.MaxInt64/int64(time.Millisecond) {
		d := time.Duration(ms) * time.Millisecond
		inv.deadline = time.Now().Add(d)
		inv.timer = time.AfterFunc(d, func() { inv.cancelWith(context.DeadlineExceeded) })
	}
	return inv
}

// Context is the handler's context (the invocation itself): canceled by
// INTERRUPT, by a forwarded call timeout, or when the session ends.
func (inv *engineInvocation) Context() context.Context { return inv }

// ReceiveProgress reports whether the caller asked for progressive results.
func (inv *engineInvocation) ReceiveProgress() bool {
	b, _ := inv.Details[wamp.OptReceiveProgress].(bool)
	return b
}

// Streaming reports whether this is a progressive invocation whose first
// INVOCATION announced more input chunks.
func (inv *engineInvocation) Streaming() bool {
	p, _ := inv.Details[wamp.OptProgress].(bool)
	return p
}

// Progress sends a progressive result. When the caller did not ask for
// progress it does nothing. After the invocation was interrupted or answered
// it returns errInvocationDone.
func (inv *engineInvocation) Progress(args wamp.List, kwargs wamp.Dict) error {
	return inv.ProgressWith(args, kwargs, nil)
}

// ProgressWith is Progress with extra YIELD options (nil: none; the engine
// owns a map it is given and adds progress to it).
func (inv *engineInvocation) ProgressWith(args wamp.List, kwargs wamp.Dict, extra wamp.Dict) error {
	inv.mu.Lock()
	over := inv.answered || inv.mode != ""
	inv.mu.Unlock()
	if over {
		return errInvocationDone
	}
	if !inv.ReceiveProgress() {
		return nil
	}
	opts := progressOptions
	if extra != nil {
		opts = extra
		opts[wamp.OptProgress] = true
	}
	return inv.s.send(inv, &wamp.Yield{Request: inv.ID, Options: opts, Arguments: args, ArgumentsKw: kwargs})
}

// NextInput returns the next streamed input chunk of a progressive
// invocation. ok is false once the final chunk was taken. The first chunk is
// the invocation's own Args/Kwargs and is not returned again.
func (inv *engineInvocation) NextInput(ctx context.Context) (args wamp.List, kwargs wamp.Dict, ok bool, err error) {
	args, kwargs, _, ok, err = inv.NextInputDetails(ctx)
	return args, kwargs, ok, err
}

// NextInputDetails is NextInput with the chunk's INVOCATION details, kept
// only when they say something beyond progress (Payload Passthru Mode
// attributes); nil otherwise.
func (inv *engineInvocation) NextInputDetails(ctx context.Context) (args wamp.List, kwargs wamp.Dict, details wamp.Dict, ok bool, err error) {
	for {
		inv.mu.Lock()
		if len(inv.inputs) > 0 {
			c := inv.inputs[0]
			inv.inputs[0] = chunk{}
			inv.inputs = inv.inputs[1:]
			inv.releaseLocked(c.size)
			inv.mu.Unlock()
			return c.args, c.kwargs, c.details, true, nil
		}
		more, mode := inv.more, inv.mode
		inv.mu.Unlock()
		if mode == modeInputOverflow {
			return nil, nil, nil, false, ErrStreamOverflow
		}
		if !more {
			return nil, nil, nil, false, nil
		}
		if mode != "" {
			return nil, nil, nil, false, errInvocationDone
		}
		select {
		case <-inv.signal:
		case <-ctx.Done():
			return nil, nil, nil, false, ctx.Err()
		case <-inv.Done():
			return nil, nil, nil, false, inv.Err()
		}
	}
}

func (inv *engineInvocation) addChunk(m *wamp.Invocation) {
	more, _ := m.Details[wamp.OptProgress].(bool)
	size := int64(invocationSize(m))
	s := inv.s
	inv.mu.Lock()
	switch {
	case !inv.more || inv.mode == modeInputOverflow:
		// after the last chunk, or after an overflow: dropped
	case len(inv.inputs) > 0 && s.inputBytes.Load()+size > int64(s.cfg.InputBytes):
		// The handler does not keep up and the session is over its
		// budget: the invocation ends (see sessionConfig.InputBytes).
		clear(inv.inputs)
		inv.inputs = nil
		inv.releaseLocked(inv.charged)
		inv.more = more
		inv.mu.Unlock()
		s.log.Warn("wamp invocation ended: its streamed input is not read fast enough",
			"procedure", inv.Procedure, "request", inv.ID, "budget", s.cfg.InputBytes)
		inv.interrupt(modeInputOverflow)
		return
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
}

// releaseLocked gives n bytes of the invocation's charge back to the
// session; inv.mu is held.
func (inv *engineInvocation) releaseLocked(n int64) {
	n = min(n, inv.charged)
	if n > 0 {
		inv.charged -= n
		inv.s.inputBytes.Add(-n)
	}
}

// releaseInput drops what the invocation still holds once its handler has
// returned, and reports whether input chunks are still to come.
func (inv *engineInvocation) releaseInput() (more bool) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	clear(inv.inputs)
	inv.inputs = nil
	inv.releaseLocked(inv.charged)
	return inv.more
}

func (inv *engineInvocation) interrupt(mode string) {
	inv.mu.Lock()
	if inv.mode == "" {
		inv.mode = mode
	}
	inv.mu.Unlock()
	inv.cancelWith(context.Canceled)
}

func (inv *engineInvocation) interruptMode() string {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	return inv.mode
}

// finish marks the invocation answered and reports whether the answer is
// still wanted: not after killnowait, and not once the session has ended.
func (inv *engineInvocation) finish() bool {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	inv.answered = true
	return inv.mode != cancelKillNoWait
}
