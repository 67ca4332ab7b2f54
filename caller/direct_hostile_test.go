package caller_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/wamp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/callee"
	"github.com/wampkit/wampkit/caller"
	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest/hostile"
)

// msgpackID appends a request ID in MessagePack.
func msgpackID(b []byte, id wamp.ID) []byte {
	if id < 128 {
		return append(b, byte(id))
	}
	b = append(b, 0xcf)
	for i := 7; i >= 0; i-- {
		b = append(b, byte(uint64(id)>>(8*i)))
	}
	return b
}

// connectMsgPack connects a client to r over rawsocket in MessagePack, the
// serialization the tests' hand-written frames are in, closed at the
// test's end.
func connectMsgPack(ctx context.Context, t *testing.T, r *hostile.Router) *client.Client {
	t.Helper()
	c, err := client.Connect(ctx, r.RawSocketURL(), client.WithSerialization(client.MsgPack), client.WithoutReconnect())
	require.NoError(t, err)
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// truncatedObject is a MessagePack map that claims two entries and holds
// one: a frame that ends inside the object a typed reader is handed.
var truncatedObject = []byte{0x82, 0xa4, 'n', 'a', 'm', 'e', 0xa1, 'x'}

// TestMalformedKeptObjectFailsTheCallNotTheSession: a router's RESULT whose
// object the client keeps undecoded for the typed caller, and which does
// not decode, fails that call with ErrProtocol; the session goes on.
func TestMalformedKeptObjectFailsTheCallNotTheSession(t *testing.T) {
	r := hostile.New(t, func(c *hostile.Conn) {
		c.Welcome(nil)
		call := c.Expect(wamp.CALL).(*wamp.Call)
		frame := msgpackID([]byte{0x94, byte(wamp.RESULT)}, call.Request)
		frame = append(append(frame, 0x80, 0x91), truncatedObject...)
		c.WriteRaw(hostile.RawFrame(0, frame))
		c.Serve(nil)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := connectMsgPack(ctx, t, r)
	_, err := caller.Call[doc](ctx, c, "test.result", sentDoc)
	require.Error(t, err)
	assert.True(t, errors.Is(err, client.ErrProtocol), "got %v", err)
	assert.Equal(t, client.Connected, c.State(), "the session stays up")
}

// TestMalformedKeptObjectIsAnsweredInvalidArgument: an INVOCATION whose
// object the client keeps undecoded for a typed handler, and which does not
// decode, is answered wamp.error.invalid_argument without running the
// handler.
func TestMalformedKeptObjectIsAnsweredInvalidArgument(t *testing.T) {
	answered := make(chan wamp.Message, 1)
	registered := make(chan struct{})
	r := hostile.New(t, func(c *hostile.Conn) {
		c.Welcome(nil)
		reg := c.Expect(wamp.REGISTER).(*wamp.Register)
		c.Send(&wamp.Registered{Request: reg.Request, Registration: 7})
		<-registered // the client decides what to keep as it decodes: it must know the registration
		frame := msgpackID([]byte{0x95, byte(wamp.INVOCATION)}, 99)
		frame = append(append(append(frame, 7, 0x80), 0x91), truncatedObject...)
		c.WriteRaw(hostile.RawFrame(0, frame))
		m, err := c.Recv(5 * time.Second)
		if err == nil {
			answered <- m
		}
		c.Serve(nil)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := connectMsgPack(ctx, t, r)
	ran := make(chan struct{}, 1)
	_, err := callee.Register(ctx, c, "test.input", func(_ context.Context, in doc) (doc, error) {
		ran <- struct{}{}
		return in, nil
	})
	require.NoError(t, err)
	close(registered)
	select {
	case m := <-answered:
		e, ok := m.(*wamp.Error)
		require.True(t, ok, "answered %#v", m)
		assert.Equal(t, wamp.URI("wamp.error.invalid_argument"), e.Error)
		assert.Equal(t, wamp.ID(99), e.Request)
	case <-ctx.Done():
		t.Fatal("no answer")
	}
	assert.Empty(t, ran, "the handler did not run")
	assert.Equal(t, client.Connected, c.State(), "the session stays up")
}
