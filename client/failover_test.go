package client_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/client"
	kit "github.com/wampkit/wampkit/client/wamptest"
	"github.com/wampkit/wampkit/internal/wamptest"
)

// changeLog records what WithStateListener reports.
type changeLog struct {
	mu      sync.Mutex
	changes []client.StateChange
	added   chan struct{} // closed and replaced on every add
}

func (l *changeLog) add(c client.StateChange) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.changes = append(l.changes, c)
	if l.added != nil {
		close(l.added)
	}
	l.added = make(chan struct{})
}

// waitFor waits until the listener has been called with want (each call
// wakes it: no polling), failing the test after 10s.
func (l *changeLog) waitFor(t testing.TB, want client.StateChange) {
	t.Helper()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for {
		l.mu.Lock()
		if l.added == nil {
			l.added = make(chan struct{})
		}
		seen, ch := slices.Contains(l.changes, want), l.added
		l.mu.Unlock()
		if seen {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("the listener was not called with %+v: %+v", want, l.get())
		}
	}
}
func (l *changeLog) get() []client.StateChange {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.changes)
}

// A callee with WithFailover whose router stops moves to the next router;
// its registration and subscription handles stay valid and work there, and
// URL and the state listener name the router in use.
func TestFailoverMovesToNextRouter(t *testing.T) {
	leakCheck(t)
	r1, r2 := kit.NewRouter(t), kit.NewRouter(t)
	var changes changeLog
	callee := dial(t, r1.URL(), client.WithFailover(r2.URL()),
		client.WithReconnect(wamptest.FastBackoff), client.WithStateListener(changes.add))
	ctx := ctxT(t)
	require.Equal(t, r1.URL(), callee.URL())

	reg, err := callee.Register(ctx, "test.failover", func(context.Context, *client.Invocation) (client.Payload, error) {
		return client.Payload{Args: []any{"served"}}, nil
	}, client.RegisterOptions{})
	require.NoError(t, err)
	events := make(chan string, 16)
	sub, err := callee.Subscribe(ctx, "test.failover.topic", func(e *client.Event) {
		s, _ := e.Args[0].(string)
		events <- s
	}, client.SubscribeOptions{})
	require.NoError(t, err)

	r1.Stop()
	changes.waitFor(t, client.StateChange{State: client.Connected, URL: r2.URL()})
	assert.Equal(t, r2.URL(), callee.URL())

	caller := dial(t, r2.URL())
	res, err := caller.Call(ctx, client.CallRequest{Procedure: "test.failover"}, nil)
	require.NoError(t, err, "the registration answers on the second router")
	assert.Equal(t, []any{"served"}, res.Args)
	assert.NotZero(t, reg.ID())
	select {
	case <-reg.Done():
		t.Fatalf("registration handle ended: %v", reg.Err())
	default:
	}
	_, err = caller.Publish(ctx, "test.failover.topic", client.Payload{Args: []any{"hello"}}, client.PublishOptions{Acknowledge: true})
	require.NoError(t, err)
	select {
	case got := <-events:
		assert.Equal(t, "hello", got)
	case <-ctx.Done():
		t.Fatal("the subscription was not restored on the second router")
	}
	assert.Zero(t, sub.Dropped())

	got := changes.get()
	want := []client.StateChange{
		{State: client.Connected, URL: r1.URL()},
		{State: client.Reconnecting, URL: r1.URL()},
		{State: client.Connected, URL: r2.URL()},
	}
	require.GreaterOrEqual(t, len(got), len(want), "state changes: %v", got)
	assert.Equal(t, want, got[:len(want)])
}

// The first connect with failover routers tries them in order: a dead first
// router does not fail Connect.
func TestFailoverFirstConnectSkipsDeadRouter(t *testing.T) {
	leakCheck(t)
	r1, r2 := kit.NewRouter(t), kit.NewRouter(t)
	r1.Stop()
	c := dial(t, r1.URL(), client.WithFailover(r2.URL()))
	assert.Equal(t, r2.URL(), c.URL())

	_, err := client.Connect(ctxT(t), r1.URL(), client.WithFailover(""))
	require.ErrorIs(t, err, client.ErrInvalidOption)
	_, err = client.Connect(ctxT(t), r1.URL(), client.WithFailover("http://x"))
	require.ErrorIs(t, err, client.ErrInvalidOption)
}

// WithConnectRetry: Connect started while the router is down returns once
// it is up.
func TestConnectRetryWaitsForRouter(t *testing.T) {
	leakCheck(t)
	r := kit.NewRouter(t)
	r.Stop()
	started := make(chan error, 1)
	go func() {
		time.Sleep(300 * time.Millisecond)
		started <- r.Start()
	}()
	ctx := ctxT(t)
	begin := time.Now()
	c, err := client.Connect(ctx, r.URL(), client.WithConnectRetry(), client.WithReconnect(wamptest.FastBackoff))
	require.NoError(t, <-started)
	require.NoError(t, err)
	t.Cleanup(func() { closeClient(t, c) })
	assert.GreaterOrEqual(t, time.Since(begin), 300*time.Millisecond)
	assert.Equal(t, client.Connected, c.State())
	assert.NotZero(t, c.ID())

	// Without the option, behaviour is unchanged: a stopped router fails
	// Connect at once.
	r.Stop()
	_, err = client.Connect(ctx, r.URL())
	require.Error(t, err)
	require.NoError(t, ctx.Err())
}

// WithConnectRetry with no router: Connect returns when ctx ends, with an
// error wrapping ctx's and naming the last attempt's.
func TestConnectRetryEndsWithContext(t *testing.T) {
	leakCheck(t)
	r1, r2 := kit.NewRouter(t), kit.NewRouter(t)
	r1.Stop()
	r2.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	c, err := client.Connect(ctx, r1.URL(), client.WithConnectRetry(), client.WithFailover(r2.URL()),
		client.WithReconnect(wamptest.FastBackoff))
	require.Nil(t, c)
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.DeadlineExceeded), "%v", err)
	assert.Contains(t, err.Error(), "client: connect: no router answered")
	// The last round may have been cut short by ctx during either router's
	// attempt; its errors name the router each came from.
	assert.True(t, strings.Contains(err.Error(), r1.URL()) || strings.Contains(err.Error(), r2.URL()), "%v", err)
}
