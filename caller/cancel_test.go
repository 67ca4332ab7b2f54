package caller_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/caller"
	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest"
)

// slowCallee runs for natural unless interrupted; interrupted, it answers
// com.example.stopped after linger. It reports what it saw on seen.
type slowCallee struct {
	natural, linger time.Duration
	started         chan struct{}
	seen            chan bool // true: interrupted
}

func newSlowCallee(natural, linger time.Duration) *slowCallee {
	return &slowCallee{natural: natural, linger: linger, started: make(chan struct{}, 1), seen: make(chan bool, 1)}
}

func (s *slowCallee) handle(ctx context.Context, _ *client.Invocation) (client.Payload, error) {
	s.started <- struct{}{}
	select {
	case <-ctx.Done():
		s.seen <- true
		time.Sleep(s.linger)
		return client.Payload{}, client.NewError("com.example.stopped", "stopped early")
	case <-time.After(s.natural):
		s.seen <- false
		return client.Payload{Args: []any{"finished"}}, nil
	}
}

func TestCancelModes(t *testing.T) {
	r := wamptest.NewRouter(t)
	srv, c := r.WS(t), r.WS(t)
	ctx := wamptest.Context(t)
	for i, tc := range []struct {
		mode             client.CancelMode
		opts             []caller.Option
		linger           time.Duration // how long the callee takes to answer INTERRUPT
		wantInterrupted  bool
		wantRemoteURI    string // the callee's answer reaches the caller only in kill mode
		minWait, maxWait time.Duration
	}{
		// The callee lingers (or runs) well past maxWait where the caller
		// must not wait for it.
		{mode: caller.KillNoWait, linger: 1200 * time.Millisecond, wantInterrupted: true, maxWait: 600 * time.Millisecond},
		{mode: caller.Skip, wantInterrupted: false, maxWait: 600 * time.Millisecond},
		{mode: caller.Kill, linger: 300 * time.Millisecond, wantInterrupted: true, wantRemoteURI: "com.example.stopped",
			minWait: 300 * time.Millisecond, maxWait: time.Second},
		{mode: caller.Kill, opts: []caller.Option{caller.KillWait(100 * time.Millisecond)}, linger: 1200 * time.Millisecond,
			wantInterrupted: true, minWait: 100 * time.Millisecond, maxWait: 600 * time.Millisecond},
	} {
		t.Run(fmt.Sprintf("%s-%d", tc.mode, i), func(t *testing.T) {
			slow := newSlowCallee(1200*time.Millisecond, tc.linger)
			proc := fmt.Sprintf("com.example.slow%d", i)
			raw(t, srv, proc, slow.handle, client.RegisterOptions{})
			cctx, cancel := context.WithCancel(ctx)
			var canceledAt time.Time
			go func() { <-slow.started; canceledAt = time.Now(); cancel() }()
			_, err := caller.Call[string](cctx, c, proc, nil, append(tc.opts, caller.CancelMode(tc.mode))...)
			waited := time.Since(canceledAt)

			assert.ErrorIs(t, err, context.Canceled)
			assert.ErrorIs(t, err, client.ErrCanceled)
			assert.False(t, client.SafeToRetry(err), "the call was sent: it may have run")
			assert.GreaterOrEqual(t, waited, tc.minWait)
			assert.Less(t, waited, tc.maxWait)
			var werr *client.Error
			if tc.wantRemoteURI != "" {
				require.ErrorAs(t, err, &werr)
				assert.Equal(t, tc.wantRemoteURI, werr.URI, "kill mode returns the callee's answer")
			} else if errors.As(err, &werr) {
				assert.NotEqual(t, "com.example.stopped", werr.URI)
			}
			assert.Equal(t, tc.wantInterrupted, <-slow.seen, "INTERRUPT reached the callee")
		})
	}
}

func TestLocalDeadlineCancels(t *testing.T) {
	r := wamptest.NewRouter(t)
	srv, c := r.Local(t), r.Local(t)
	slow := newSlowCallee(5*time.Second, 0)
	raw(t, srv, "com.example.slow", slow.handle, client.RegisterOptions{})
	dctx, cancel := context.WithTimeout(wamptest.Context(t), 100*time.Millisecond)
	defer cancel()
	_, err := caller.Call[string](dctx, c, "com.example.slow", nil)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.ErrorIs(t, err, client.ErrCanceled)
	assert.True(t, <-slow.seen, "the default mode (killnowait) interrupts the callee")
}

// TestCancelWithProgressBuffered: ending ctx ends the call at the next step
// of the loop, not after every buffered progress result.
func TestCancelWithProgressBuffered(t *testing.T) {
	r := wamptest.NewRouter(t)
	srv, c := r.Local(t), r.Local(t)
	ctx := wamptest.Context(t)
	stopped := make(chan struct{}, 1)
	raw(t, srv, "com.example.flood", func(ctx context.Context, inv *client.Invocation) (client.Payload, error) {
		for i := range 20000 {
			if err := inv.Progress(client.Payload{Args: []any{i}}); err != nil {
				break
			}
		}
		<-ctx.Done()
		stopped <- struct{}{}
		return client.Payload{}, ctx.Err()
	}, client.RegisterOptions{})
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	res := caller.Progressive[int, string](cctx, c, "com.example.flood", nil)
	seen := 0
	var last error
	for _, err := range res.Progress() {
		if err != nil {
			last = err
			break
		}
		seen++
		time.Sleep(50 * time.Millisecond) // let results pile up
		cancel()
	}
	assert.Equal(t, 1, seen)
	assert.ErrorIs(t, last, context.Canceled)
	assert.ErrorIs(t, last, client.ErrCanceled)
	_, err := res.Result()
	assert.ErrorIs(t, err, context.Canceled)
	select {
	case <-stopped:
	case <-time.After(3 * time.Second):
		t.Fatal("the callee was not interrupted")
	}
}
