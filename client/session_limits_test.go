package client

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/wamp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// inbox reads everything the client sends on a goroutine (the link queues
// only localSendQueue messages towards the router: a flood test cannot read
// and send on one goroutine).
func inbox(f *fakeRouter) <-chan wamp.Message {
	ch := make(chan wamp.Message, 100000)
	go func() {
		for m := range f.peer.Recv() {
			if _, ok := m.(*wamp.Goodbye); ok {
				f.peer.Send() <- &wamp.Goodbye{Reason: wamp.CloseGoodbyeAndOut, Details: wamp.Dict{}}
				f.hangUp()
			}
			ch <- m
		}
		close(ch)
	}()
	return ch
}

func next(t *testing.T, ch <-chan wamp.Message) wamp.Message {
	t.Helper()
	select {
	case m, ok := <-ch:
		if !ok {
			t.Fatal("the client went away")
		}
		return m
	case <-time.After(5 * time.Second):
		t.Fatal("the client sent nothing within 5s")
	}
	return nil
}

func blob(n int) string { return strings.Repeat("x", n) }

// An INVOCATION flood past MaxInvocations starts no handler past the cap:
// each excess invocation is answered wamp.error.unavailable at once, and
// the admitted ones finish normally.
func TestInvocationsPastTheCapAreRefused(t *testing.T) {
	f := joinFake(t, sessionConfig{MaxInvocations: 10})
	started, release := make(chan struct{}, 100), make(chan struct{})
	f.register("com.app.block", 1, func(context.Context, *Invocation) (engineResult, error) {
		started <- struct{}{}
		<-release
		return engineResult{}, nil
	}, nil)
	out := inbox(f)
	for i := range 50 {
		f.send(&wamp.Invocation{Request: wamp.ID(i + 1), Registration: 1, Details: wamp.Dict{}})
	}
	refused := map[wamp.ID]bool{}
	for range 40 {
		e, ok := next(t, out).(*wamp.Error)
		require.True(t, ok, "an excess invocation is answered ERROR")
		assert.Equal(t, wamp.URI(uriUnavailable), e.Error)
		refused[e.Request] = true
	}
	// The admitted handlers start on their own goroutines: wait for ten.
	for i := range 10 {
		select {
		case <-started:
		case <-time.After(5 * time.Second):
			t.Fatalf("%d handlers started within 5s, want 10", i)
		}
	}
	assert.Empty(t, started, "10 handlers run, no more")
	for i := range 10 {
		assert.False(t, refused[wamp.ID(i+1)], "the first ten are admitted")
	}
	close(release)
	for range 10 {
		assert.Equal(t, wamp.YIELD, next(t, out).MessageType())
	}
	// Below the cap again: admitted.
	f.send(&wamp.Invocation{Request: 99, Registration: 1, Details: wamp.Dict{}})
	assert.Equal(t, wamp.YIELD, next(t, out).MessageType())
}

// Invocation arguments count against InputBytes while their handler runs:
// an invocation that would go over is refused; once the first ends, the
// next is admitted. An invocation alone is taken whatever its size.
func TestInvocationInputBudget(t *testing.T) {
	f := joinFake(t, sessionConfig{InputBytes: 10000})
	release := make(chan struct{})
	f.register("com.app.block", 1, func(context.Context, *Invocation) (engineResult, error) {
		<-release
		return engineResult{}, nil
	}, nil)
	out := inbox(f)
	f.send(&wamp.Invocation{Request: 1, Registration: 1, Details: wamp.Dict{}, Arguments: wamp.List{blob(20000)}})
	f.send(&wamp.Invocation{Request: 2, Registration: 1, Details: wamp.Dict{}, Arguments: wamp.List{blob(100)}})
	e, ok := next(t, out).(*wamp.Error)
	require.True(t, ok)
	assert.Equal(t, wamp.ID(2), e.Request)
	assert.Equal(t, wamp.URI(uriUnavailable), e.Error)
	assert.Contains(t, e.Arguments[0], "budget")
	release <- struct{}{}
	assert.Equal(t, wamp.YIELD, next(t, out).MessageType())
	f.send(&wamp.Invocation{Request: 3, Registration: 1, Details: wamp.Dict{}, Arguments: wamp.List{blob(5000)}})
	f.send(&wamp.Invocation{Request: 4, Registration: 1, Details: wamp.Dict{}, Arguments: wamp.List{blob(4000)}})
	close(release)
	for range 2 {
		assert.Equal(t, wamp.YIELD, next(t, out).MessageType(), "both fit the budget")
	}
}

