package caller_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/wamp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/caller"
	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest"
	"github.com/wampkit/wampkit/internal/wamptest/hostile"
)

// deafRouter is a scripted router that ignores the call timeout: a CALL and
// its CANCEL get no answer (as nxt, or Crossbar reading the option in
// seconds). Its WELCOME does not announce the dealer features in unannounced.
func deafRouter(t *testing.T, unannounced ...string) *client.Client {
	t.Helper()
	r := hostile.New(t, func(c *hostile.Conn) {
		roles := hostile.RouterRoles()
		for _, f := range unannounced {
			delete(roles["dealer"].(wamp.Dict)["features"].(wamp.Dict), f)
		}
		c.Welcome(wamp.Dict{"roles": roles})
		c.Serve(func(_ *hostile.Conn, m wamp.Message) bool {
			return m.MessageType() == wamp.CALL || m.MessageType() == wamp.CANCEL
		})
	})
	ctx := wamptest.Context(t)
	c, err := client.Connect(ctx, r.URL(), client.WithoutReconnect())
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

// A call ended by caller.Timeout matches client.ErrTimeout and
// context.DeadlineExceeded whichever side ended it: the reference router's
// wamp.error.timeout, or the local deadline against a router that ignores
// the option.
func TestTimeoutMatchesErrTimeoutOnEveryRouter(t *testing.T) {
	const d = 100 * time.Millisecond
	hang := func(ctx context.Context, _ *client.Invocation) (client.Payload, error) {
		<-ctx.Done()
		return client.Payload{}, ctx.Err()
	}
	routers := []struct {
		name   string
		c      func(t *testing.T) *client.Client
		remote bool
	}{
		{"reference", func(t *testing.T) *client.Client {
			r := wamptest.NewRouter(t)
			srv, c := r.WS(t), r.WS(t)
			raw(t, srv, "com.example.hang", hang, client.RegisterOptions{})
			return c
		}, true},
		{"announces call_timeout, ignores it", func(t *testing.T) *client.Client { return deafRouter(t) }, false},
		{"no call_timeout", func(t *testing.T) *client.Client { return deafRouter(t, "call_timeout") }, false},
		{"no call_timeout nor call_canceling", func(t *testing.T) *client.Client {
			return deafRouter(t, "call_timeout", "call_canceling")
		}, false},
	}
	for _, rt := range routers {
		t.Run(rt.name, func(t *testing.T) {
			c := rt.c(t)
			ctx := wamptest.Context(t)
			check := func(what string, err error) {
				t.Helper()
				require.Error(t, err, what)
				assert.ErrorIs(t, err, client.ErrTimeout, what)
				assert.ErrorIs(t, err, context.DeadlineExceeded, what)
				assert.Equal(t, rt.remote, client.IsRemote(err), "%s: answered by the router: %v", what, err)
				if !rt.remote {
					assert.ErrorIs(t, err, client.ErrCanceled, "%s: the local deadline cancels the call", what)
				}
			}
			start := time.Now()
			_, err := caller.Call[any](ctx, c, "com.example.hang", nil, caller.Timeout(d))
			check("Call", err)
			assert.Less(t, time.Since(start), 5*time.Second)

			res := caller.Progressive[int, string](ctx, c, "com.example.hang", nil, caller.Timeout(d))
			_, err = res.Result()
			check("Progressive", err)

			s, err := caller.Open[int, int, int](ctx, c, "com.example.hang", 1, caller.Timeout(d))
			require.NoError(t, err)
			_, err = s.Results().Result()
			check("Open", err)
		})
	}
}

// A deadline of the caller's own ctx, shorter than the Timeout, stays a
// context error: the call did not time out by its Timeout.
func TestOwnDeadlineIsNotErrTimeout(t *testing.T) {
	c := deafRouter(t, "call_timeout")
	ctx, cancel := context.WithTimeout(wamptest.Context(t), 100*time.Millisecond)
	defer cancel()
	_, err := caller.Call[any](ctx, c, "com.example.hang", nil, caller.Timeout(time.Minute))
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.ErrorIs(t, err, client.ErrCanceled)
	assert.False(t, errors.Is(err, client.ErrTimeout), "not the Timeout's end: %v", err)
}

// On Crossbar.io (recognised by the x_cb_* keys of its WELCOME) a Timeout
// goes in whole seconds, rounded up, though its dealer does not announce
// call_timeout; Crossbar's answer to an expired call, wamp.error.canceled
// "timeout reached" (src/crossbar/router/dealer.py), ends the call with an
// error matching client.ErrTimeout. Another cancel stays a cancel.
func TestTimeoutOnCrossbar(t *testing.T) {
	sent := make(chan any, 2)
	r := hostile.New(t, func(c *hostile.Conn) {
		roles := hostile.RouterRoles()
		delete(roles["dealer"].(wamp.Dict)["features"].(wamp.Dict), "call_timeout")
		cb := wamp.Dict{"x_cb_node": "node1", "x_cb_worker": "worker001", "x_cb_peer": "tcp4:127.0.0.1:1", "x_cb_pid": 1}
		welcome := wamp.Dict{"roles": roles, "authextra": cb, "authprovider": "static"}
		for k, v := range cb {
			welcome[k] = v
		}
		c.Welcome(welcome)
		c.Serve(func(c *hostile.Conn, m wamp.Message) bool {
			call, ok := m.(*wamp.Call)
			if !ok {
				return false
			}
			sent <- call.Options[wamp.OptTimeout]
			reason := "timeout reached"
			if call.Procedure == "com.example.other" {
				reason = "canceled by an operator"
			}
			c.Send(&wamp.Error{Type: wamp.CALL, Request: call.Request, Details: wamp.Dict{},
				Error: wamp.ErrCanceled, Arguments: wamp.List{reason}})
			return true
		})
	})
	c, err := client.Connect(wamptest.Context(t), r.URL(), client.WithoutReconnect())
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close(context.Background()) })

	_, err = caller.Call[any](wamptest.Context(t), c, "com.example.hang", nil, caller.Timeout(2500*time.Millisecond))
	assert.ErrorIs(t, err, client.ErrTimeout)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	v, _ := wamp.AsInt64(<-sent)
	assert.EqualValues(t, 3, v, "2.5 s goes as 3 seconds")

	_, err = caller.Call[any](wamptest.Context(t), c, "com.example.other", nil, caller.Timeout(time.Minute))
	assert.ErrorIs(t, err, client.ErrCanceled)
	assert.False(t, errors.Is(err, client.ErrTimeout), "not a timeout: %v", err)
	v, _ = wamp.AsInt64(<-sent)
	assert.EqualValues(t, 60, v)
}
