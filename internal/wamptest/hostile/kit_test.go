package hostile_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/wamp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest"
	"github.com/wampkit/wampkit/internal/wamptest/hostile"
)

// transports are the ways a client reaches a hostile router.
var transports = []struct {
	name string
	ser  client.Serialization
	conn func(ctx context.Context, r *hostile.Router, opts ...client.Option) (*client.Client, error)
}{
	{"inproc", client.JSON, func(ctx context.Context, r *hostile.Router, o ...client.Option) (*client.Client, error) {
		return wamptest.ConnectLocal(ctx, r, o...)
	}},
	{"ws-json", client.JSON, wsConnect},
	{"ws-msgpack", client.MsgPack, wsConnect},
	{"ws-cbor", client.CBOR, wsConnect},
	{"tcp-json", client.JSON, rawConnect},
	{"tcp-msgpack", client.MsgPack, rawConnect},
	{"tcp-cbor", client.CBOR, rawConnect},
}

func wsConnect(ctx context.Context, r *hostile.Router, o ...client.Option) (*client.Client, error) {
	return client.Connect(ctx, r.URL(), o...)
}

func rawConnect(ctx context.Context, r *hostile.Router, o ...client.Option) (*client.Client, error) {
	return client.Connect(ctx, r.RawSocketURL(), o...)
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// A script that welcomes and then answers like a plain router serves a real
// client over every transport and serializer, and sees what it sent.
func TestServeAnswersLikeARouter(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			r := hostile.New(t, func(c *hostile.Conn) {
				c.Welcome(nil)
				c.Serve(nil)
			})
			ctx := ctxFor(t)
			cl, err := tr.conn(ctx, r, client.WithSerialization(tr.ser), client.WithoutReconnect())
			require.NoError(t, err)
			reg, err := cl.Register(ctx, "test.proc", func(context.Context, *client.Invocation) (client.Payload, error) {
				return client.Payload{}, nil
			}, client.RegisterOptions{})
			require.NoError(t, err)
			assert.NotZero(t, reg.ID())
			_, err = cl.Publish(ctx, "test.topic", client.Payload{Args: []any{"x"}}, client.PublishOptions{Acknowledge: true})
			require.NoError(t, err)
			_, err = cl.Call(ctx, client.CallRequest{Procedure: "test.nothing"}, nil)
			assert.ErrorIs(t, err, client.ErrNoSuchProcedure)
			require.NoError(t, cl.Close(ctx))
			assert.Equal(t, 1, r.Count(wamp.HELLO))
			assert.Equal(t, 1, r.Count(wamp.REGISTER))
			assert.Equal(t, 1, r.Count(wamp.GOODBYE))
			pub, ok := r.Find(wamp.PUBLISH).(*wamp.Publish)
			require.True(t, ok)
			assert.Equal(t, wamp.URI("test.topic"), pub.Topic)
			assert.Equal(t, 1, r.Accepted())
		})
	}
}

// The rawsocket handshake reply is the script's to choose: a refusal fails
// Connect with the refusal's reason.
func TestRawHandshakeRefusal(t *testing.T) {
	r := hostile.New(t, func(c *hostile.Conn) { c.Stall() },
		hostile.WithRawHandshake(func([4]byte) []byte { return []byte{0x7f, 0x20, 0, 0} }))
	ctx := ctxFor(t)
	_, err := client.Connect(ctx, r.RawSocketURL(), client.WithoutReconnect())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "maximum message length unacceptable")
}

// A websocket router that picks no subprotocol is refused by the client.
func TestSubprotocolChoice(t *testing.T) {
	r := hostile.New(t, func(c *hostile.Conn) { c.Stall() },
		hostile.WithSubprotocol(func([]string) string { return "" }))
	_, err := client.Connect(ctxFor(t), r.URL(), client.WithoutReconnect())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "does not speak")
}

// Frames sent raw reach the client as they are: an undecodable frame after
// WELCOME ends the session with a protocol violation, which the client
// reports with ABORT.
func TestSendFrameGarbage(t *testing.T) {
	for _, tr := range transports[1:] {
		t.Run(tr.name, func(t *testing.T) {
			r := hostile.New(t, func(c *hostile.Conn) {
				c.Welcome(nil)
				c.SendFrame([]byte("\xc1 not a WAMP message"))
				c.Stall()
			})
			ctx := ctxFor(t)
			cl, err := tr.conn(ctx, r, client.WithSerialization(tr.ser), client.WithoutReconnect())
			require.NoError(t, err)
			select {
			case <-cl.Done():
			case <-ctx.Done():
				t.Fatal("the client did not end its session")
			}
			assert.ErrorIs(t, cl.Err(), client.ErrProtocol)
			require.Eventually(t, func() bool { return r.Count(wamp.ABORT) == 1 }, 5*time.Second, 10*time.Millisecond,
				"the client says ABORT before it hangs up")
			assert.Equal(t, wamp.ErrProtocolViolation, r.Find(wamp.ABORT).(*wamp.Abort).Reason)
			_ = cl.Close(ctx)
		})
	}
}

// Flood sends until the client leaves, and reports how many it sent; the
// client's answers are counted meanwhile.
func TestFloodEndsWhenTheClientLeaves(t *testing.T) {
	sent := make(chan int, 1)
	r := hostile.New(t, func(c *hostile.Conn) {
		c.Welcome(nil)
		sent <- c.Flood(1<<30, &wamp.Event{Subscription: 77, Publication: 1, Details: wamp.Dict{}})
	})
	ctx := ctxFor(t)
	cl, err := client.Connect(ctx, r.URL(), client.WithoutReconnect())
	require.NoError(t, err)
	time.Sleep(50 * time.Millisecond)
	closeCtx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	_ = cl.Close(closeCtx) // the flooding script answers no GOODBYE

	select {
	case n := <-sent:
		assert.Greater(t, n, 0)
		assert.Less(t, n, 1<<30)
	case <-ctx.Done():
		t.Fatal("the flood did not stop when the client left")
	}
}

// Recv reports the client's departure as ErrGone; Stall returns then.
func TestRecvAfterTheClientLeft(t *testing.T) {
	got := make(chan error, 1)
	r := hostile.New(t, func(c *hostile.Conn) {
		c.Welcome(nil)
		c.Expect(wamp.GOODBYE)
		_, err := c.Recv(5 * time.Second)
		got <- err
	})
	ctx := ctxFor(t)
	cl, err := client.Connect(ctx, r.RawSocketURL(), client.WithoutReconnect())
	require.NoError(t, err)
	closeCtx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	_ = cl.Close(closeCtx) // no GOODBYE comes back: Close gives up at its ctx
	select {
	case err := <-got:
		assert.True(t, errors.Is(err, hostile.ErrGone), "%v", err)
	case <-ctx.Done():
		t.Fatal("Recv did not see the client leave")
	}
}

// WatchPeak sees a heap that grew and goroutines that were started.
func TestWatchPeak(t *testing.T) {
	p := hostile.WatchPeak(time.Millisecond)
	hold := make([]byte, 8<<20)
	for i := range hold {
		hold[i] = byte(i)
	}
	stop := make(chan struct{})
	for range 50 {
		go func() { <-stop }()
	}
	time.Sleep(20 * time.Millisecond)
	st := p.Stop()
	close(stop)
	assert.GreaterOrEqual(t, st.Growth(), uint64(7<<20))
	assert.GreaterOrEqual(t, st.PeakGoroutines-st.BaseGoroutines, 50)
	_ = hold[len(hold)-1]
}
