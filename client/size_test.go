package client_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/wamp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest"
	"github.com/wampkit/wampkit/internal/wamptest/hostile"
)

// echoCalls answers every CALL with its arguments.
func echoCalls(c *hostile.Conn, m wamp.Message) bool {
	if call, ok := m.(*wamp.Call); ok {
		c.Send(&wamp.Result{Request: call.Request, Details: wamp.Dict{}, Arguments: call.Arguments})
		return true
	}
	return false
}

// A message over the limit fails its call alone, before anything is sent:
// over rawsocket the limit the router announced (here 2^(9+4) = 8 KiB),
// over websocket 16 MiB. The session and other calls go on.
func TestOversizedCallFailsAlone(t *testing.T) {
	r := hostile.New(t, func(c *hostile.Conn) {
		c.Welcome(nil)
		c.Serve(echoCalls)
	}, hostile.WithRawHandshake(func(hello [4]byte) []byte {
		return []byte{0x7f, 0x40 | hello[1]&0x0f, 0, 0} // we take 8 KiB
	}))
	for _, tc := range []struct {
		url        string
		size, fits int
	}{{r.RawSocketURL(), 9 << 10, 7 << 10}, {r.URL(), 17 << 20, 0}} {
		t.Run(tc.url[:3], func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, err := client.Connect(ctx, tc.url, client.WithoutReconnect())
			require.NoError(t, err)
			defer closeClient(t, c)
			small := c.StartCall // a call in flight across the failure
			pending, err := small(ctx, client.CallRequest{Procedure: "com.echo", Payload: client.Payload{Args: []any{"before"}}})
			require.NoError(t, err)

			_, err = c.Call(ctx, client.CallRequest{Procedure: "com.echo",
				Payload: client.Payload{Args: []any{strings.Repeat("x", tc.size)}}}, nil)
			require.Error(t, err)
			assert.ErrorIs(t, err, client.ErrMessageTooLarge)
			t.Log(err)

			res, err := pending.Next(ctx)
			require.NoError(t, err)
			assert.Equal(t, []any{"before"}, res.Args)
			res, err = c.Call(ctx, client.CallRequest{Procedure: "com.echo", Payload: client.Payload{Args: []any{"after"}}}, nil)
			require.NoError(t, err)
			assert.Equal(t, []any{"after"}, res.Args)
			assert.Equal(t, client.Connected, c.State())
			if tc.fits > 0 { // measured exactly, and under the limit
				fits := strings.Repeat("f", tc.fits)
				res, err = c.Call(ctx, client.CallRequest{Procedure: "com.echo", Payload: client.Payload{Args: []any{fits}}}, nil)
				require.NoError(t, err)
				assert.Equal(t, []any{fits}, res.Args)
			}
		})
	}
}

// Over rawsocket we read frames up to the limit WE announced, whatever the
// router's own: a router that takes only 2 KiB may still send 100 KiB.
func TestRawSocketReadsUpToOurLimit(t *testing.T) {
	big := strings.Repeat("y", 100<<10)
	r := hostile.New(t, func(c *hostile.Conn) {
		c.Welcome(nil)
		c.Serve(func(c *hostile.Conn, m wamp.Message) bool {
			if call, ok := m.(*wamp.Call); ok {
				c.Send(&wamp.Result{Request: call.Request, Details: wamp.Dict{}, Arguments: wamp.List{big}})
				return true
			}
			return false
		})
	}, hostile.WithRawHandshake(func(hello [4]byte) []byte {
		return []byte{0x7f, 0x20 | hello[1]&0x0f, 0, 0} // 2^11 = 2 KiB
	}))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Connect(ctx, r.RawSocketURL(), client.WithoutReconnect())
	require.NoError(t, err)
	defer closeClient(t, c)
	res, err := c.Call(ctx, client.CallRequest{Procedure: "com.big"}, nil)
	require.NoError(t, err)
	assert.Equal(t, []any{big}, res.Args)
}

