package client_test

import (
	"context"
	"maps"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/client"
)

// Bad REGISTER options fail with ErrInvalidOption before anything else is
// looked at (here: the client is closed), and the caller's Extra map is
// left as it was.
func TestRegisterOptionsRefused(t *testing.T) {
	r := startNexus(t)
	c := dial(t, r.wsURL)
	closeClient(t, c)
	ctx := ctxT(t)
	for name, opts := range map[string]client.RegisterOptions{
		"unknown match":           {Match: "fuzzy"},
		"unknown policy":          {Invoke: "sometimes"},
		"raw match invalid":       {Extra: map[string]any{"match": "fuzzy"}},
		"raw match not a string":  {Extra: map[string]any{"match": 1}},
		"raw match conflicts":     {Match: client.MatchPrefix, Extra: map[string]any{"match": "exact"}},
		"raw invoke invalid":      {Extra: map[string]any{"invoke": 3}},
		"raw invoke conflicts":    {Invoke: client.InvokeFirst, Extra: map[string]any{"invoke": "last"}},
		"raw disclose not bool":   {Extra: map[string]any{"disclose_caller": "yes"}},
		"raw disclose conflicts":  {DiscloseCaller: true, Extra: map[string]any{"disclose_caller": false}},
		"raw forward_timeout nil": {Extra: map[string]any{"forward_timeout": nil}},
		"raw match empty":         {Extra: map[string]any{"match": ""}},
	} {
		t.Run(name, func(t *testing.T) {
			before := maps.Clone(opts.Extra)
			_, err := c.Register(ctx, "com.app.x", noop, opts)
			assert.ErrorIs(t, err, client.ErrInvalidOption)
			assert.Equal(t, before, opts.Extra, "the caller's map is not modified")
		})
	}
	_, err := c.Register(ctx, "com.app.x", noop, client.RegisterOptions{Match: client.MatchExact})
	assert.ErrorIs(t, err, client.ErrClosed, "valid options reach the closed-client check")
}

// The keys of Extra that a field covers are read into the field: the
// router registers what they say, Options reports them typed, and the
// other keys stay in Extra, copied.
func TestRegisterOptionsExtraReadIntoFields(t *testing.T) {
	r := startNexus(t)
	callee, caller := dial(t, r.wsURL), dial(t, r.wsURL)
	ctx := ctxT(t)
	extra := map[string]any{"match": "prefix", "invoke": "roundrobin", "disclose_caller": true, "x_custom": "v"}
	before := maps.Clone(extra)
	reg, err := callee.Register(ctx, "com.app.", func(_ context.Context, inv *client.Invocation) (client.Payload, error) {
		return client.Payload{Args: []any{inv.Procedure(), uint64(inv.Caller())}}, nil
	}, client.RegisterOptions{Match: client.MatchPrefix, Extra: extra})
	require.NoError(t, err)
	assert.Equal(t, before, extra, "the caller's map is not modified")
	want := client.RegisterOptions{Match: client.MatchPrefix, Invoke: client.InvokeRoundRobin,
		DiscloseCaller: true, Extra: map[string]any{"x_custom": "v"}}
	assert.Equal(t, want, reg.Options())
	got := reg.Options()
	got.Extra["x_custom"] = "changed"
	assert.Equal(t, want, reg.Options(), "Options returns a copy")

	res, err := caller.Call(ctx, client.CallRequest{Procedure: "com.app.echo"}, nil)
	require.NoError(t, err)
	require.Len(t, res.Args, 2)
	assert.Equal(t, "com.app.echo", res.Args[0], "the prefix registration got the call")
	assert.EqualValues(t, uint64(caller.ID()), res.Args[1], "disclose_caller reached the router")
}

