package client_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/wamp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest"
)

// bareRouter welcomes with a dealer and a broker that announce no feature,
// as fox-wamp announces little, and records every message it gets besides
// GOODBYE: nothing should reach it.
func bareRouter(t *testing.T, got chan<- wamp.Message) func(r *routerSide) {
	return func(r *routerSide) {
		r.welcomeWith(wamp.Dict{"dealer": wamp.Dict{"features": wamp.Dict{"progressive_call_results": "yes"}}, "broker": wamp.Dict{}})
		r.serveGoodbye(func(m wamp.Message) {
			select {
			case got <- m:
			default:
			}
		})
	}
}

func noop(context.Context, *client.Invocation) (client.Payload, error) { return client.Payload{}, nil }

// A request that needs a feature the router does not announce fails at
// once with an error naming the feature, and nothing reaches the router.
func TestUnannouncedFeaturesFailFast(t *testing.T) {
	got := make(chan wamp.Message, 16)
	c := mustConnectScripted(t, bareRouter(t, got))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	assert.False(t, c.RouterFeatures().Dealer(client.FeatureProgressiveCallResults), `"yes" is not true`)
	assert.Equal(t, []string{"broker", "dealer"}, c.RouterFeatures().Roles())

	for _, tc := range []struct {
		name, feature, need string
		do                  func() error
	}{
		{"prefix registration", client.FeaturePatternBasedRegistration, `match "prefix"`, func() error {
			_, err := c.Register(ctx, "com.app", noop, client.RegisterOptions{Match: client.MatchPrefix})
			return err
		}},
		{"wildcard registration", client.FeaturePatternBasedRegistration, `match "wildcard"`, func() error {
			_, err := c.Register(ctx, "com..get", noop, client.RegisterOptions{Match: client.MatchWildcard})
			return err
		}},
		{"shared registration", client.FeatureSharedRegistration, `invoke "roundrobin"`, func() error {
			_, err := c.Register(ctx, "com.app.x", noop, client.RegisterOptions{Invoke: client.InvokeRoundRobin})
			return err
		}},
		{"disclose_caller", client.FeatureCallerIdentification, "disclose_caller", func() error {
			_, err := c.Register(ctx, "com.app.x", noop, client.RegisterOptions{DiscloseCaller: true})
			return err
		}},
		{"match as a raw option", client.FeaturePatternBasedRegistration, `match "prefix"`, func() error {
			_, err := c.Register(ctx, "com.app", noop, client.RegisterOptions{Extra: map[string]any{"match": "prefix"}})
			return err
		}},
		{"forward_timeout as a raw option", client.FeatureCallTimeout, "forward_timeout", func() error {
			_, err := c.Register(ctx, "com.app.x", noop, client.RegisterOptions{Extra: map[string]any{"forward_timeout": true}})
			return err
		}},
		{"progressive results", client.FeatureProgressiveCallResults, "receive_progress", func() error {
			_, err := c.StartCall(ctx, client.CallRequest{Procedure: "com.app.x", ReceiveProgress: true})
			return err
		}},
		{"progressive invocation", client.FeatureProgressiveInvocations, "streamed call", func() error {
			_, err := c.StartCall(ctx, client.CallRequest{Procedure: "com.app.x", Stream: true})
			return err
		}},
		{"timeout", client.FeatureCallTimeout, "call timeout", func() error {
			_, err := c.Call(ctx, client.CallRequest{Procedure: "com.app.x", Timeout: time.Second}, nil)
			return err
		}},
		{"timeout as a raw option", client.FeatureCallTimeout, "call timeout", func() error {
			_, err := c.Call(ctx, client.CallRequest{Procedure: "com.app.x", Extra: map[string]any{"timeout": 5}}, nil)
			return err
		}},
		{"disclose_me", client.FeatureCallerIdentification, "disclose_me", func() error {
			_, err := c.Call(ctx, client.CallRequest{Procedure: "com.app.x", DiscloseMe: true}, nil)
			return err
		}},
		{"cancel mode", client.FeatureCallCanceling, `cancel mode "kill"`, func() error {
			_, err := c.Call(ctx, client.CallRequest{Procedure: "com.app.x", CancelMode: client.CancelKill}, nil)
			return err
		}},
		{"prefix subscription", client.FeaturePatternBasedSubscription, `match "prefix"`, func() error {
			_, err := c.Subscribe(ctx, "com.app", func(*client.Event) {}, client.SubscribeOptions{Match: client.MatchPrefix})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.do()
			require.ErrorIs(t, err, client.ErrFeatureNotSupported)
			var fe *client.FeatureError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, tc.feature, fe.Feature)
			assert.Contains(t, err.Error(), tc.feature)
			assert.Contains(t, err.Error(), tc.need)
			assert.False(t, client.IsRemote(err), "failed here, not at the router")
		})
	}
	select {
	case m := <-got:
		t.Errorf("the router got %v", m.MessageType())
	case <-time.After(50 * time.Millisecond):
	}
}

// What does not need a feature still goes out; WithRouterFeatures makes
// the client take a silent router's word for it.
func TestAssumedRouterFeatures(t *testing.T) {
	got := make(chan wamp.Message, 16)
	c := mustConnectScripted(t, bareRouter(t, got), client.WithRouterFeatures(client.FeaturePatternBasedRegistration))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	assert.True(t, c.RouterFeatures().Dealer(client.FeaturePatternBasedRegistration))
	go func() { _, _ = c.Register(ctx, "com.app", noop, client.RegisterOptions{Match: client.MatchPrefix}) }()
	m := <-got
	require.IsType(t, &wamp.Register{}, m)
	assert.Equal(t, "prefix", m.(*wamp.Register).Options["match"])

	go func() {
		_, _ = c.Register(ctx, "com.app.plain", noop, client.RegisterOptions{Invoke: client.InvokeSingle, Match: client.MatchExact})
	}()
	m = <-got
	require.IsType(t, &wamp.Register{}, m, "exact and single need nothing")

	_, err := wamptest.ConnectLocal(ctx, newScripted(t, bareRouter(t, got)), client.WithRouterFeatures(""))
	assert.ErrorIs(t, err, client.ErrInvalidOption)
}

