package wire_test

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/transport/serialize"
	"github.com/gammazero/nexus/v3/wamp"
	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/internal/wire"
)

// sendContexter is what the session uses of a wire peer to send.
type sendContexter interface {
	SendContext(ctx context.Context, stop <-chan struct{}, msg wamp.Message) error
	Recv() <-chan wamp.Message
}

// Several goroutines send through SendContext at once, some messages large
// (the writer is busy, so others queue) and some progressive chunks (always
// queued): every message arrives, and each sender's messages arrive in the
// order it sent them, whether written by the sender or by the writer.
func TestSendContextKeepsEachSendersOrder(t *testing.T) {
	const senders, each = 4, 300
	big := strings.Repeat("b", 200<<10)
	peers := map[string]func(t *testing.T) sendContexter{
		"rawsocket": func(t *testing.T) sendContexter { return rawPeer(t, serialize.MSGPACK, 0xf2) },
		"websocket": func(t *testing.T) sendContexter {
			url := wsServer(t, func(conn *websocket.Conn) {
				for { // echo
					kind, b, err := conn.ReadMessage()
					if err != nil || conn.WriteMessage(kind, b) != nil {
						return
					}
				}
			})
			return dialWS(t, url, "wamp.2.msgpack", serialize.MSGPACK, 0)
		},
	}
	for name, peer := range peers {
		t.Run(name, func(t *testing.T) {
			p := peer(t)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			stop := make(chan struct{})
			var wg sync.WaitGroup
			errs := make(chan error, senders)
			for s := range senders {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range each {
						opts, arg := wamp.Dict{}, "x"
						switch i % 50 {
						case 3:
							arg = big
						case 10, 11, 12:
							opts = wamp.Dict{wamp.OptProgress: true}
						}
						msg := &wamp.Call{Request: wamp.ID(s*10000 + i + 1), Options: opts, Procedure: "com.echo", Arguments: wamp.List{arg}}
						if err := p.SendContext(ctx, stop, msg); err != nil {
							errs <- err
							return
						}
					}
				}()
			}
			next := make([]wamp.ID, senders)
			for got := 0; got < senders*each; got++ {
				select {
				case msg, ok := <-p.Recv():
					require.True(t, ok, "the connection ended after %d messages", got)
					c, isCall := msg.(*wamp.Call)
					require.True(t, isCall, "%T", msg)
					s, i := int(c.Request)/10000, wamp.ID(int(c.Request)%10000)
					require.Less(t, s, senders)
					require.Equal(t, next[s]+1, i, "sender %d's messages in order", s)
					next[s] = i
				case err := <-errs:
					t.Fatal(err)
				case <-ctx.Done():
					t.Fatalf("only %d of %d messages came back", got, senders*each)
				}
			}
			wg.Wait()
		})
	}
}

// A router that stops reading: a sender writing through blocks in the
// write, and its context's deadline still bounds SendContext (the
// connection is dropped: a frame cannot be half sent); a sender that queues
// behind it returns at its own deadline with the context's error, and
// Close ends it all.
func TestSendContextIsBoundedByTheDeadlineWhenTheRouterDoesNotRead(t *testing.T) {
	p, rtr := peerOnDeafRouter(t)
	defer func() { p.Close(); _ = rtr.Close() }()

	msg := func(id int) wamp.Message {
		return &wamp.Call{Request: wamp.ID(id), Options: wamp.Dict{}, Procedure: "com.echo", Arguments: wamp.List{"x"}}
	}
	stop := make(chan struct{})
	first := make(chan error, 1)
	began := time.Now()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		first <- p.SendContext(ctx, stop, msg(1))
	}()
	select {
	case err := <-first:
		assert.NoError(t, err, "written through, then dropped with the connection")
	case <-time.After(10 * time.Second):
		t.Fatal("a sender blocked in its write outlived its deadline")
	}
	assert.Less(t, time.Since(began), 10*time.Second)
	select {
	case _, ok := <-p.Recv():
		assert.False(t, ok, "the connection is dropped")
	case <-time.After(10 * time.Second):
		t.Fatal("the connection was not dropped")
	}
	// Once the peer has gone, a sender is released by stop (the session's
	// end) or by its context.
	close(stop)
	assert.True(t, errors.Is(p.SendContext(context.Background(), stop, msg(2)), wire.ErrPeerStopped))
}

// A sender writing through with no deadline to a router that does not read
// is released by Close (the session's end), within its flush bound.
func TestSendContextBlockedWriteEndsAtClose(t *testing.T) {
	p, rtr := peerOnDeafRouter(t)
	defer rtr.Close()
	sent := make(chan error, 1)
	go func() {
		sent <- p.SendContext(context.Background(), nil, &wamp.Call{Request: 1, Options: wamp.Dict{}, Procedure: "p"})
	}()
	time.Sleep(50 * time.Millisecond) // usually blocked in its write by now; either way Close must end it
	closed := make(chan struct{})
	go func() { p.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not end a blocked write")
	}
	select {
	case err := <-sent:
		assert.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("the sender was not released")
	}
}

// peerOnDeafRouter is a rawsocket peer over an unbuffered pipe (a write
// blocks until read) whose router end answers the handshake and then reads
// nothing more.
func peerOnDeafRouter(t *testing.T) (*wire.RawSocketPeer, net.Conn) {
	t.Helper()
	ser, err := wire.NewSerializer(serialize.MSGPACK)
	require.NoError(t, err)
	cli, rtr := net.Pipe()
	routerDone := make(chan struct{})
	go func() {
		defer close(routerDone)
		var hello [4]byte
		if _, err := io.ReadFull(rtr, hello[:]); err != nil {
			return
		}
		_, _ = rtr.Write([]byte{0x7f, 0xf0 | hello[1]&0x0f, 0, 0})
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p, err := wire.HandshakeRawSocket(ctx, cli, serialize.MSGPACK, ser)
	require.NoError(t, err)
	<-routerDone
	return p, rtr
}
