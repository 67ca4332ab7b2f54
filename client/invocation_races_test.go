package client

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/wamp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Streamed invocations whose handlers answer without reading their input,
// while the input chunks keep coming: a chunk that arrives as the handler
// returns must not stay charged to the session's input budget, or a
// long-running callee drifts into refusing every invocation.
func TestStreamChunksRacingTheHandlersReturnAreNotChargedForGood(t *testing.T) {
	f := joinFake(t, sessionConfig{})
	f.register("com.app.early", 1, func(context.Context, *Invocation) (engineResult, error) {
		return engineResult{}, nil // answers at once, its input unread
	}, nil)
	out := inbox(f)
	const n = 3000
	sent := make(chan struct{})
	go func() {
		defer close(sent) // the test ends (and hangs up) only after the last send
		for i := 1; i <= n; i++ {
			id := wamp.ID(i)
			f.send(&wamp.Invocation{Request: id, Registration: 1, Details: wamp.Dict{"progress": true}, Arguments: wamp.List{"first"}})
			for range 3 {
				f.send(&wamp.Invocation{Request: id, Registration: 1, Details: wamp.Dict{"progress": true}, Arguments: wamp.List{blob(1000)}})
			}
			f.send(&wamp.Invocation{Request: id, Registration: 1, Details: wamp.Dict{}, Arguments: wamp.List{blob(1000)}})
		}
	}()
	for range n {
		require.Equal(t, wamp.YIELD, next(t, out).MessageType())
	}
	<-sent
	// The last chunks may still be on their way to the read loop.
	require.Eventually(t, func() bool {
		f.sess.mu.Lock()
		defer f.sess.mu.Unlock()
		return len(f.sess.invs) == 0 && f.sess.inputBytes.Load() == 0
	}, 5*time.Second, 10*time.Millisecond, "input bytes still charged with no invocation running: %d", f.sess.inputBytes.Load())
	assert.Zero(t, len(out), "nothing but the answers was sent")
}

// A handler's goroutine that sends progressive results while the handler
// returns: none of them follows the final YIELD on the wire, and each one
// sent reports success only if it went out before it.
func TestNoProgressiveYieldFollowsTheFinalOne(t *testing.T) {
	f := joinFake(t, sessionConfig{})
	var refused atomic.Int32
	big := make(wamp.List, 2000) // a walk long enough to lose the race
	for i := range big {
		big[i] = "xxxxxxxxxxxxxxxxxxxx"
	}
	f.register("com.app.prog", 1, func(ctx context.Context, inv *Invocation) (engineResult, error) {
		first := make(chan struct{})
		go func() {
			for i := 0; ; i++ {
				if inv.Progress(Payload{Args: big}) != nil {
					refused.Add(1)
					return
				}
				if i == 0 {
					close(first)
				}
			}
		}()
		<-first
		return engineResult{Args: wamp.List{"done"}}, nil
	}, nil)
	out := inbox(f)
	const n = 200
	go func() {
		for i := 1; i <= n; i++ {
			f.send(&wamp.Invocation{Request: wamp.ID(i), Registration: 1, Details: wamp.Dict{"receive_progress": true}})
		}
	}()
	final := map[wamp.ID]bool{}
	late := 0
	check := func(m wamp.Message) {
		y, ok := m.(*wamp.Yield)
		require.True(t, ok, "%v", m)
		if p, _ := y.Options["progress"].(bool); !p {
			final[y.Request] = true
		} else if final[y.Request] {
			late++
		}
	}
	for len(final) < n {
		check(next(t, out))
	}
	require.Eventually(t, func() bool { return refused.Load() == n }, 5*time.Second, 10*time.Millisecond,
		"every progress loop ends with ErrInvocationDone")
	for len(out) > 0 {
		check(<-out)
	}
	assert.Zero(t, late, "progressive YIELDs sent after the final YIELD of their request")
}

// A streamed INVOCATION for a registration the session does not have is
// refused once: its later chunks are dropped, not answered again.
func TestStreamForAnUnknownRegistrationIsRefusedOnce(t *testing.T) {
	f := joinFake(t, sessionConfig{})
	out := inbox(f)
	for range 3 {
		f.send(&wamp.Invocation{Request: 5, Registration: 42, Details: wamp.Dict{"progress": true}, Arguments: wamp.List{"x"}})
	}
	f.send(&wamp.Invocation{Request: 5, Registration: 42, Details: wamp.Dict{}, Arguments: wamp.List{"x"}})
	// A later invocation on the same link shows the read loop is past them.
	f.send(&wamp.Invocation{Request: 6, Registration: 42, Details: wamp.Dict{}, Arguments: wamp.List{"y"}})
	errs := 0
	for {
		e, ok := next(t, out).(*wamp.Error)
		require.True(t, ok)
		if e.Request == 6 {
			break
		}
		assert.Equal(t, wamp.ErrNoSuchRegistration, e.Error)
		errs++
	}
	assert.Equal(t, 1, errs, "ERRORs sent for the streamed request")
	f.sess.mu.Lock()
	defer f.sess.mu.Unlock()
	assert.False(t, f.sess.ended.take(5, true), "the stream's final chunk forgot it")
}
