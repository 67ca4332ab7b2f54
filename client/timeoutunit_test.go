package client_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/wamp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest/hostile"
)

// crossbarRoles is the roles dictionary of a Crossbar.io WELCOME: the
// features its broker and dealer construct (src/crossbar/router/broker.py,
// dealer.py). The dealer implements call timeouts without announcing
// call_timeout.
func crossbarRoles() wamp.Dict {
	return wamp.Dict{
		"broker": wamp.Dict{"features": wamp.Dict{
			"publisher_identification": true, "pattern_based_subscription": true, "session_meta_api": true,
			"subscription_meta_api": true, "subscriber_blackwhite_listing": true, "publisher_exclusion": true,
			"subscription_revocation": true, "event_retention": true, "payload_transparency": true,
			"payload_encryption_cryptobox": true,
		}},
		"dealer": wamp.Dict{"features": wamp.Dict{
			"caller_identification": true, "pattern_based_registration": true, "session_meta_api": true,
			"registration_meta_api": true, "shared_registration": true, "progressive_call_results": true,
			"registration_revocation": true, "payload_transparency": true, "testament_meta_api": true,
			"payload_encryption_cryptobox": true, "call_canceling": true,
		}},
	}
}

// crossbarWelcome is the Details of a Crossbar.io router session's WELCOME:
// its x_cb_* custom attributes at the top and, again, in authextra
// (src/crossbar/router/session.py, Autobahn's Welcome.marshal).
func crossbarWelcome() wamp.Dict {
	cb := func() wamp.Dict {
		return wamp.Dict{"x_cb_node": "node1-4711", "x_cb_worker": "worker001", "x_cb_peer": "tcp4:127.0.0.1:50123", "x_cb_pid": 4712}
	}
	d := cb()
	d["realm"] = "realm1"
	d["authid"] = "JX3T-UVGW-7KNQ-6V3M-6AY4-QT4C"
	d["authrole"] = "anonymous"
	d["authmethod"] = "anonymous"
	d["authprovider"] = "static"
	d["authextra"] = cb()
	d["roles"] = crossbarRoles()
	return d
}

// crossbarProxyWelcome is the WELCOME a Crossbar proxy worker sends: no
// custom attributes at the top; the backend router's authextra plus
// x_cb_proxy_* (src/crossbar/worker/proxy.py).
func crossbarProxyWelcome() wamp.Dict {
	d := crossbarWelcome()
	for _, k := range []string{"x_cb_node", "x_cb_worker", "x_cb_peer", "x_cb_pid"} {
		delete(d, k)
	}
	extra := d["authextra"].(wamp.Dict)
	extra["x_cb_proxy_node"] = "proxy1-815"
	extra["x_cb_proxy_worker"] = "proxy001"
	extra["x_cb_proxy_peer"] = "tcp4:127.0.0.1:50124"
	extra["x_cb_proxy_pid"] = 816
	return d
}

