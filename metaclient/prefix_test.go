package metaclient_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/wamp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/metaclient"
)

// assertPrefixedOnce checks that err's text starts with the package's
// prefix and carries it once, however deeply the package wrapped its own
// errors.
func assertPrefixedOnce(t *testing.T, err error, what string) {
	t.Helper()
	if !assert.Error(t, err, what) {
		return
	}
	assert.True(t, strings.HasPrefix(err.Error(), "metaclient: "), "%s: %s", what, err)
	assert.Equal(t, 1, strings.Count(err.Error(), "metaclient:"), "%s: %s", what, err)
}

// Errors of WaitForProcedure and Watch name what failed with the prefix
// once, whichever meta procedure failed under them.
func TestReturnedErrorsCarryThePrefixOnce(t *testing.T) {
	denied := &wamp.Error{Type: wamp.CALL, Details: wamp.Dict{}, Error: wamp.ErrNotAuthorized}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	m := connectScripted(t, scripted{metaclient.ProcMatch: denied})
	_, err := m.WaitForProcedure(ctx, "com.x")
	assert.ErrorIs(t, err, client.ErrNotAuthorized)
	assertPrefixedOnce(t, err, "WaitForProcedure, match refused")

	m = connectScripted(t, scripted{}) // neither match nor lookup
	_, err = m.WaitForProcedure(ctx, "com.x")
	assert.ErrorIs(t, err, metaclient.ErrNotSupported)
	assertPrefixedOnce(t, err, "WaitForProcedure, no lookup")

	list5 := result(map[string]any{"exact": []any{uint64(5)}})
	for name, answers := range map[string]map[wamp.URI]wamp.Message{
		"list refused":         {metaclient.ProcList: denied},
		"get refused":          {metaclient.ProcList: list5, metaclient.ProcGet: denied},
		"list_callees refused": {metaclient.ProcList: list5, metaclient.ProcGet: result(registration5()), metaclient.ProcListCallees: denied},
		"get malformed":        {metaclient.ProcList: list5, metaclient.ProcGet: result("not a dictionary")},
	} {
		t.Run(name, func(t *testing.T) {
			s := &stepRouter{answer: func(m *wamp.Call, _ func(wamp.Message)) wamp.Message {
				if a, ok := answers[m.Procedure]; ok {
					return a
				}
				return callError(wamp.ErrNoSuchProcedure)
			}}
			_, err := metaclient.New(connectStep(t, s)).Watch(ctx)
			require.Error(t, err)
			assert.NotContains(t, err.Error(), "subscribe", "the meta procedure fails, not the subscription")
			assertPrefixedOnce(t, err, "Watch")
		})
	}
}

// The errors a registry reports while it repairs and rebuilds itself carry
// the prefix once too.
func TestReportedRegistryErrorsCarryThePrefixOnce(t *testing.T) {
	var created5 atomic.Bool
	var gets atomic.Int32
	s := &stepRouter{events: make(chan wamp.Message, 4)}
	s.answer = func(m *wamp.Call, _ func(wamp.Message)) wamp.Message {
		exists := created5.Load()
		switch m.Procedure {
		case metaclient.ProcList:
			ids := []any{}
			if exists {
				ids = append(ids, uint64(5))
			}
			return result(map[string]any{"exact": ids})
		case metaclient.ProcGet:
			if n := gets.Add(1); n <= 2 { // the repair's and the first rebuild's
				return callError("wamp.error.runtime_error")
			}
			return result(registration5())
		case metaclient.ProcListCallees:
			return result([]any{uint64(77)})
		}
		return callError(wamp.ErrNoSuchProcedure)
	}
	reported := make(chan error, 16)
	c := connectStep(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	reg, err := metaclient.New(c, metaclient.WithErrorHandler(func(err error) { reported <- err })).Watch(ctx)
	require.NoError(t, err)
	defer func() { assert.NoError(t, reg.Close(ctx)) }()
	require.Equal(t, metaclient.Resynced, nextChange(t, reg, "initial sync").Kind)

	// An on_register before its on_create: the repair's get fails, then
	// the rebuild's, then the next rebuild succeeds.
	created5.Store(true)
	s.events <- lifecycleEvent(1, metaclient.TopicOnRegister, uint64(77), uint64(5))
	seen := map[string]bool{}
	for !seen["repair"] || !seen["resync"] {
		select {
		case err := <-reported:
			assertPrefixedOnce(t, err, "reported")
			switch {
			case strings.HasPrefix(err.Error(), "metaclient: registry repair: "):
				seen["repair"] = true
			case strings.HasPrefix(err.Error(), "metaclient: registry resync: "):
				seen["resync"] = true
			}
		case <-ctx.Done():
			t.Fatalf("reported only %v", seen)
		}
	}
	for {
		if c := nextChange(t, reg, "end of the rebuild"); c.Kind == metaclient.Resynced {
			break
		}
	}
	assert.NoError(t, reg.Err())
}
