package callee_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wampkit/wampkit/callee"
	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest"
)

// limited counts running handlers and blocks each until release is closed.
type limited struct {
	running, max, started atomic.Int32
	release               chan struct{}
}

func (l *limited) handle(ctx context.Context, _ struct{}) (string, error) {
	n := l.running.Add(1)
	defer l.running.Add(-1)
	l.started.Add(1)
	for {
		m := l.max.Load()
		if n <= m || l.max.CompareAndSwap(m, n) {
			break
		}
	}
	select {
	case <-l.release:
		return "done", nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func TestConcurrencyLimit(t *testing.T) {
	r := wamptest.NewRouter(t)
	c := r.Local(t)
	ctx := wamptest.Context(t)
	l := &limited{release: make(chan struct{})}
	mustRegister(t)(callee.Register(ctx, c, "com.example.slow", l.handle, callee.Concurrency(2)))
	caller := r.Local(t)

	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for range 6 {
		wg.Go(func() {
			_, err := call(t, caller, "com.example.slow", nil, nil)
			errs <- err
		})
	}
	wamptest.Eventually(t, func() bool { return l.running.Load() == 2 })
	time.Sleep(100 * time.Millisecond) // a third handler would start now
	if n := l.started.Load(); n != 2 {
		t.Errorf("%d handlers started while 2 slots were taken", n)
	}
	close(l.release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("call: %v", err)
		}
	}
	if l.started.Load() != 6 || l.max.Load() != 2 {
		t.Errorf("started %d, at most %d at once; want 6 and 2", l.started.Load(), l.max.Load())
	}
}

func TestConcurrencyCanceledWhileWaiting(t *testing.T) {
	for _, mode := range []client.CancelMode{client.CancelKill, client.CancelKillNoWait} {
		t.Run(string(mode), func(t *testing.T) {
			r := wamptest.NewRouter(t)
			c := r.Local(t)
			ctx := wamptest.Context(t)
			l := &limited{release: make(chan struct{})}
			mustRegister(t)(callee.Register(ctx, c, "com.example.slow", l.handle, callee.Concurrency(1)))
			mustRegister(t)(callee.Register(ctx, c, "com.example.sync", func(context.Context, struct{}) (any, error) {
				return nil, nil
			}))
			caller := r.Local(t)

			first := make(chan error, 1)
			go func() {
				_, err := call(t, caller, "com.example.slow", nil, nil)
				first <- err
			}()
			wamptest.Eventually(t, func() bool { return l.running.Load() == 1 })

			// The second call waits for the slot; canceling it must answer
			// it (kill waits for the callee's answer) without running it.
			waitCtx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
			defer cancel()
			start := time.Now()
			_, err := caller.Call(waitCtx, client.CallRequest{Procedure: "com.example.slow",
				CancelMode: mode, KillWait: 3 * time.Second}, nil)
			if !errors.Is(err, client.ErrCanceled) {
				t.Errorf("waiting call: %v, want canceled", err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("waiting call answered after %s: the callee did not answer the cancel", d)
			}

			// A round trip through the callee's session: the router sent the
			// INTERRUPT before this INVOCATION, so the callee has read it.
			mustCall(t, caller, "com.example.sync")
			close(l.release)
			if err := <-first; err != nil {
				t.Errorf("first call: %v", err)
			}
			// The canceled invocation never ran and gave no slot away.
			mustCall(t, caller, "com.example.slow")
			if n := l.started.Load(); n != 2 {
				t.Errorf("%d handlers ran, want 2 (the canceled one must not run)", n)
			}
		})
	}
}
