package client_test

import (
	"context"
	"testing"

	"github.com/gammazero/nexus/v3/wamp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest/hostile"
)

// A call that crossed router-to-router links (Crossbar's rlinks) arrives
// with Details.forward_for; the handler reads the chain as hops.
func TestInvocationForwardFor(t *testing.T) {
	yields := make(chan *wamp.Yield, 2)
	r := hostile.New(t, func(c *hostile.Conn) {
		c.Welcome(nil)
		reg := c.Expect(wamp.REGISTER).(*wamp.Register)
		c.Send(&wamp.Registered{Request: reg.Request, Registration: 7})
		c.Send(&wamp.Invocation{Request: 1, Registration: 7, Details: wamp.Dict{
			"forward_for": wamp.List{
				wamp.Dict{"session": 123, "authid": "node-a", "authrole": "rlink"},
				"not a hop",
				wamp.Dict{"session": uint64(1) << 53, "authid": "node-b", "authrole": "rlink"},
			},
		}})
		yields <- c.Expect(wamp.YIELD).(*wamp.Yield)
		c.Send(&wamp.Invocation{Request: 2, Registration: 7, Details: wamp.Dict{}})
		yields <- c.Expect(wamp.YIELD).(*wamp.Yield)
		c.Serve(nil)
	})
	cl := dial(t, r.URL())
	_, err := cl.Register(ctxT(t), "test.forwarded", func(_ context.Context, inv *client.Invocation) (client.Payload, error) {
		var got []any
		for _, h := range inv.ForwardFor() {
			got = append(got, uint64(h.Session), h.AuthID, h.AuthRole)
		}
		return client.Payload{Args: []any{len(inv.ForwardFor()), got}}, nil
	}, client.RegisterOptions{})
	require.NoError(t, err)
	for _, want := range []wamp.List{
		{2, []any{123, "node-a", "rlink", uint64(1) << 53, "node-b", "rlink"}},
		{0, nil},
	} {
		select {
		case y := <-yields:
			assert.Equal(t, len(want), len(y.Arguments))
			assert.EqualValues(t, want[0], y.Arguments[0])
			if want[1] != nil {
				got, _ := y.Arguments[1].([]any)
				require.Len(t, got, 6)
				assert.EqualValues(t, 123, got[0])
				assert.Equal(t, "node-a", got[1])
				assert.EqualValues(t, uint64(1)<<53, got[3])
				assert.Equal(t, "node-b", got[4])
			}
		case <-ctxT(t).Done():
			t.Fatal("no YIELD")
		}
	}
}
