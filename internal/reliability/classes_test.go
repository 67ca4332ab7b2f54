package reliability_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/wamp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest/hostile"
)

// The classes of issue 17 that come from the network, played by the hostile
// router over websocket and rawsocket with every serializer: each ends in a
// clear error (or a protocol-violation abort of that session), never a
// panic, a hang past ctx, or the loss of unrelated calls.

type transport struct {
	name string
	ser  client.Serialization
	url  func(*hostile.Router) string
}

func transports() []transport {
	var out []transport
	for _, kind := range []struct {
		name string
		url  func(*hostile.Router) string
	}{{"ws", (*hostile.Router).URL}, {"tcp", (*hostile.Router).RawSocketURL}} {
		for _, s := range []client.Serialization{client.JSON, client.MsgPack, client.CBOR} {
			out = append(out, transport{kind.name + "-" + s.String(), s, kind.url})
		}
	}
	return out
}

func dial(t *testing.T, tr transport, r *hostile.Router, opts ...client.Option) (*client.Client, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	opts = append([]client.Option{client.WithSerialization(tr.ser), client.WithoutReconnect()}, opts...)
	c, err := client.Connect(ctx, tr.url(r), opts...)
	if err == nil {
		t.Cleanup(func() {
			cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = c.Close(cctx)
		})
	}
	return c, err
}

// A WAMP-CRA CHALLENGE with absurd parameters fails the join with a clear
// error, quickly, whatever the parameters.
func TestHostileChallenge(t *testing.T) {
	for _, extra := range []wamp.Dict{
		{"challenge": "x", "salt": "s", "iterations": -1, "keylen": 32},
		{"challenge": "x", "salt": "s", "iterations": 1000, "keylen": -7},
		{"challenge": "x", "salt": "s", "iterations": 1 << 40, "keylen": 32},
		{"challenge": "x", "salt": "s", "iterations": 1000, "keylen": 1 << 30},
		{"challenge": 42},
	} {
		for _, tr := range transports() {
			t.Run(fmt.Sprintf("%s/%v", tr.name, extra), func(t *testing.T) {
				r := hostile.New(t, func(c *hostile.Conn) {
					c.Expect(wamp.HELLO)
					c.Send(&wamp.Challenge{AuthMethod: "wampcra", Extra: extra})
					c.Stall()
				})
				begin := time.Now()
				_, err := dial(t, tr, r, client.WithCRA("user", "secret"))
				require.Error(t, err)
				assert.Contains(t, err.Error(), "wampcra")
				assert.Less(t, time.Since(begin), 4*time.Second, "refused, not computed")
			})
		}
	}
}

// A second CHALLENGE in one join is a protocol violation: the join fails.
func TestSecondChallenge(t *testing.T) {
	for _, tr := range transports() {
		t.Run(tr.name, func(t *testing.T) {
			r := hostile.New(t, func(c *hostile.Conn) {
				c.Expect(wamp.HELLO)
				c.Send(&wamp.Challenge{AuthMethod: "ticket", Extra: wamp.Dict{}})
				c.Expect(wamp.AUTHENTICATE)
				c.Send(&wamp.Challenge{AuthMethod: "ticket", Extra: wamp.Dict{}})
				c.Stall()
			})
			_, err := dial(t, tr, r, client.WithTicket("user", "ticket"))
			require.Error(t, err)
		})
	}
}

// A reply of the wrong type (SUBSCRIBED to a REGISTER, to a PUBLISH) fails
// the request with ErrProtocol and aborts the session; nothing panics.
func TestWrongReplyType(t *testing.T) {
	for _, tr := range transports() {
		t.Run(tr.name, func(t *testing.T) {
			r := hostile.New(t, func(c *hostile.Conn) {
				c.Welcome(nil)
				if c.N == 0 {
					reg := c.Expect(wamp.REGISTER).(*wamp.Register)
					c.Send(&wamp.Subscribed{Request: reg.Request, Subscription: 1})
				} else {
					pub := c.Expect(wamp.PUBLISH).(*wamp.Publish)
					c.Send(&wamp.Registered{Request: pub.Request, Registration: 1})
				}
				c.Stall()
			})
			ctx := ctxFor(t, 10*time.Second)
			c, err := dial(t, tr, r)
			require.NoError(t, err)
			reg, err := c.Register(ctx, "com.example.x", func(context.Context, *client.Invocation) (client.Payload, error) {
				return client.Payload{}, nil
			}, client.RegisterOptions{})
			assert.Nil(t, reg)
			assert.ErrorIs(t, err, client.ErrProtocol, "REGISTER answered SUBSCRIBED")
			<-c.Done()

			c, err = dial(t, tr, r)
			require.NoError(t, err)
			_, err = c.Publish(ctx, "com.example.t", client.Payload{}, client.PublishOptions{Acknowledge: true})
			assert.ErrorIs(t, err, client.ErrProtocol, "PUBLISH answered REGISTERED")
		})
	}
}

