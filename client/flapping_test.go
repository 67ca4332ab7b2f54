package client_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/gammazero/nexus/v3/wamp"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest"
)

// A router that welcomes every session and ends it at once is not joined
// again and again without a wait: the losses make one outage, under one
// backoff policy, whose retry limit ends it.
func TestAFlappingRouterIsBackedOffAndTheRetryLimitHolds(t *testing.T) {
	var joins atomic.Int64
	s := newScripted(t, func(r *routerSide) {
		joins.Add(1)
		r.welcome()
		r.send(&wamp.Goodbye{Reason: wamp.CloseSystemShutdown, Details: wamp.Dict{}})
		for range r.peer.Recv() {
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := wamptest.ConnectLocal(ctx, s, client.WithReconnect(func() backoff.BackOff {
		return backoff.WithMaxRetries(backoff.NewConstantBackOff(50*time.Millisecond), 3)
	}))
	require.NoError(t, err)
	defer closeSoon(t, c)
	wctx, wcancel := context.WithTimeout(ctx, 3*time.Second)
	defer wcancel()
	require.NoError(t, c.WaitState(wctx, client.Closed), "still reconnecting after %d joins", joins.Load())
	require.ErrorIs(t, c.Err(), client.ErrReconnectFailed)
	// The first join, one at once after the first loss, and the three
	// retries the policy allows; the error counts the outage's joins.
	require.LessOrEqual(t, joins.Load(), int64(5))
	var re *client.ReconnectError
	require.ErrorAs(t, c.Err(), &re)
	require.Equal(t, int(joins.Load())-1, re.Attempts, "every join after the first is an attempt of the one outage")
}
