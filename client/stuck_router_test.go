package client_test

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/client"
)

// stuckRouter is a rawsocket JSON router that welcomes the client, reads n
// frames after HELLO, and then reads nothing more and says nothing, its TCP
// connection up: a router whose reader is stuck. read closes when it stops
// reading.
func stuckRouter(t *testing.T, n int) (url string, read <-chan struct{}) {
	t.Helper()
	return stuckRouterThen(t, n, nil)
}

// stuckRouterThen is stuckRouter, which runs then (unless nil) on the
// connection once it has stopped reading: what the stuck router still
// says. then returns by the test's end.
func stuckRouterThen(t *testing.T, n int, then func(net.Conn)) (url string, read <-chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	stopped := make(chan struct{})
	done := make(chan struct{})
	var (
		mu   sync.Mutex
		conn net.Conn
	)
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		mu.Lock()
		conn = c
		mu.Unlock()
		var hs [4]byte
		if _, err := io.ReadFull(c, hs[:]); err != nil {
			return
		}
		if _, err := c.Write([]byte{0x7f, 0xf1, 0, 0}); err != nil { // JSON, 16 MiB frames
			return
		}
		frame := func() error {
			var h [4]byte
			if _, err := io.ReadFull(c, h[:]); err != nil {
				return err
			}
			_, err := io.CopyN(io.Discard, c, int64(binary.BigEndian.Uint32(h[:])&0xffffff))
			return err
		}
		if frame() != nil { // HELLO
			return
		}
		welcome := `[2,123,{"roles":{"dealer":{"features":{"call_canceling":true}},"broker":{}}}]`
		h := binary.BigEndian.AppendUint32(nil, uint32(len(welcome)))
		if _, err := c.Write(append(h, welcome...)); err != nil {
			return
		}
		for range n {
			if frame() != nil {
				return
			}
		}
		close(stopped)
		if then != nil {
			then(c)
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		<-done
		mu.Lock()
		if conn != nil {
			_ = conn.Close()
		}
		mu.Unlock()
	})
	return "tcp://" + ln.Addr().String(), stopped
}

// fillWrites fills c's way to a router that stopped reading: a write of 4
// MiB blocks on the full socket, and n small publishes fill the queues
// behind it. Their goroutines end when the session does.
func fillWrites(c *client.Client, n int) {
	big := client.Payload{Args: []any{strings.Repeat("x", 4<<20)}}
	go func() {
		for range 4 {
			if _, err := c.Publish(context.Background(), "com.example.fill", big, client.PublishOptions{}); err != nil {
				return
			}
		}
	}()
	time.Sleep(300 * time.Millisecond) // the large write blocks first
	for range n {
		go func() {
			_, _ = c.Publish(context.Background(), "com.example.fill", client.Payload{Args: []any{1}}, client.PublishOptions{})
		}()
	}
}

func closeSoon(t *testing.T, c *client.Client) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = c.Close(ctx)
}

// A call whose ctx ends while the way to the router is full (the router
// stopped reading) returns at once: its CANCEL waits for room only briefly.
func TestCallReturnsWhenCtxEndsWithTheWriteQueueFull(t *testing.T) {
	url, read := stuckRouter(t, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := client.Connect(ctx, url, client.WithRealm("realm1"), client.WithKeepAlive(0), client.WithoutReconnect())
	require.NoError(t, err)
	defer closeSoon(t, c)
	callCtx, callCancel := context.WithCancel(ctx)
	pc, err := c.StartCall(callCtx, client.CallRequest{Procedure: "com.example.slow"})
	require.NoError(t, err)
	<-read // the CALL went out; nothing more is read
	fillWrites(c, 300)
	time.Sleep(500 * time.Millisecond) // the queues fill
	res := make(chan error, 1)
	go func() { _, err := pc.Next(callCtx); res <- err }()
	callCancel()
	select {
	case err := <-res:
		require.ErrorIs(t, err, client.ErrCanceled)
	case <-time.After(3 * time.Second):
		t.Fatal("Next still blocked 3 s after its ctx ended: the CANCEL waits for room without bound")
	}
}

// Keepalive drops a router that stopped reading while the client writes
// to it, and the client sees the connection lost.
func TestKeepAliveDropsARouterThatStoppedReading(t *testing.T) {
	url, read := stuckRouter(t, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const interval = 200 * time.Millisecond
	c, err := client.Connect(ctx, url, client.WithRealm("realm1"), client.WithKeepAlive(interval), client.WithoutReconnect())
	require.NoError(t, err)
	defer closeSoon(t, c)
	<-read
	fillWrites(c, 0)
	wctx, wcancel := context.WithTimeout(ctx, 25*interval)
	defer wcancel()
	require.NoError(t, c.WaitState(wctx, client.Closed), "keepalive did not drop a router that stopped reading")
}

// A router that stopped reading, the client's way to it full, sends an
// INVOCATION for a registration the session does not have: the refusal
// the read loop sends itself waits a bounded time, then the client takes
// the router as gone (the connection is lost) instead of leaving its read
// loop, and with it every result, event and invocation, blocked for good.
func TestReadLoopReplyToARouterThatStoppedReadingIsBounded(t *testing.T) {
	invoke := make(chan struct{})
	url, read := stuckRouterThen(t, 0, func(c net.Conn) {
		select {
		case <-invoke:
		case <-t.Context().Done():
			return
		}
		inv := `[68,7,999,{}]` // INVOCATION for registration 999, which the client does not have
		_, _ = c.Write(append(binary.BigEndian.AppendUint32(nil, uint32(len(inv))), inv...))
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := client.Connect(ctx, url, client.WithRealm("realm1"), client.WithKeepAlive(0), client.WithoutReconnect())
	require.NoError(t, err)
	defer closeSoon(t, c)
	<-read
	fillWrites(c, 300)
	time.Sleep(500 * time.Millisecond) // the queues fill
	close(invoke)
	begin := time.Now()
	// The bound, the 500 ms a closing transport gets to flush, and slack
	// for a loaded machine.
	wctx, wcancel := context.WithTimeout(ctx, client.ReadLoopSendWait+3*time.Second)
	defer wcancel()
	require.NoError(t, c.WaitState(wctx, client.Closed),
		"the read loop is still blocked on its refusal of the INVOCATION (keepalive off)")
	took := time.Since(begin)
	require.ErrorIs(t, c.Err(), client.ErrConnectionLost)
	assert.GreaterOrEqual(t, took, client.ReadLoopSendWait-100*time.Millisecond, "the refusal had its bound to go out")
	t.Logf("the client took the router as gone %v after the INVOCATION", took)
}
