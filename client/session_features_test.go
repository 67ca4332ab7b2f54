package client

import (
	"context"
	"errors"
	"testing"

	"github.com/gammazero/nexus/v3/wamp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A router that does not announce call_canceling never gets a CANCEL: a
// canceled call ends locally at once, in every mode, and the router's late
// RESULT is dropped.
func TestCancelWithoutCallCanceling(t *testing.T) {
	f := joinFake(t, sessionConfig{AssumeFeatures: []string{}}) // a dealer announcing nothing
	require.False(t, f.sess.Features().Dealer("call_canceling"))
	for _, mode := range []CancelMode{"kill", "killnowait", "skip"} {
		ctx, cancel := context.WithCancel(context.Background())
		call, c := f.startCall(ctx, engineCallRequest{Procedure: "com.app.x", CancelMode: mode})
		cancel()
		_, err := call.Next(ctx)
		require.ErrorIs(t, err, context.Canceled, mode)
		var ce *canceledError
		require.True(t, errors.As(err, &ce))
		assert.Empty(t, ce.mode, "no CANCEL sent")
		assert.Contains(t, err.Error(), "does not announce call_canceling")
		f.send(&wamp.Result{Request: c.Request, Details: wamp.Dict{}}) // the call ran on: dropped
	}
	call, c := f.startCall(context.Background(), engineCallRequest{Procedure: "com.app.y"})
	call.Cancel() // explicit cancel: the same
	_, err := call.Next(context.Background())
	require.ErrorIs(t, err, context.Canceled)
	// The next thing the router hears is the next CALL, not a CANCEL.
	_, c2 := f.startCall(context.Background(), engineCallRequest{Procedure: "com.app.z"})
	assert.Equal(t, c.Request+1, c2.Request)
}

// Features reads WELCOME.Details.roles; anything but true announces
// nothing, and assumed features count for both roles.
func TestFeaturesFromWelcome(t *testing.T) {
	f := joinFake(t, sessionConfig{})
	feats := f.sess.Features()
	assert.True(t, feats.Dealer("call_canceling"))
	assert.True(t, feats.Has("progressive_call_results"))
	assert.False(t, feats.Dealer("shared_registration"))
	assert.False(t, feats.Broker("call_canceling"))
	assert.Equal(t, []string{"dealer"}, feats.Roles())
	assert.True(t, feats.HasRole("dealer"))
	assert.False(t, feats.HasRole("broker"))

	g := joinFake(t, sessionConfig{AssumeFeatures: []string{"shared_registration"}})
	assert.True(t, g.sess.Features().Dealer("shared_registration"))
	assert.True(t, g.sess.Features().Broker("shared_registration"))
	assert.False(t, g.sess.Features().Dealer("call_canceling"))
	assert.Empty(t, g.sess.Features().Announced("dealer"))
}

// xconn-go's nxt announces progressive_call_invocations without
// progressive_call_results, which it implements: the first implies the
// second.
func TestProgressiveInvocationsImplyResults(t *testing.T) {
	f := joinFakeWith(t, sessionConfig{}, wamp.Dict{"roles": wamp.Dict{
		"dealer": wamp.Dict{"features": wamp.Dict{"progressive_call_invocations": true, "call_canceling": true}},
		"broker": wamp.Dict{"features": wamp.Dict{"publisher_exclusion": true}},
	}})
	assert.True(t, f.sess.Features().Dealer("progressive_call_results"))
	assert.False(t, f.sess.Features().Dealer("call_timeout"))
}