// Streamed input chunks that the handler does not read pile up to the
// budget; past it that invocation alone ends: NextInput reports the
// overflow, the caller gets wampkit.error.input_overflow, the chunks still
// coming are dropped (they start nothing), and another invocation runs on.
func TestStreamedInputOverflowEndsThatInvocation(t *testing.T) {
	f := joinFake(t, sessionConfig{InputBytes: 50000})
	gotErr := make(chan error, 1)
	slow := make(chan struct{})
	f.register("com.app.stream", 1, func(ctx context.Context, inv *Invocation) (engineResult, error) {
		<-slow // does not read while the chunks come
		for {
			_, ok, err := inv.NextInput(ctx)
			if err != nil || !ok {
				gotErr <- err
				return engineResult{Args: wamp.List{"partial"}}, nil // ignored: the caller gets the overflow
			}
		}
	}, nil)
	f.register("com.app.echo", 2, func(_ context.Context, inv *Invocation) (engineResult, error) {
		return engineResult{Args: inv.args}, nil
	}, nil)
	out := inbox(f)
	stream := func(more bool) *wamp.Invocation {
		return &wamp.Invocation{Request: 7, Registration: 1, Details: wamp.Dict{"progress": more}, Arguments: wamp.List{blob(10000)}}
	}
	f.send(stream(true))
	for range 20 { // 200 KB, four times the budget
		f.send(stream(true))
	}
	f.send(&wamp.Invocation{Request: 8, Registration: 2, Details: wamp.Dict{}, Arguments: wamp.List{"other"}})
	y, ok := next(t, out).(*wamp.Yield)
	require.True(t, ok, "the other invocation is answered")
	assert.Equal(t, wamp.ID(8), y.Request)
	close(slow)
	select {
	case err := <-gotErr:
		assert.ErrorIs(t, err, ErrStreamOverflow)
	case <-time.After(5 * time.Second):
		t.Fatal("NextInput did not report the overflow")
	}
	e, ok := next(t, out).(*wamp.Error)
	require.True(t, ok, "the overflowing invocation is answered ERROR")
	assert.Equal(t, wamp.ID(7), e.Request)
	assert.Equal(t, wamp.URI(uriInputOverflow), e.Error)
	// The rest of the stream finds the invocation ended: nothing starts.
	f.send(stream(true))
	f.send(stream(false))
	f.send(&wamp.Invocation{Request: 9, Registration: 2, Details: wamp.Dict{}, Arguments: wamp.List{"after"}})
	y, ok = next(t, out).(*wamp.Yield)
	require.True(t, ok)
	assert.Equal(t, wamp.ID(9), y.Request, "the late chunks started nothing")
}

// A refused streamed invocation's later chunks start nothing either.
func TestRefusedStreamDropsItsChunks(t *testing.T) {
	f := joinFake(t, sessionConfig{MaxInvocations: 1})
	release := make(chan struct{})
	f.register("com.app.block", 1, func(context.Context, *Invocation) (engineResult, error) {
		<-release
		return engineResult{}, nil
	}, nil)
	out := inbox(f)
	f.send(&wamp.Invocation{Request: 1, Registration: 1, Details: wamp.Dict{}})
	f.send(&wamp.Invocation{Request: 2, Registration: 1, Details: wamp.Dict{"progress": true}})
	e := next(t, out).(*wamp.Error)
	assert.Equal(t, wamp.ID(2), e.Request)
	close(release)
	assert.Equal(t, wamp.YIELD, next(t, out).MessageType())
	f.send(&wamp.Invocation{Request: 2, Registration: 1, Details: wamp.Dict{"progress": true}})
	f.send(&wamp.Invocation{Request: 2, Registration: 1, Details: wamp.Dict{}})
	f.send(&wamp.Invocation{Request: 3, Registration: 1, Details: wamp.Dict{}})
	y := next(t, out).(*wamp.Yield)
	assert.Equal(t, wamp.ID(3), y.Request, "chunks of the refused stream started no handler")
}

// Progressive results of a call nobody reads pile up to ResultBytes; past
// it that call fails with ErrSlowConsumer and is canceled, its unread
// results dropped. A call that keeps up meanwhile is not failed.
func TestProgressiveResultBudget(t *testing.T) {
	f := joinFake(t, sessionConfig{ResultBytes: 50000})
	ctx := context.Background()
	slow, slowMsg := f.startCall(ctx, engineCallRequest{Procedure: "com.app.slow", ReceiveProgress: true})
	quick, quickMsg := f.startCall(ctx, engineCallRequest{Procedure: "com.app.quick", ReceiveProgress: true})
	out := inbox(f)
	progress := func(id wamp.ID) *wamp.Result {
		return &wamp.Result{Request: id, Details: wamp.Dict{"progress": true}, Arguments: wamp.List{blob(10000)}}
	}
	for range 10 {
		f.send(progress(slowMsg.Request))
	}
	c, ok := next(t, out).(*wamp.Cancel)
	require.True(t, ok, "the overflowing call is canceled at the router")
	assert.Equal(t, slowMsg.Request, c.Request)
	_, err := slow.Next(ctx)
	assert.ErrorIs(t, err, ErrSlowConsumer, "its unread results are dropped: the error comes first")
	assert.Contains(t, err.Error(), "50000-byte budget")

	// The budget is free again: a call that reads as results come is fine,
	// even past the budget in total.
	for range 20 {
		f.send(progress(quickMsg.Request))
		r, err := quick.Next(ctx)
		require.NoError(t, err)
		assert.True(t, r.Progress)
	}
	f.send(&wamp.Result{Request: quickMsg.Request, Details: wamp.Dict{}, Arguments: wamp.List{"done"}})
	r, err := quick.Next(ctx)
	require.NoError(t, err)
	assert.Equal(t, []any{"done"}, r.Args)
	select {
	case m := <-out:
		t.Fatalf("unexpected %v", m.MessageType())
	default:
	}
}
