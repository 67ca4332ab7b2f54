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
	attach := welcomeOnce(func(p wamp.Peer) {
		<-p.Recv() // takes the first CALL, then reads nothing more
		close(taken)
		<-hangUp
		p.Close() // the router ends the session
	})
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

// welcomeOnce attaches one in-process session: it welcomes the client's
// HELLO (with call canceling), then hands the router's end of the link to
// serve on its own goroutine. A second attach, the client reconnecting, is
// refused.
func welcomeOnce(serve func(p wamp.Peer)) func(wamp.Peer) error {
	var attached atomic.Bool
	return func(p wamp.Peer) error {
		if attached.Swap(true) {
			p.Close()
			return errors.New("refused")
		}
		if _, ok := (<-p.Recv()).(*wamp.Hello); !ok {
			p.Close()
			return errors.New("no HELLO")
		}
		p.Send() <- &wamp.Welcome{ID: 1, Details: wamp.Dict{"roles": fakeRoles(true)}}
		go serve(p)
		return nil
	}
}

// stalledRouter attaches an in-process session that is welcomed and then
// read no more until resume closes; script, when set, runs first with the
// router's end of the link. Then it reads until the client's GOODBYE,
// answers it, and closes.
func stalledRouter(resume <-chan struct{}, script func(p wamp.Peer)) func(wamp.Peer) error {
	return welcomeOnce(func(p wamp.Peer) {
		if script != nil {
			script(p)
		}
		<-resume
		for msg := range p.Recv() {
			if _, ok := msg.(*wamp.Goodbye); ok {
				p.Send() <- &wamp.Goodbye{Reason: wamp.CloseGoodbyeAndOut, Details: wamp.Dict{}}
				break
			}
		}
		p.Close()
	})
}

// fillLinkQueue publishes until the in-process link's queue to the router
// holds n messages.
func fillLinkQueue(t *testing.T, ctx context.Context, c *Client, n int) {
	t.Helper()
	for i := range n {
		_, err := c.Publish(ctx, "com.example.fill", Payload{Args: []any{i}}, PublishOptions{})
		require.NoError(t, err, "publication %d, with room in the queue", i)
	}
	require.Len(t, c.linkQueue(), n)
}

// TestRouterGoodbyeEndsTheSessionThoughItReadsNoMore: a router that says
// GOODBYE and then reads nothing more, with the client's queue to it full,
// still ends the session: the client's acknowledgement waits for room a
// bounded time, and Done closes.
func TestRouterGoodbyeEndsTheSessionThoughItReadsNoMore(t *testing.T) {
	resume, sayGoodbye := make(chan struct{}), make(chan struct{})
	attach := stalledRouter(resume, func(p wamp.Peer) {
		<-sayGoodbye
		p.Send() <- &wamp.Goodbye{Reason: wamp.CloseSystemShutdown, Details: wamp.Dict{}}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := connectLocal(ctx, attach, WithoutReconnect())
	require.NoError(t, err)
	var resumeOnce sync.Once
	t.Cleanup(func() {
		resumeOnce.Do(func() { close(resume) })
		_ = c.Close(ctx)
	})

	fillLinkQueue(t, ctx, c, localSendQueue)
	close(sayGoodbye)
	select {
	case <-c.Done():
	case <-time.After(abortSendWait + 3*time.Second):
		t.Fatal("the session never ended after the router's GOODBYE")
	}
	assert.ErrorIs(t, c.Err(), ErrConnectionLost)
	resumeOnce.Do(func() { close(resume) })
}

// TestCancelDoesNotWaitForAFullQueue: a call whose ctx ends while the queue
// to the router is full returns its ctx's error soon after, though the
// CANCEL finds no room; nothing waits for the router to read again.
func TestCancelDoesNotWaitForAFullQueue(t *testing.T) {
	resume := make(chan struct{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := connectLocal(ctx, stalledRouter(resume, nil))
	require.NoError(t, err)
	var resumeOnce sync.Once
	t.Cleanup(func() {
		resumeOnce.Do(func() { close(resume) })
		_ = c.Close(ctx)
	})

	fillLinkQueue(t, ctx, c, localSendQueue-1)
	callCtx, callCancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer callCancel()
	errc := make(chan error, 1)
	go func() {
		_, err := c.Call(callCtx, CallRequest{Procedure: "com.example.slow"}, nil)
		errc <- err
	}()
	select {
	case err = <-errc:
	case <-time.After(100*time.Millisecond + cancelSendWait + 2*time.Second):
		t.Fatal("the call waits for the router to read its CANCEL")
	}
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Len(t, c.linkQueue(), localSendQueue, "the CALL was queued; the CANCEL found no room")
}

// TestCallsInFlightWhenTheClientClosesMayHaveRun: Close ends the session
// with ErrClosed, but a call the router had when it did may have run: its
// error is not SafeToRetry.
func TestCallsInFlightWhenTheClientClosesMayHaveRun(t *testing.T) {
	taken := make(chan struct{})
	attach := stalledRouter(taken, func(p wamp.Peer) {
		<-p.Recv() // the CALL, never answered
		close(taken)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := connectLocal(ctx, attach)
	require.NoError(t, err)

	errc := make(chan error, 1)
	go func() {
		_, err := c.Call(ctx, CallRequest{Procedure: "com.example.slow"}, nil)
		errc <- err
	}()
	select {
	case <-taken:
	case <-ctx.Done():
		t.Fatal("the router never got the CALL")
	}
	require.NoError(t, c.Close(ctx))
	err = <-errc
	require.Error(t, err)
	assert.False(t, SafeToRetry(err), "the router had the call: it may have run (%v)", err)
	var oe *OpError
	require.ErrorAs(t, err, &oe)
	assert.True(t, oe.Sent)
}
