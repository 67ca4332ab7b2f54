package wire_test

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/transport/serialize"
	"github.com/gammazero/nexus/v3/wamp"
	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/internal/wire"
)

// A router that sends 1 MiB EVENTs faster than the session takes them:
// the peer stops reading the connection once about 32 MiB are queued (the
// receive budget), not at 64 messages (64 MiB), and reads on as the
// session takes messages; nothing is lost or reordered.
func TestRawSocketReceiveQueueIsBoundedInBytes(t *testing.T) {
	const frames, payload = 80, 1 << 20
	ser, err := wire.NewSerializer(serialize.MSGPACK)
	require.NoError(t, err)
	cli, rtr := net.Pipe()
	var written atomic.Int64 // frames the peer has read in full
	routerDone := make(chan struct{})
	go func() {
		defer close(routerDone)
		defer rtr.Close()
		var hello [4]byte
		if _, err := io.ReadFull(rtr, hello[:]); err != nil {
			return
		}
		if _, err := rtr.Write([]byte{0x7f, 0xf0 | hello[1]&0x0f, 0, 0}); err != nil {
			return
		}
		go func() { _, _ = io.Copy(io.Discard, rtr) }()
		// [EVENT, 1, i, {}, [<payload bytes>]] in MessagePack, cheap to
		// decode (a copy) even under the race detector.
		head := []byte{0x95, 36, 1, 0xce, 0, 0, 0, 0, 0x80, 0x91, 0xc6}
		head = binary.BigEndian.AppendUint32(head, payload)
		frame := rawFrame(0, string(head)+strings.Repeat("a", payload))
		for i := 1; i <= frames; i++ {
			binary.BigEndian.PutUint32(frame[4+4:], uint32(i))
			// net.Pipe: Write returns once the peer has read it all.
			if _, err := rtr.Write(frame); err != nil {
				return
			}
			written.Add(1)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, err := wire.HandshakeRawSocket(ctx, cli, serialize.MSGPACK, ser)
	require.NoError(t, err)
	defer func() { p.Close(); <-routerDone }()

	// settled waits until the router's writes stop progressing.
	// settled waits until the router has written atLeast frames and its
	// writes then stop progressing.
	settled := func(atLeast int64) int64 {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		last, since := written.Load(), time.Now()
		for time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
			if n := written.Load(); n != last || n < atLeast {
				last, since = n, time.Now()
			} else if time.Since(since) > 500*time.Millisecond {
				return n
			}
		}
		t.Fatal("the router never stopped writing")
		return 0
	}
	// 31 frames of 1 MiB and a bit are queued, the 32nd waits decoded, and
	// the 64 KiB read buffer may hold the start of the 33rd.
	n := settled(31)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("nobody reading: %d frames of %d bytes read from the connection, heap in use %d MiB", n, payload, ms.HeapInuse>>20)
	assert.GreaterOrEqual(t, n, int64(31))
	assert.LessOrEqual(t, n, int64(32), "the reader read past its budget")

	next := 1
	take := func(k int) {
		t.Helper()
		for range k {
			select {
			case m, ok := <-p.Recv():
				require.True(t, ok, "the peer ended")
				ev, isEvent := m.(*wamp.Event)
				require.True(t, isEvent, "%T", m)
				require.Equal(t, wamp.ID(next), ev.Publication)
				require.Len(t, ev.Arguments[0], payload)
				next++
			case <-time.After(30 * time.Second):
				t.Fatalf("message %d did not arrive", next)
			}
		}
	}
	take(8) // the reader reads on, as far as the budget again
	m := settled(n + 7)
	assert.GreaterOrEqual(t, m, n+7)
	assert.LessOrEqual(t, m, n+8, "the reader read past its budget")
	take(frames - 8) // and everything arrives, in order
	<-routerDone
}

// BenchmarkRawSocketRecv: small EVENTs from a router to a reading session
// (the receive path's cost per message, with its byte accounting).
func BenchmarkRawSocketRecv(b *testing.B) {
	ser, err := wire.NewSerializer(serialize.MSGPACK)
	require.NoError(b, err)
	cli, rtr := net.Pipe()
	routerDone := make(chan struct{})
	go func() {
		defer close(routerDone)
		defer rtr.Close()
		var hello [4]byte
		if _, err := io.ReadFull(rtr, hello[:]); err != nil {
			return
		}
		if _, err := rtr.Write([]byte{0x7f, 0xf0 | hello[1]&0x0f, 0, 0}); err != nil {
			return
		}
		go func() { _, _ = io.Copy(io.Discard, rtr) }()
		frame := rawFrame(0, "\x95\x24\x01\x02\x80\x91\xa5hello")
		batch := make([]byte, 0, 64*len(frame))
		for range 64 {
			batch = append(batch, frame...)
		}
		for i := 0; i < b.N; i += 64 {
			if _, err := rtr.Write(batch); err != nil {
				return
			}
		}
	}()
	p, err := wire.HandshakeRawSocket(context.Background(), cli, serialize.MSGPACK, ser)
	require.NoError(b, err)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, ok := <-p.Recv(); !ok {
			b.Fatal("the peer ended")
		}
	}
	b.StopTimer()
	p.Close()
	<-routerDone
}

// The same over websocket: the server's writes stop once the client's
// queue holds the budget, give or take what the kernel's socket buffers
// hold (a few MiB on loopback), far short of 64 messages.
func TestWebsocketReceiveQueueIsBoundedInBytes(t *testing.T) {
	const frames, payload = 80, 1 << 20
	var written atomic.Int64
	url := wsServer(t, func(conn *websocket.Conn) {
		head := []byte{0x95, 36, 1, 0xce, 0, 0, 0, 0, 0x80, 0x91, 0xc6}
		head = binary.BigEndian.AppendUint32(head, payload)
		msg := append(head, strings.Repeat("a", payload)...)
		for i := 1; i <= frames; i++ {
			binary.BigEndian.PutUint32(msg[4:], uint32(i))
			if conn.WriteMessage(websocket.BinaryMessage, msg) != nil {
				return
			}
			written.Add(1)
		}
		_, _, _ = conn.ReadMessage() // until the client closes
	})
	p := dialWS(t, url, "wamp.2.msgpack", serialize.MSGPACK, 0)

	deadline := time.Now().Add(30 * time.Second)
	last, since := written.Load(), time.Now()
	for time.Now().Before(deadline) && (written.Load() < 31 || time.Since(since) < 500*time.Millisecond) {
		time.Sleep(20 * time.Millisecond)
		if n := written.Load(); n != last {
			last, since = n, time.Now()
		}
	}
	n := written.Load()
	t.Logf("nobody reading: the server wrote %d messages of %d bytes", n, payload)
	assert.GreaterOrEqual(t, n, int64(31))
	assert.Less(t, n, int64(50), "the reader read past its budget")
	for i := 1; i <= frames; i++ {
		select {
		case m, ok := <-p.Recv():
			require.True(t, ok, "the peer ended")
			ev, isEvent := m.(*wamp.Event)
			require.True(t, isEvent, "%T", m)
			require.Equal(t, wamp.ID(i), ev.Publication)
		case <-time.After(30 * time.Second):
			t.Fatalf("message %d did not arrive", i)
		}
	}
}
