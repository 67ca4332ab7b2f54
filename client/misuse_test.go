package client_test

import (
	"context"
	"crypto/tls"
	"math"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/wamp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest"
)

// WithTLSConfig with a URL that is not TLS fails Connect instead of sending
// credentials in clear.
func TestTLSConfigOnPlainURLIsAnError(t *testing.T) {
	for _, url := range []string{"ws://127.0.0.1:1/ws", "tcp://127.0.0.1:1", "unix:///tmp/nowhere.sock"} {
		_, err := client.Connect(context.Background(), url, client.WithTLSConfig(&tls.Config{}), client.WithTicket("a", "secret"))
		assert.ErrorIs(t, err, client.ErrInvalidOption, url)
		assert.Contains(t, err.Error(), "in clear", url)
	}
}

// A nil context or a nil *Client is an error wrapping ErrInvalidOption, not
// a panic.
func TestNilContextAndNilClient(t *testing.T) {
	//nolint:staticcheck // nil contexts are the point
	_, err := client.Connect(nil, "ws://127.0.0.1:1/ws") //lint:ignore SA1012 testing misuse
	assert.ErrorIs(t, err, client.ErrInvalidOption)
	_, err = wamptest.ConnectLocal(context.Background(), nil)
	assert.ErrorIs(t, err, client.ErrInvalidOption)

	var nilClient *client.Client
	ctx := context.Background()
	_, err = nilClient.Call(ctx, client.CallRequest{Procedure: "com.p"}, nil)
	assert.ErrorIs(t, err, client.ErrInvalidOption)
	_, err = nilClient.Publish(ctx, "com.t", client.Payload{}, client.PublishOptions{})
	assert.ErrorIs(t, err, client.ErrInvalidOption)
	assert.ErrorIs(t, nilClient.Close(ctx), client.ErrInvalidOption)

	c := mustConnectScripted(t, func(r *routerSide) { r.welcome(); r.serveGoodbye(nil) })
	var nilCtx context.Context
	_, err = c.Call(nilCtx, client.CallRequest{Procedure: "com.p"}, nil)
	assert.ErrorIs(t, err, client.ErrInvalidOption)
	_, err = c.Register(nilCtx, "com.p", func(context.Context, *client.Invocation) (client.Payload, error) {
		return client.Payload{}, nil
	}, client.RegisterOptions{})
	assert.ErrorIs(t, err, client.ErrInvalidOption)
	_, err = c.Subscribe(nilCtx, "com.t", func(*client.Event) {}, client.SubscribeOptions{})
	assert.ErrorIs(t, err, client.ErrInvalidOption)
	assert.ErrorIs(t, c.Close(nilCtx), client.ErrInvalidOption)
}

// The longest call timeout goes out exactly (under 2^53 ms), and a huge timeout in a
// router's INVOCATION is no deadline rather than an overflowed one that
// cancels the handler at once.
func TestHugeTimeouts(t *testing.T) {
	yielded := make(chan *wamp.Yield, 1)
	c := mustConnectScripted(t, func(r *routerSide) {
		r.welcome()
		r.serveGoodbye(func(m wamp.Message) {
			switch m := m.(type) {
			case *wamp.Call:
				r.send(&wamp.Result{Request: m.Request, Details: wamp.Dict{}, Arguments: wamp.List{m.Options[wamp.OptTimeout]}})
			case *wamp.Register:
				r.send(&wamp.Registered{Request: m.Request, Registration: 5})
				r.send(&wamp.Invocation{Request: 9, Registration: 5,
					Details: wamp.Dict{wamp.OptTimeout: int64(math.MaxInt64)}})
			case *wamp.Yield:
				yielded <- m
			case *wamp.Unregister:
				r.send(&wamp.Unregistered{Request: m.Request})
			}
		})
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := c.Call(ctx, client.CallRequest{Procedure: "com.p", Timeout: time.Duration(math.MaxInt64)}, nil)
	require.NoError(t, err)
	require.Len(t, res.Args, 1)
	assert.EqualValues(t, time.Duration(math.MaxInt64).Milliseconds()+1, res.Args[0], "rounded up, no overflow")

	_, err = c.Register(ctx, "com.p", func(ctx context.Context, _ *client.Invocation) (client.Payload, error) {
		return client.Payload{Args: []any{ctx.Err() == nil}}, nil
	}, client.RegisterOptions{})
	require.NoError(t, err)
	select {
	case y := <-yielded:
		assert.Equal(t, wamp.List{true}, y.Arguments, "the handler's context was not expired")
	case <-time.After(3 * time.Second):
		t.Fatal("no YIELD")
	}
}

// Close with a context that never ends is bounded when the router stops
// answering: no GOODBYE, no UNREGISTERED.
func TestCloseBoundedWithSilentRouter(t *testing.T) {
	c := mustConnectScripted(t, func(r *routerSide) {
		r.welcome()
		m := expectMsg[*wamp.Register](r)
		r.send(&wamp.Registered{Request: m.Request, Registration: 5})
		for range r.peer.Recv() { // hears everything, answers nothing
		}
	})
	_, err := c.Register(context.Background(), "com.p", func(context.Context, *client.Invocation) (client.Payload, error) {
		return client.Payload{}, nil
	}, client.RegisterOptions{})
	require.NoError(t, err)
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- c.Close(context.Background()) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close(context.Background()) still waiting after 10s")
	}
	t.Logf("Close took %v", time.Since(start))
	assert.Equal(t, client.Closed, c.State())
}
