package wire_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/transport/serialize"
	"github.com/gammazero/nexus/v3/wamp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/internal/wire"
)

// A message of exactly 2^24 bytes does not fit the rawsocket frame's 24-bit
// length: it is reported unsent (it would have gone out with length 0), and
// the connection carries on.
func TestRawSocketMessageOf2To24BytesIsNotWrapped(t *testing.T) {
	p := rawPeer(t, serialize.JSON, 0xf1) // the router announces 2^24
	assert.Equal(t, 1<<24-1, p.MaxMessage())
	type report struct {
		msg wamp.Message
		err error
	}
	unsent := make(chan report, 1)
	p.OnUnsent(func(msg wamp.Message, err error) { unsent <- report{msg, err} })

	base, err := p.EncodedSize(&wamp.Publish{Request: 1, Options: wamp.Dict{}, Topic: "t", Arguments: wamp.List{""}})
	require.NoError(t, err)
	huge := &wamp.Publish{Request: 1, Options: wamp.Dict{}, Topic: "t", Arguments: wamp.List{strings.Repeat("a", 1<<24-base)}}
	n, err := p.EncodedSize(huge)
	require.NoError(t, err)
	require.Equal(t, 1<<24, n)
	p.Send() <- huge
	select {
	case r := <-unsent:
		assert.Same(t, huge, r.msg)
		var tl *wire.TooLargeError
		require.ErrorAs(t, r.err, &tl)
		assert.Equal(t, 1<<24, tl.Size)
	case <-time.After(10 * time.Second):
		t.Fatal("not reported")
	}
	p.Send() <- &wamp.Publish{Request: 2, Options: wamp.Dict{}, Topic: "t", Arguments: wamp.List{"next"}}
	select {
	case m := <-p.Recv(): // the echo server sends our frames back
		pub, ok := m.(*wamp.Publish)
		require.True(t, ok, "%T", m)
		assert.Equal(t, wamp.ID(2), pub.Request)
	case <-time.After(5 * time.Second):
		t.Fatal("connection did not carry on")
	}
}
