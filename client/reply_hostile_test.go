package client_test

import (
	"context"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/wamp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/client"
)

// A router answering REGISTER with SUBSCRIBED (or PUBLISH with SUBSCRIBED)
// gets the session aborted with protocol_violation; the request fails with
// ErrProtocol instead of succeeding with ID 0 or panicking.
func TestWrongReplyAbortsSession(t *testing.T) {
	for _, op := range []string{"register", "publish"} {
		t.Run(op, func(t *testing.T) {
			aborted := make(chan wamp.URI, 1)
			c := mustConnectScripted(t, func(r *routerSide) {
				r.welcome()
				for m := range r.peer.Recv() {
					switch m := m.(type) {
					case *wamp.Register:
						r.send(&wamp.Subscribed{Request: m.Request, Subscription: 1})
					case *wamp.Publish:
						r.send(&wamp.Subscribed{Request: m.Request, Subscription: 1})
					case *wamp.Abort:
						aborted <- m.Reason
					}
				}
			})
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			var err error
			if op == "register" {
				var reg *client.Registration
				reg, err = c.Register(ctx, "com.p", func(context.Context, *client.Invocation) (client.Payload, error) {
					return client.Payload{}, nil
				}, client.RegisterOptions{})
				assert.Nil(t, reg)
			} else {
				_, err = c.Publish(ctx, "com.t", client.Payload{}, client.PublishOptions{Acknowledge: true})
			}
			require.Error(t, err)
			assert.ErrorIs(t, err, client.ErrProtocol)
			assert.Contains(t, err.Error(), "answered with SUBSCRIBED")
			select {
			case uri := <-aborted:
				assert.Equal(t, wamp.ErrProtocolViolation, uri)
			case <-time.After(3 * time.Second):
				t.Error("no ABORT")
			}
			require.NoError(t, c.WaitState(ctx, client.Closed))
			assert.ErrorIs(t, c.Err(), client.ErrProtocol)
			t.Log(c.Err())
		})
	}
}

// When the router ends the session with ABORT or GOODBYE, Err keeps its
// reason URI and message.
func TestErrKeepsRouterReason(t *testing.T) {
	for _, kind := range []string{"abort", "goodbye"} {
		t.Run(kind, func(t *testing.T) {
			c := mustConnectScripted(t, func(r *routerSide) {
				r.welcome()
				details := wamp.Dict{"message": "maintenance"}
				if kind == "abort" {
					r.send(&wamp.Abort{Reason: "com.example.kicked", Details: details})
				} else {
					r.send(&wamp.Goodbye{Reason: "com.example.kicked", Details: details})
				}
				for range r.peer.Recv() {
				}
			})
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			require.NoError(t, c.WaitState(ctx, client.Closed))
			err := c.Err()
			assert.ErrorIs(t, err, client.ErrConnectionLost)
			var re *client.Error
			require.ErrorAs(t, err, &re)
			assert.Equal(t, "com.example.kicked", re.URI)
			assert.Equal(t, "maintenance", re.Message())
			assert.Contains(t, err.Error(), "com.example.kicked: maintenance")
		})
	}
}
