package client

import (
	"context"
	"errors"
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