// A call timeout goes in the unit the router reads: milliseconds to a
// router that follows the spec (nexus, Bondy), whole seconds rounded up to
// Crossbar.io (recognised by its WELCOME, direct or through its proxy), the
// unit named by WithCallTimeoutUnit whatever the WELCOME says. Each router
// kind is a scripted router answering with that router's WELCOME; the test
// reads the CALL it receives.
func TestCallTimeoutInTheRoutersUnit(t *testing.T) {
	noTimeout := hostile.RouterRoles()
	delete(noTimeout["dealer"].(wamp.Dict)["features"].(wamp.Dict), "call_timeout")
	timeouts := []time.Duration{1500 * time.Millisecond, 100 * time.Millisecond, 3 * time.Second, 1500 * time.Microsecond}
	for _, tc := range []struct {
		name    string
		welcome wamp.Dict
		opts    []client.Option
		want    []int64 // per timeouts
		unit    time.Duration
	}{
		{"spec router (nexus, Bondy)", nil, nil, []int64{1500, 100, 3000, 2}, time.Millisecond},
		{"Crossbar router session", crossbarWelcome(), nil, []int64{2, 1, 3, 1}, time.Second},
		{"Crossbar proxy worker", crossbarProxyWelcome(), nil, []int64{2, 1, 3, 1}, time.Second},
		{"seconds named, WELCOME hidden", wamp.Dict{"roles": noTimeout},
			[]client.Option{client.WithCallTimeoutUnit(time.Second)}, []int64{2, 1, 3, 1}, time.Second},
		{"milliseconds named on Crossbar", crossbarWelcome(),
			[]client.Option{client.WithCallTimeoutUnit(time.Millisecond)}, []int64{1500, 100, 3000, 2}, time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := make(chan any, len(timeouts))
			r := hostile.New(t, func(c *hostile.Conn) {
				c.Welcome(tc.welcome)
				c.Serve(func(c *hostile.Conn, m wamp.Message) bool {
					call, ok := m.(*wamp.Call)
					if !ok {
						return false
					}
					got <- call.Options[wamp.OptTimeout]
					c.Send(&wamp.Result{Request: call.Request, Details: wamp.Dict{}})
					return true
				})
			})
			cl := dial(t, r.URL(), tc.opts...)
			unit, reads := cl.CallTimeoutUnit()
			assert.Equal(t, tc.unit, unit)
			assert.True(t, reads)
			for i, d := range timeouts {
				_, err := cl.Call(ctxT(t), client.CallRequest{Procedure: "test.slow", Timeout: d}, nil)
				require.NoError(t, err)
				select {
				case v := <-got:
					n, ok := wamp.AsInt64(v)
					require.True(t, ok, "timeout %v (%T) is not an integer", v, v)
					assert.Equal(t, tc.want[i], n, "timeout %s", d)
				case <-ctxT(t).Done():
					t.Fatal("no CALL")
				}
			}
		})
	}
}

// A router that neither announces call_timeout nor is Crossbar is not sent
// a timeout: the call fails at once naming the feature, and nothing is sent.
func TestCallTimeoutUnreadByTheRouter(t *testing.T) {
	roles := hostile.RouterRoles()
	delete(roles["dealer"].(wamp.Dict)["features"].(wamp.Dict), "call_timeout")
	calls := make(chan *wamp.Call, 2)
	r := hostile.New(t, func(c *hostile.Conn) {
		c.Welcome(wamp.Dict{"roles": roles})
		c.Serve(func(c *hostile.Conn, m wamp.Message) bool {
			call, ok := m.(*wamp.Call)
			if ok {
				calls <- call
				c.Send(&wamp.Result{Request: call.Request, Details: wamp.Dict{}})
			}
			return ok
		})
	})
	cl := dial(t, r.URL())
	_, reads := cl.CallTimeoutUnit()
	assert.False(t, reads)
	_, err := cl.Call(ctxT(t), client.CallRequest{Procedure: "test.slow", Timeout: time.Second}, nil)
	require.ErrorIs(t, err, client.ErrFeatureNotSupported)
	var fe *client.FeatureError
	require.True(t, errors.As(err, &fe))
	assert.Equal(t, client.FeatureCallTimeout, fe.Feature)
	_, err = cl.Call(ctxT(t), client.CallRequest{Procedure: "test.quick"}, nil)
	require.NoError(t, err)
	call := <-calls
	assert.Equal(t, "test.quick", string(call.Procedure), "the call with a timeout was not sent")
}

func TestCallTimeoutUnitInvalid(t *testing.T) {
	for _, unit := range []time.Duration{0, time.Microsecond, time.Minute, -time.Second} {
		_, err := client.Connect(context.Background(), "ws://127.0.0.1:1/ws", client.WithCallTimeoutUnit(unit))
		assert.ErrorIs(t, err, client.ErrInvalidOption, "unit %s", unit)
	}
}
