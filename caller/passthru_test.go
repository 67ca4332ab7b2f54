package caller_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/callee"
	"github.com/wampkit/wampkit/caller"
	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest"
)

// The typed API hands a Payload Passthru Mode payload on only to a
// client.Payload, both ways; any other type gets a clear error, never the
// bytes decoded as something else. Through the reference router, over
// websocket (JSON: the bytes travel in the spec's binary string).
func TestPassthruTyped(t *testing.T) {
	r := wamptest.NewRouter(t)
	srv, c := r.WS(t), r.WS(t)
	ctx := wamptest.Context(t)
	ppt := &client.Passthru{Scheme: "x_custom", Serializer: "msgpack", Payload: []byte{9, 8, 7}}

	// A typed callee that takes and returns client.Payload echoes PPT.
	_, err := callee.Register(ctx, srv, "com.example.ppt.echo", func(_ context.Context, in client.Payload) (client.Payload, error) {
		return in, nil
	})
	require.NoError(t, err)
	out, err := caller.Call[client.Payload](ctx, c, "com.example.ppt.echo", client.Payload{Passthru: ppt})
	require.NoError(t, err)
	require.NotNil(t, out.Passthru)
	assert.Equal(t, *ppt, *out.Passthru)

	// A result in PPT does not decode into a string.
	_, err = caller.Call[string](ctx, c, "com.example.ppt.echo", client.Payload{Passthru: ppt})
	assert.ErrorIs(t, err, client.ErrPassthru)

	// A typed callee taking a string refuses a PPT invocation.
	_, err = callee.Register(ctx, srv, "com.example.ppt.string", func(_ context.Context, in string) (string, error) {
		return in, nil
	})
	require.NoError(t, err)
	_, err = caller.Call[client.Payload](ctx, c, "com.example.ppt.string", client.Payload{Passthru: ppt})
	var werr *client.Error
	require.ErrorAs(t, err, &werr)
	assert.ErrorIs(t, err, client.ErrInvalidArgument)
	assert.Contains(t, werr.Message(), "Payload Passthru Mode")
}
