package client

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/wamp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestInProcessSendsQueueUpToTheBoundThenWait: over the in-process link a
// send returns once the message is queued for the router, without waiting
// for the router's goroutine to take it. A router that stops reading gets
// localSendQueue messages queued; the next send waits for room until its
// ctx ends and sends nothing. When the router reads again it gets exactly
// the queued messages, in order, then the client's GOODBYE.
func TestInProcessSendsQueueUpToTheBoundThenWait(t *testing.T) {
	const bound = 64 // RELIABILITY.md's "messages an in-process session queued for the router"
	require.Equal(t, bound, localSendQueue, "update RELIABILITY.md with the bound")
	resume := make(chan struct{})
	got := make(chan []int, 1)
	attach := func(p wamp.Peer) error {
		if _, ok := (<-p.Recv()).(*wamp.Hello); !ok {
			p.Close()
			return errors.New("no HELLO")
		}
		p.Send() <- &wamp.Welcome{ID: 1, Details: wamp.Dict{"roles": fakeRoles(true)}}
		go func() { // the router's reader, stopped until resume
			defer p.Close()
			<-resume
			var seqs []int
			for msg := range p.Recv() {
				switch m := msg.(type) {
				case *wamp.Publish:
					n, _ := wamp.AsInt64(m.Arguments[0])
					seqs = append(seqs, int(n))
				case *wamp.Goodbye:
					got <- seqs
					p.Send() <- &wamp.Goodbye{Reason: wamp.CloseGoodbyeAndOut, Details: wamp.Dict{}}
					return
				}
			}
			got <- seqs
		}()
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := connectLocal(ctx, attach)
	require.NoError(t, err)
	resumed := false
	t.Cleanup(func() { // after a failure: let the router read, and leave
		if !resumed {
			close(resume)
			_ = c.Close(ctx)
		}
	})

	for i := range bound {
		_, err := c.Publish(ctx, "com.example.seq", Payload{Args: []any{i}}, PublishOptions{})
		require.NoError(t, err, "publication %d, with room in the queue", i)
	}
	full, cancelFull := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancelFull()
	_, err = c.Publish(full, "com.example.seq", Payload{Args: []any{bound}}, PublishOptions{})
	assert.ErrorIs(t, err, context.DeadlineExceeded, "a publication past the bound waits for room until its ctx ends")

	resumed = true
	close(resume)
	require.NoError(t, c.Close(ctx))
	want := make([]int, bound)
	for i := range want {
		want[i] = i
	}
	select {
	case seqs := <-got:
		assert.Equal(t, want, seqs, "the router gets the queued publications in order, and not the one that timed out")
	case <-ctx.Done():
		t.Fatal("the router never saw the client leave")
	}
}

// TestInProcessCallsTheRouterNeverTookAreSafeToRetry: when the router ends
// an in-process session, the calls whose CALL was still queued for it fail
// as never sent (SafeToRetry, ErrConnectionLost), while a call the router
// had taken fails as one that may have run.
func TestInProcessCallsTheRouterNeverTookAreSafeToRetry(t *testing.T) {
	hangUp := make(chan struct{})
	taken := make(chan struct{})
	var attached atomic.Bool
	attach := func(p wamp.Peer) error {
		if attached.Swap(true) { // the client reconnecting: refused
			p.Close()
			return errors.New("refused")
		}
		if _, ok := (<-p.Recv()).(*wamp.Hello); !ok {
			p.Close()
			return errors.New("no HELLO")
		}
		p.Send() <- &wamp.Welcome{ID: 1, Details: wamp.Dict{"roles": fakeRoles(true)}}
		go func() {
			<-p.Recv() // takes the first CALL, then reads nothing more
			close(taken)
			<-hangUp
			p.Close() // the router ends the session
		}()
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := connectLocal(ctx, attach)
	require.NoError(t, err)
	t.Cleanup(func() {
		cctx, ccancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer ccancel()
		_ = c.Close(cctx)
	})
	var hangUpOnce sync.Once
	t.Cleanup(func() { hangUpOnce.Do(func() { close(hangUp) }) }) // first, after a failure too

	const calls = 4
	errs := make(chan error, calls)
	call := func() {
		_, err := c.Call(ctx, CallRequest{Procedure: "com.example.slow"}, nil)
		errs <- err
	}
	go call()
	select {
	case <-taken:
	case <-ctx.Done():
		t.Fatal("the router never got the first CALL")
	}
	for range calls - 1 {
		go call()
	}
	queued := func() bool { return len(c.linkQueue()) == calls-1 }
	for !queued() && ctx.Err() == nil {
		time.Sleep(time.Millisecond)
	}
	require.True(t, queued(), "the later CALLs wait in the link's queue")
	hangUpOnce.Do(func() { close(hangUp) })

	var safe, mayHaveRun int
	for range calls {
		err := <-errs
		require.ErrorIs(t, err, ErrConnectionLost)
		if SafeToRetry(err) {
			safe++
		} else {
			mayHaveRun++
		}
	}
	assert.Equal(t, calls-1, safe, "calls the router never took are safe to retry")
	assert.Equal(t, 1, mayHaveRun, "the call the router took may have run")
}

// linkQueue is the queue towards the router of c's in-process session.
func (c *Client) linkQueue() chan wamp.Message {
	c.mu.Lock()
	s := c.sess
	c.mu.Unlock()
	if s == nil {
		return nil
	}
	if l, ok := s.peer.(localLink); ok {
		return l.wr
	}
	return nil
}
