package metaclient_test

import (
	"context"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/wamp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest"
	"github.com/wampkit/wampkit/metaclient"
)

type waitResult struct {
	id  client.ID
	err error
}

func startWait(ctx context.Context, m *metaclient.Client, uri string) <-chan waitResult {
	done := make(chan waitResult, 1)
	go func() {
		id, err := m.WaitForProcedure(ctx, uri)
		done <- waitResult{id, err}
	}()
	return done
}

// notYet asserts the wait is still waiting after a while.
func notYet(t *testing.T, done <-chan waitResult) {
	t.Helper()
	select {
	case res := <-done:
		t.Fatalf("the wait returned before any callee registered: %+v", res)
	case <-time.After(150 * time.Millisecond):
	}
}

func waited(t *testing.T, done <-chan waitResult) waitResult {
	t.Helper()
	select {
	case res := <-done:
		return res
	case <-time.After(10 * time.Second):
		t.Fatal("the wait did not return")
		return waitResult{}
	}
}

func TestWaitForProcedure(t *testing.T) {
	r := wamptest.NewRouter(t)
	ctx := wamptest.Context(t)
	m := metaclient.New(r.Local(t))
	callee := r.Local(t)

	t.Run("exact", func(t *testing.T) {
		done := startWait(ctx, m, "com.wait.exact")
		notYet(t, done)
		reg := register(t, callee, "com.wait.exact", client.RegisterOptions{})
		res := waited(t, done)
		require.NoError(t, res.err)
		assert.Equal(t, reg.ID(), res.id)
		// Once registered, a wait returns at once.
		id, err := m.WaitForProcedure(ctx, "com.wait.exact")
		require.NoError(t, err)
		assert.Equal(t, reg.ID(), id)
	})

	t.Run("prefix registration satisfies a uri under it", func(t *testing.T) {
		done := startWait(ctx, m, "com.wait.tree.leaf.op")
		notYet(t, done)
		register(t, callee, "com.wait.other", client.RegisterOptions{}) // an unrelated registration does not end the wait
		notYet(t, done)
		reg := register(t, callee, "com.wait.tree.", client.RegisterOptions{Match: client.MatchPrefix})
		res := waited(t, done)
		require.NoError(t, res.err)
		assert.Equal(t, reg.ID(), res.id)
	})

	t.Run("wildcard", func(t *testing.T) {
		done := startWait(ctx, m, "com.wait.wild.x.run")
		notYet(t, done)
		reg := register(t, callee, "com.wait.wild..run", client.RegisterOptions{Match: client.MatchWildcard})
		res := waited(t, done)
		require.NoError(t, res.err)
		assert.Equal(t, reg.ID(), res.id)
	})

	t.Run("ctx end returns promptly", func(t *testing.T) {
		wctx, cancel := context.WithCancel(ctx)
		done := startWait(wctx, m, "com.wait.never")
		notYet(t, done)
		start := time.Now()
		cancel()
		res := waited(t, done)
		assert.Less(t, time.Since(start), 2*time.Second)
		assert.ErrorIs(t, res.err, context.Canceled)
		assert.ErrorContains(t, res.err, "metaclient: wait for com.wait.never")

		dctx, cancel2 := context.WithTimeout(ctx, 200*time.Millisecond)
		defer cancel2()
		_, err := m.WaitForProcedure(dctx, "com.wait.never")
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	})
}

// A router without wamp.registration.match: the wait asks lookup for an
// exact registration instead.
func TestWaitForProcedureWithoutMatch(t *testing.T) {
	m := connectScripted(t, scripted{metaclient.ProcLookup: result(uint64(42))})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	id, err := m.WaitForProcedure(ctx, "com.x")
	require.NoError(t, err)
	assert.Equal(t, client.ID(42), id)

	// A router error other than a missing match ends the wait with it.
	m = connectScripted(t, scripted{metaclient.ProcMatch: &wamp.Error{Type: wamp.CALL, Details: wamp.Dict{}, Error: "wamp.error.not_authorized"}})
	_, err = m.WaitForProcedure(ctx, "com.x")
	assert.ErrorIs(t, err, client.ErrNotAuthorized)
}
