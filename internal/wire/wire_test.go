package wire_test

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/transport/serialize"
	"github.com/gammazero/nexus/v3/wamp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/wampkit/wampkit/internal/wire"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var serializations = map[string]serialize.Serialization{
	"json": serialize.JSON, "msgpack": serialize.MSGPACK, "cbor": serialize.CBOR,
}

func TestRevocationDetailsSurviveEverySerializer(t *testing.T) {
	for name, s := range serializations {
		t.Run(name, func(t *testing.T) {
			ser, err := wire.NewSerializer(s)
			require.NoError(t, err)
			b, err := ser.Serialize(&wire.Unregistered{Request: 0, Details: wire.RevocationDetails(1293722, "moving endpoint")})
			require.NoError(t, err)
			msg, err := ser.Deserialize(b)
			require.NoError(t, err)
			u, ok := msg.(*wire.Unregistered)
			require.True(t, ok, "got %T", msg)
			id, _ := wamp.AsID(u.Details["registration"])
			assert.Equal(t, wamp.ID(1293722), id)
			assert.Equal(t, "moving endpoint", u.Details["reason"])

			// A plain UNREGISTERED reply keeps its request ID.
			b, err = ser.Serialize(&wamp.Unregistered{Request: 9})
			require.NoError(t, err)
			msg, err = ser.Deserialize(b)
			require.NoError(t, err)
			assert.Equal(t, wamp.ID(9), msg.(*wire.Unregistered).Request)
		})
	}
}

func TestGarbageBecomesMalformed(t *testing.T) {
	ser, err := wire.NewSerializer(serialize.JSON)
	require.NoError(t, err)
	for _, frame := range []string{``, `{`, `[]`, `["x"]`, `[67,0,"notadict"]`, `[48,"id",{},"p"]`} {
		msg, err := ser.Deserialize([]byte(frame))
		require.NoError(t, err, frame)
		_, ok := msg.(*wire.Malformed)
		assert.True(t, ok, "%q decoded to %T", frame, msg)
	}
}

// fakeRawServer accepts one rawsocket connection and answers the handshake
// with reply, then echoes frames back.
func fakeRawServer(t testing.TB, reply [4]byte) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan struct{})
	t.Cleanup(func() { _ = l.Close(); <-done })
	go func() {
		defer close(done)
		conn, err := l.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		var hello [4]byte
		if _, err := conn.Read(hello[:]); err != nil {
			return
		}
		_, _ = conn.Write(reply[:])
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			if _, err := conn.Write(buf[:n]); err != nil {
				return
			}
		}
	}()
	return l.Addr().String()
}

// rawPeer connects to an echoing fakeRawServer whose handshake reply
// accepts s (reply is that reply's second byte).
func rawPeer(t testing.TB, s serialize.Serialization, reply byte) *wire.RawSocketPeer {
	t.Helper()
	conn, err := net.Dial("tcp", fakeRawServer(t, [4]byte{0x7f, reply, 0, 0}))
	require.NoError(t, err)
	ser, err := wire.NewSerializer(s)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	p, err := wire.HandshakeRawSocket(ctx, conn, s, ser)
	require.NoError(t, err)
	t.Cleanup(p.Close)
	return p
}

func TestRawSocketFramesRoundTrip(t *testing.T) {
	p := rawPeer(t, serialize.JSON, 0xf1)
	p.Send() <- &wamp.Call{Request: 3, Options: wamp.Dict{}, Procedure: "com.echo", Arguments: wamp.List{"hi"}}
	select {
	case msg := <-p.Recv():
		c, ok := msg.(*wamp.Call)
		require.True(t, ok, "%T", msg)
		assert.Equal(t, wamp.List{"hi"}, c.Arguments)
	case <-time.After(2 * time.Second):
		t.Fatal("no echo")
	}
}

func TestRawSocketHandshakeRefusalIsExplained(t *testing.T) {
	addr := fakeRawServer(t, [4]byte{0x7f, 0x10, 0, 0}) // error 1: serializer unsupported
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	ser, _ := wire.NewSerializer(serialize.CBOR)
	_, err = wire.HandshakeRawSocket(context.Background(), conn, serialize.CBOR, ser)
	assert.ErrorContains(t, err, "serializer unsupported")
}

// Frames queued together are written together and read back from a stream
// that splits them anywhere: every message arrives whole and in order,
// including ones larger than the read buffer and the write batch.
func TestRawSocketManyFramesInOrder(t *testing.T) {
	p := rawPeer(t, serialize.MSGPACK, 0xf2)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	const n = 2000
	big := string(make([]byte, 100<<10)) // past the 64 KiB buffers
	go func() {
		for i := range n {
			arg := "x"
			if i%500 == 7 {
				arg = big
			}
			select {
			case p.Send() <- &wamp.Call{Request: wamp.ID(i + 1), Options: wamp.Dict{}, Procedure: "com.echo", Arguments: wamp.List{arg}}:
			case <-ctx.Done():
				return
			}
		}
	}()
	for i := range n {
		select {
		case msg := <-p.Recv():
			c, ok := msg.(*wamp.Call)
			require.True(t, ok, "message %d: %T", i, msg)
			require.Equal(t, wamp.ID(i+1), c.Request, "in order")
			if i%500 == 7 {
				require.Len(t, c.Arguments[0], len(big))
			}
		case <-ctx.Done():
			t.Fatalf("only %d of %d messages came back", i, n)
		}
	}
}

// The router side of the rawsocket handshake answers with the client's
// serializer, and refuses one it does not know with the spec's error code.
func TestAcceptRawSocketHandshake(t *testing.T) {
	for _, c := range []struct {
		hello byte
		reply byte
		ok    bool
	}{{0xf2, 0xf2, true}, {0xf1, 0xf1, true}, {0xf3, 0xf3, true}, {0xf7, 1 << 4, false}} {
		client, server := net.Pipe()
		type result struct {
			p   *wire.RawSocketPeer
			err error
		}
		done := make(chan result, 1)
		go func() {
			p, err := wire.AcceptRawSocket(server, wire.NewSerializer)
			done <- result{p, err}
		}()
		_ = client.SetDeadline(time.Now().Add(2 * time.Second))
		_, err := client.Write([]byte{0x7f, c.hello, 0, 0})
		require.NoError(t, err)
		var reply [4]byte
		_, err = io.ReadFull(client, reply[:])
		require.NoError(t, err)
		assert.Equal(t, [4]byte{0x7f, c.reply, 0, 0}, reply, "hello %x", c.hello)
		res := <-done
		if c.ok {
			require.NoError(t, res.err)
			res.p.Close()
		} else {
			assert.Error(t, res.err)
			_ = server.Close()
		}
		_ = client.Close()
	}
}