// A router that never answers GOODBYE: Close(context.Background()) still
// returns, within its own bound.
func TestCloseWithASilentRouter(t *testing.T) {
	for _, tr := range transports()[:1] {
		r := hostile.New(t, func(c *hostile.Conn) {
			c.Welcome(nil)
			c.Stall()
		})
		c, err := dial(t, tr, r)
		require.NoError(t, err)
		begin := time.Now()
		done := make(chan error, 1)
		go func() { done <- c.Close(context.Background()) }()
		select {
		case <-done:
			figure(t, "Close(context.Background()) with a router that never answers GOODBYE returned after %s",
				time.Since(begin).Round(time.Millisecond))
		case <-time.After(15 * time.Second):
			t.Fatal("Close waited 15 s for a GOODBYE")
		}
	}
}

// INVOCATIONs with random request IDs (fox-wamp's), in no order, are all
// answered, each with its own ID.
func TestRandomInvocationIDs(t *testing.T) {
	for _, tr := range transports() {
		t.Run(tr.name, func(t *testing.T) {
			const n = 200
			ids := make(chan []wamp.ID, 1)
			r := hostile.New(t, registerScript(func(c *hostile.Conn) {
				sent := make([]wamp.ID, n)
				c.FloodWith(n, func(i int) wamp.Message {
					sent[i] = hostile.NewID()
					return &wamp.Invocation{Request: sent[i], Registration: 1, Details: wamp.Dict{}, Arguments: wamp.List{i}}
				})
				ids <- sent
			}))
			c, err := dial(t, tr, r)
			require.NoError(t, err)
			_, err = c.Register(ctxFor(t, 5*time.Second), "com.example.flood",
				func(_ context.Context, inv *client.Invocation) (client.Payload, error) { return inv.Payload(), nil }, client.RegisterOptions{})
			require.NoError(t, err)
			sent := <-ids
			waitFor(t, "every invocation is answered", func() bool { return r.Count(wamp.YIELD) == n })
			answered := map[wamp.ID]bool{}
			for _, m := range r.Received() {
				if y, ok := m.(*wamp.Yield); ok {
					answered[y.Request] = true
				}
			}
			for _, id := range sent {
				assert.True(t, answered[id], "invocation %d answered", id)
			}
		})
	}
}

// Frames that are no WAMP message, or WAMP messages a client never
// receives, or a reserved rawsocket frame type, end the session with a
// protocol violation: the calls in flight fail with an error that says so,
// the router is told with ABORT, and nothing panics.
func TestMalformedFramesAfterWelcome(t *testing.T) {
	for _, tr := range transports() {
		for _, bad := range []struct {
			name string
			send func(c *hostile.Conn)
		}{
			{"garbage", func(c *hostile.Conn) { c.SendFrame([]byte("\xc1\x00 garbage")) }},
			{"empty", func(c *hostile.Conn) { c.SendFrame(nil) }},
			{"HELLO to a client", func(c *hostile.Conn) {
				c.Send(&wamp.Hello{Realm: "realm1", Details: wamp.Dict{}})
			}},
			{"reserved frame type", func(c *hostile.Conn) {
				if c.Kind != "tcp" {
					c.SendFrame([]byte("\x00\x00"))
					return
				}
				c.WriteRaw(hostile.RawFrame(5, []byte("x")))
			}},
		} {
			t.Run(tr.name+"/"+bad.name, func(t *testing.T) {
				r := hostile.New(t, func(c *hostile.Conn) {
					c.Welcome(nil)
					c.Expect(wamp.CALL)
					bad.send(c)
					c.Stall()
				})
				c, err := dial(t, tr, r)
				require.NoError(t, err)
				_, err = c.Call(ctxFor(t, 10*time.Second), client.CallRequest{Procedure: "com.example.x"}, nil)
				require.Error(t, err)
				assert.False(t, errors.Is(err, context.DeadlineExceeded), "the call fails at once: %v", err)
				<-c.Done()
				assert.True(t, errors.Is(c.Err(), client.ErrProtocol) || errors.Is(c.Err(), client.ErrConnectionLost),
					"the session ended: %v", c.Err())
				// A reserved rawsocket frame type breaks the framing: the
				// transport hangs up at once, with no ABORT.
				if tr.name[:3] != "tcp" || bad.name != "reserved frame type" {
					waitFor(t, "the client says ABORT before it hangs up", func() bool { return r.Count(wamp.ABORT) == 1 })
				}
			})
		}
	}
}

// A websocket message over the client's limit (16 MiB) ends the session
// with a protocol violation instead of being read into memory; the call in
// flight fails at once. (A rawsocket frame cannot exceed it: its length
// field stops at 2^24-1, the limit the client announces.)
func TestOversizedIncomingMessage(t *testing.T) {
	r := hostile.New(t, func(c *hostile.Conn) {
		c.Welcome(nil)
		call := c.Expect(wamp.CALL).(*wamp.Call)
		c.Send(&wamp.Result{Request: call.Request, Details: wamp.Dict{}, Arguments: wamp.List{strings.Repeat("x", 17<<20)}})
		c.Stall()
	})
	c, err := dial(t, transport{"ws-msgpack", client.MsgPack, (*hostile.Router).URL}, r)
	require.NoError(t, err)
	_, err = c.Call(ctxFor(t, 20*time.Second), client.CallRequest{Procedure: "com.example.x"}, nil)
	require.Error(t, err)
	assert.False(t, errors.Is(err, context.DeadlineExceeded), "the call fails, not waits: %v", err)
	<-c.Done()
	assert.ErrorIs(t, c.Err(), client.ErrProtocol)
}
