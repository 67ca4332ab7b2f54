package client_test

import (
	"context"
	"maps"
	"testing"

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