// A call canceled on a router without call_canceling ends at once, without
// a CANCEL (which that router would not understand).
func TestCancelWithoutCallCancelingSendsNothing(t *testing.T) {
	got := make(chan wamp.Message, 16)
	c := mustConnectScripted(t, bareRouter(t, got))
	ctx, cancel := context.WithCancel(context.Background())
	call, err := c.StartCall(ctx, client.CallRequest{Procedure: "com.app.x"})
	require.NoError(t, err)
	require.IsType(t, &wamp.Call{}, <-got)
	cancel()
	_, err = call.Next(ctx)
	require.ErrorIs(t, err, context.Canceled)
	assert.Contains(t, err.Error(), "does not announce call_canceling")

	call, err = c.StartCall(context.Background(), client.CallRequest{Procedure: "com.app.y"})
	require.NoError(t, err)
	require.IsType(t, &wamp.Call{}, <-got)
	call.Cancel()
	_, err = call.Next(context.Background())
	require.ErrorIs(t, err, client.ErrCanceled)
	select {
	case m := <-got:
		t.Errorf("the router got %v", m.MessageType())
	case <-time.After(50 * time.Millisecond):
	}
}

// Features are read again on every session: a prefix registration made on
// a router that announced pattern_based_registration ends, with the
// feature named, when the client reconnects to one that does not; it is
// not silently registered as exact.
func TestFeaturesRereadAfterReconnect(t *testing.T) {
	var attempt atomic.Int32
	drop := make(chan struct{})
	registers := make(chan *wamp.Register, 4)
	router := newScripted(t, func(r *routerSide) {
		if attempt.Add(1) == 1 {
			r.welcome() // every feature
			reg := expectMsg[*wamp.Register](r)
			r.send(&wamp.Registered{Request: reg.Request, Registration: 7})
			<-drop
			return // the connection is lost
		}
		r.welcomeWith(wamp.Dict{"dealer": wamp.Dict{"features": wamp.Dict{}}})
		r.serveGoodbye(func(m wamp.Message) {
			if reg, ok := m.(*wamp.Register); ok {
				registers <- reg
				r.send(&wamp.Registered{Request: reg.Request, Registration: 8})
			}
		})
	})
	restoreErr := make(chan error, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := wamptest.ConnectLocal(ctx, router, client.WithReconnect(wamptest.FastBackoff),
		client.WithRestoreErrorHandler(func(_ *client.Registration, err error) { restoreErr <- err }))
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	first := c.RouterFeatures()
	require.True(t, first.Dealer(client.FeaturePatternBasedRegistration))

	reg, err := c.Register(ctx, "com.app", noop, client.RegisterOptions{Match: client.MatchPrefix})
	require.NoError(t, err)
	close(drop)
	select {
	case <-reg.Done():
	case <-ctx.Done():
		t.Fatal("the registration did not end")
	}
	require.ErrorIs(t, reg.Err(), client.ErrFeatureNotSupported)
	assert.Contains(t, reg.Err().Error(), client.FeaturePatternBasedRegistration)
	require.ErrorIs(t, <-restoreErr, client.ErrFeatureNotSupported)
	assert.False(t, c.RouterFeatures().Dealer(client.FeaturePatternBasedRegistration), "the new router's features")
	assert.True(t, first.Dealer(client.FeaturePatternBasedRegistration), "a Features value does not change")
	select {
	case m := <-registers:
		t.Errorf("the new router got REGISTER %v", m.Options)
	default:
	}
	assert.False(t, errors.Is(reg.Err(), client.ErrConnectionLost))
}

// What the reference router and plain nexus v3.3.0 announce, over every
// transport, and what follows: everything the client checks for goes
// through on the reference router; on plain nexus registration_revocation
// is missing (it has no remove_callee and never revokes).
func TestRouterFeaturesOfKnownRouters(t *testing.T) {
	checked := []string{client.FeaturePatternBasedRegistration, client.FeatureSharedRegistration,
		client.FeatureCallerIdentification, client.FeatureCallTimeout, client.FeatureCallCanceling,
		client.FeatureProgressiveCallResults, client.FeatureProgressiveInvocations}
	ref := wamptest.NewRouter(t)
	for _, tr := range wamptest.Transports() {
		t.Run("reference/"+tr.Name, func(t *testing.T) {
			c := ref.Connect(t, tr)
			f := c.RouterFeatures()
			for _, name := range append(checked, client.FeatureRegistrationRevocation) {
				assert.True(t, f.Dealer(name), name)
			}
			assert.True(t, f.Broker(client.FeaturePatternBasedSubscription))
			ctx := wamptest.Context(t)
			reg, err := c.Register(ctx, "com.features."+tr.Name, noop,
				client.RegisterOptions{Match: client.MatchPrefix, Invoke: client.InvokeRoundRobin})
			require.NoError(t, err)
			require.NoError(t, reg.Unregister(ctx))
		})
	}
	nx := startNexus(t)
	for _, tc := range transports() {
		t.Run("nexus/"+tc.name, func(t *testing.T) {
			f := tc.connect(t, nx).RouterFeatures()
			for _, name := range checked {
				assert.True(t, f.Dealer(name), name)
			}
			assert.False(t, f.Dealer(client.FeatureRegistrationRevocation))
			assert.Contains(t, f.Announced("dealer"), "payload_passthru_mode")
		})
	}
}