// An incoming websocket message over our 16 MiB limit is a protocol
// violation: the session ends and Err says why.
func TestIncomingOverLimitEndsSession(t *testing.T) {
	r := hostile.New(t, func(c *hostile.Conn) {
		c.Welcome(nil)
		frame := c.Encode(&wamp.Event{Subscription: 1, Publication: 2, Details: wamp.Dict{},
			Arguments: wamp.List{strings.Repeat("z", 17<<20)}})
		c.SendFrame(frame)
		c.Serve(nil)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := client.Connect(ctx, r.URL(), client.WithoutReconnect())
	require.NoError(t, err)
	defer closeClient(t, c)
	require.NoError(t, c.WaitState(ctx, client.Closed))
	err = c.Err()
	assert.ErrorIs(t, err, client.ErrConnectionLost)
	assert.ErrorIs(t, err, client.ErrProtocol)
	assert.Contains(t, err.Error(), "exceeds")
	t.Log(err)
}

// A router whose rawsocket limit is smaller than our HELLO fails the join
// at once, saying so, instead of waiting out the context.
func TestHelloOverRouterLimitFailsJoin(t *testing.T) {
	r := hostile.New(t, func(c *hostile.Conn) { c.Stall() }, hostile.WithRawHandshake(func(hello [4]byte) []byte {
		return []byte{0x7f, 0x00 | hello[1]&0x0f, 0, 0} // 2^9 = 512 bytes
	}))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	_, err := client.Connect(ctx, r.RawSocketURL(), client.WithoutReconnect(),
		client.WithHelloDetails(map[string]any{"padding": strings.Repeat("p", 600)}))
	require.Error(t, err)
	assert.ErrorIs(t, err, client.ErrMessageTooLarge)
	assert.Less(t, time.Since(start), 3*time.Second)
	t.Log(err)
}

type SixLongNames struct {
	AFieldWithAVeryLongNameOfFortyCharsNo1 string
	AFieldWithAVeryLongNameOfFortyCharsNo2 string
	AFieldWithAVeryLongNameOfFortyCharsNo3 string
	AFieldWithAVeryLongNameOfFortyCharsNo4 string
	AFieldWithAVeryLongNameOfFortyCharsNo5 string
	AFieldWithAVeryLongNameOfFortyCharsNo6 string
}

type nilEmbedded struct{ *SixLongNames }

// An in-process session refuses what no network session could take: a
// message over 16 MiB in MessagePack fails its call (or publication) before
// anything is sent, and the websocket callee the router would forward it
// to stays connected. A message under the limit reaches it and comes back.
func TestInProcessOversizedMessageFailsAtTheCall(t *testing.T) {
	r := wamptest.NewRouter(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv := r.Connect(t, wamptest.Transport{Kind: "ws", Serialization: client.JSON})
	_, err := srv.Register(ctx, "com.echo", func(_ context.Context, inv *client.Invocation) (client.Payload, error) {
		return inv.Payload(), nil
	}, client.RegisterOptions{})
	require.NoError(t, err)
	c := r.Local(t)

	_, err = c.Call(ctx, client.CallRequest{Procedure: "com.echo",
		Payload: client.Payload{Args: []any{strings.Repeat("x", 17<<20)}}}, nil)
	require.ErrorIs(t, err, client.ErrMessageTooLarge)
	t.Log(err)
	_, err = c.Publish(ctx, "com.topic", client.Payload{Args: []any{strings.Repeat("x", 17<<20)}}, client.PublishOptions{Acknowledge: true})
	require.ErrorIs(t, err, client.ErrMessageTooLarge)
	// Only the exact measure tells: 2 MiB numbers of 9 bytes each in
	// MessagePack, whose lower bound is 1 byte each.
	many := make([]any, 2<<20)
	for i := range many {
		many[i] = int64(1 << 40)
	}
	_, err = c.Call(ctx, client.CallRequest{Procedure: "com.echo", Payload: client.Payload{Args: many}}, nil)
	require.ErrorIs(t, err, client.ErrMessageTooLarge)
	t.Log(err)
	// Nor can a walk bound these: ugorji writes the fields of a nil
	// embedded pointer (260 bytes each in MessagePack) where a walk sees
	// nothing.
	nils := make([]any, 70000)
	for i := range nils {
		nils[i] = nilEmbedded{}
	}
	_, err = c.Call(ctx, client.CallRequest{Procedure: "com.echo", Payload: client.Payload{Args: nils}}, nil)
	require.ErrorIs(t, err, client.ErrMessageTooLarge)
	t.Log(err)

	fits := strings.Repeat("f", 15<<20)
	res, err := c.Call(ctx, client.CallRequest{Procedure: "com.echo", Payload: client.Payload{Args: []any{fits}}}, nil)
	require.NoError(t, err)
	require.Len(t, res.Args, 1)
	assert.Equal(t, len(fits), len(res.Args[0].(string)))
	assert.Equal(t, client.Connected, srv.State(), "the callee was not dropped")
}
