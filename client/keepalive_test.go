package client_test

import (
	"context"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest/hostile"
)

// A router that stops answering (no messages, no pongs, the TCP connection
// up) is noticed by keepalive within two intervals, over websocket and
// rawsocket alike, and the client rejoins; a router that answers pings keeps
// an idle link.
func TestKeepAliveDetectsStalledRouter(t *testing.T) {
	const interval = 300 * time.Millisecond
	for _, tr := range []struct {
		name string
		url  func(*hostile.Router) string
	}{{"websocket", (*hostile.Router).URL}, {"rawsocket", (*hostile.Router).RawSocketURL}} {
		t.Run(tr.name, func(t *testing.T) {
			stalled := make(chan time.Time, 1)
			r := hostile.New(t, func(c *hostile.Conn) {
				c.Welcome(nil)
				if c.N == 0 {
					stalled <- time.Now()
					c.Stall()
					return
				}
				c.Serve(nil)
			})
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			c, err := client.Connect(ctx, tr.url(r), client.WithKeepAlive(interval),
				client.WithReconnect(func() backoff.BackOff { return backoff.NewConstantBackOff(10 * time.Millisecond) }))
			require.NoError(t, err)
			defer closeClient(t, c)
			begin := <-stalled
			require.NoError(t, c.WaitState(ctx, client.Reconnecting))
			took := time.Since(begin)
			t.Logf("stall detected after %v (%.1f intervals)", took, float64(took)/float64(interval))
			// Two intervals, with slack for a loaded machine.
			assert.Less(t, took, 2*interval+500*time.Millisecond)
			require.NoError(t, c.WaitState(ctx, client.Connected))

			// The second connection answers pings: idle for four
			// intervals, it stays.
			time.Sleep(4 * interval)
			assert.Equal(t, client.Connected, c.State())
			assert.Equal(t, 2, r.Accepted(), "an answering router keeps its link")
		})
	}
}