// SUBSCRIBE and PUBLISH options follow the same rules: bad values fail with
// ErrInvalidOption before anything is sent; Extra's covered keys are read
// into the fields and do what the fields do.
func TestSubscribePublishOptions(t *testing.T) {
	r := startNexus(t)
	c := dial(t, r.wsURL)
	ctx := ctxT(t)
	h := func(*client.Event) {}
	yes, no := true, false
	for name, opts := range map[string]client.SubscribeOptions{
		"unknown match":       {Match: "fuzzy"},
		"raw match invalid":   {Extra: map[string]any{"match": true}},
		"raw match conflicts": {Match: client.MatchWildcard, Extra: map[string]any{"match": "prefix"}},
	} {
		_, err := c.Subscribe(ctx, "com.topic", h, opts)
		assert.ErrorIs(t, err, client.ErrInvalidOption, name)
	}
	for name, opts := range map[string]client.PublishOptions{
		"raw acknowledge not bool": {Extra: map[string]any{"acknowledge": "yes"}},
		"raw acknowledge conflict": {Acknowledge: true, Extra: map[string]any{"acknowledge": false}},
		"raw exclude_me not bool":  {Extra: map[string]any{"exclude_me": 0}},
		"raw exclude_me conflict":  {ExcludeMe: &yes, Extra: map[string]any{"exclude_me": false}},
	} {
		_, err := c.Publish(ctx, "com.topic", client.Payload{}, opts)
		assert.ErrorIs(t, err, client.ErrInvalidOption, name)
	}

	got := make(chan string, 4)
	_, err := c.Subscribe(ctx, "com.topic.", func(ev *client.Event) {
		got <- ev.Details["topic"].(string)
	}, client.SubscribeOptions{Extra: map[string]any{"match": "prefix"}})
	require.NoError(t, err)
	// exclude_me=false from Extra: the publisher gets its own event;
	// acknowledge from Extra: the router confirms with an ID.
	id, err := c.Publish(ctx, "com.topic.a", client.Payload{}, client.PublishOptions{
		ExcludeMe: &no, Extra: map[string]any{"acknowledge": true, "exclude_me": false}})
	require.NoError(t, err)
	assert.NotZero(t, id, "acknowledged")
	select {
	case topic := <-got:
		assert.Equal(t, "com.topic.a", topic, "the prefix subscription got the event")
	case <-ctx.Done():
		t.Fatal("no event: Extra's match or exclude_me was not applied")
	}
}

// A nil Option is skipped (the one rule of wampkit's options): the options
// around it still apply.
func TestNilOptionIsSkipped(t *testing.T) {
	r := startNexus(t)
	var none client.Option
	c := dial(t, r.wsURL, none, client.WithRealm("secure"), nil, client.WithTicket("alice", "alice-ticket"))
	assert.Equal(t, "secure", c.Realm())
}

// CALL options follow the same rules: Extra's timeout (milliseconds, the
// spec's unit), disclose_me, receive_progress and progress are read into
// their fields; a bad or conflicting value fails before anything is sent.
func TestCallRequestExtra(t *testing.T) {
	r := startNexus(t)
	callee, caller := dial(t, r.wsURL), dial(t, r.wsURL)
	ctx := ctxT(t)
	details := make(chan map[string]any, 1)
	_, err := callee.Register(ctx, "com.app.details", func(_ context.Context, inv *client.Invocation) (client.Payload, error) {
		details <- inv.Details()
		return client.Payload{}, nil
	}, client.RegisterOptions{ForwardTimeout: true})
	require.NoError(t, err)
	for name, extra := range map[string]map[string]any{
		"timeout not a number":      {"timeout": "soon"},
		"timeout negative":          {"timeout": -1},
		"timeout with a fraction":   {"timeout": 1.5},
		"disclose_me not a bool":    {"disclose_me": 1},
		"receive_progress not bool": {"receive_progress": "yes"},
	} {
		before := maps.Clone(extra)
		_, err := caller.Call(ctx, client.CallRequest{Procedure: "com.app.details", Extra: extra}, nil)
		assert.ErrorIs(t, err, client.ErrInvalidOption, name)
		assert.True(t, client.SafeToRetry(err), "%s: nothing was sent", name)
		assert.Equal(t, before, extra, "%s: the caller's map is not modified", name)
	}
	_, err = caller.Call(ctx, client.CallRequest{Procedure: "com.app.details", Timeout: time.Second,
		Extra: map[string]any{"timeout": 2000}}, nil)
	assert.ErrorIs(t, err, client.ErrInvalidOption, "timeout conflicts")
	select {
	case d := <-details:
		t.Fatalf("a refused call reached the callee: %v", d)
	default:
	}

	extra := map[string]any{"timeout": uint64(1500), "disclose_me": true, "x_custom": "v"}
	_, err = caller.Call(ctx, client.CallRequest{Procedure: "com.app.details", Timeout: 1500 * time.Millisecond, Extra: extra}, nil)
	require.NoError(t, err)
	d := <-details
	assert.EqualValues(t, 1500, d["timeout"], "the timeout went in milliseconds")
	assert.EqualValues(t, uint64(caller.ID()), d["caller"], "disclose_me reached the router")
	assert.Len(t, extra, 3, "the caller's map is not modified")
}
