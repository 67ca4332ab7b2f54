package reliability_test

import (
	"context"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest/hostile"
)

// A router that stops answering (no messages, no pongs) while the TCP
// connection stays up. With keepalive pings every 200 ms the client drops
// the link after its pings go unanswered and rejoins (the hostile router's
// second connection behaves).
func TestStallDetection(t *testing.T) {
	const interval = 200 * time.Millisecond
	for _, tr := range []struct {
		name string
		url  func(*hostile.Router) string
		// asserted: the transport's keepalive is implemented (both are:
		// websocket pings, rawsocket PING frames).
		asserted bool
	}{
		{"websocket", (*hostile.Router).URL, true},
		{"rawsocket", (*hostile.Router).RawSocketURL, true},
	} {
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
			lost := make(chan time.Time, 1) // the state callback's: the client may rejoin within a millisecond
			c := connect(t, tr.url(r), client.WithKeepAlive(interval), client.WithReconnect(func() backoff.BackOff {
				return backoff.NewConstantBackOff(10 * time.Millisecond)
			}), client.WithStateCallback(func(s client.State) {
				if s == client.Reconnecting {
					select {
					case lost <- time.Now():
					default:
					}
				}
			}))
			begin := <-stalled
			limit := 10 * time.Second
			if !tr.asserted {
				limit = 3 * time.Second
			}
			var took time.Duration
			select {
			case at := <-lost:
				took = at.Sub(begin)
			case <-time.After(limit):
				if tr.asserted {
					t.Fatalf("a stall of %s was not detected", limit)
				}
				figure(t, "keepalive %s: stall not detected within %s", interval, limit)
				return
			}
			require.True(t, waitState(c, client.Connected, 10*time.Second), "the client rejoins")
			require.Equal(t, 2, r.Accepted(), "on a new connection")
			figure(t, "keepalive %s: stall detected after %s (%.1f intervals); rejoined after %s",
				interval, took.Round(time.Millisecond), float64(took)/float64(interval), time.Since(begin).Round(time.Millisecond))
		})
	}
}

// waitState waits up to d for c to be in state s, or to have entered it
// since the call (a fast rejoin may leave Reconnecting before a poll sees
// it).
func waitState(c *client.Client, s client.State, d time.Duration) bool {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return c.WaitState(ctx, s) == nil
}
