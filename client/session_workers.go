package client

import (
	"sync"
	"sync/atomic"
	"time"
)

// Invocation handlers run on pooled goroutines. A
// goroutine that has run a handler keeps the stack it grew for it, so the
// next invocation does not start on a fresh 2 KiB stack and copy it while
// it grows through decoding, the handler and encoding. (Growing stacks was
// 12% of the CPU of the in-process call benchmark; see BENCHMARKS.md.)
//
// The pool is the session's: an idle worker ends after workerIdleTime (up to
// twice that, see work), when
// more than maxIdleWorkers are idle, or as soon as the session starts to
// end. Drain on an ending session waits for the workers too.
const (
	workerIdleTime = 10 * time.Second
	maxIdleWorkers = 256
)

// task is what a worker runs: an *Invocation (an
// interface holding a pointer, so handing one over allocates nothing).
type task interface{ run() }

type workers struct {
	handoff chan task    // unbuffered: a send succeeds only into an idle worker
	idle    atomic.Int32 // workers waiting on handoff
	closed  atomic.Bool  // the session is ending: no new workers

	mu   sync.Mutex
	n    int           // live workers
	gone chan struct{} // closed once closed and n == 0
}

func (w *workers) init() {
	w.handoff = make(chan task)
	w.gone = make(chan struct{})
}

// spawn runs t on an idle worker, or on a new one. Once the session is
// ending, t runs on a plain goroutine (its caller accounts for it in
// handlers, as for any task).
func (s *session) spawn(t task) {
	w := &s.workers
	select {
	case w.handoff <- t:
		return
	default:
	}
	w.mu.Lock()
	if w.closed.Load() {
		w.mu.Unlock()
		go t.run()
		return
	}
	w.n++
	w.mu.Unlock()
	go s.work(t)
}

// work runs t, then whatever spawn hands over. Its idle timer is not reset
// for every task (that was 2% of the CPU of 32 concurrent in-process calls):
// it ticks every workerIdleTime, and a worker that ran nothing since the
// last tick ends, so an idle worker lasts one to two workerIdleTimes.
func (s *session) work(t task) {
	w := &s.workers
	defer w.exit()
	var idle *time.Timer
	for t != nil {
		t.run()
		t = nil // not kept alive while idle
		if w.closed.Load() {
			return
		}
		if w.idle.Add(1) > maxIdleWorkers {
			w.idle.Add(-1)
			return
		}
		if idle == nil {
			idle = time.NewTimer(workerIdleTime)
			defer idle.Stop()
		}
		for ran := true; t == nil; {
			select {
			case t = <-w.handoff:
			case <-idle.C:
				if !ran {
					w.idle.Add(-1)
					return
				}
				ran = false
				idle.Reset(workerIdleTime)
			case <-s.dying:
				w.idle.Add(-1)
				return
			}
		}
		w.idle.Add(-1)
	}
}

func (w *workers) exit() {
	w.mu.Lock()
	w.n--
	if w.closed.Load() && w.n == 0 {
		close(w.gone)
	}
	w.mu.Unlock()
}

// close stops new workers; idle ones see the session dying and end.
func (w *workers) close() {
	w.mu.Lock()
	if !w.closed.Load() {
		w.closed.Store(true)
		if w.n == 0 {
			close(w.gone)
		}
	}
	w.mu.Unlock()
}
