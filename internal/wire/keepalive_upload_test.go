package wire_test

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/transport/serialize"
	"github.com/gammazero/nexus/v3/wamp"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/internal/wire"
)

// A router that reads a long upload slowly, and so cannot answer a ping
// queued behind it, is not taken for a stalled one while the upload goes
// on: the message arrives whole. (A router that stops reading is dropped:
// TestWebsocketKeepAliveDropsARouterThatStoppedReading.) The connection is
// a net.Pipe, which buffers nothing: every byte written is a byte the
// router read.
func TestKeepAliveLetsASlowlyReadUploadFinish(t *testing.T) {
	// An interval long enough that a loaded machine still lets the router
	// read many slices in each; the upload lasts about four of them.
	const interval = 300 * time.Millisecond
	client, router := net.Pipe()
	t.Cleanup(func() { _ = router.Close() })
	got := make(chan int, 1) // the payload bytes the router read of the upload's frame
	go func() {
		var hs [4]byte
		if _, err := io.ReadFull(router, hs[:]); err != nil {
			got <- -1
			return
		}
		if _, err := router.Write([]byte{0x7f, 0xf1, 0, 0}); err != nil { // JSON, 16 MiB frames
			got <- -1
			return
		}
		var h [4]byte
		if _, err := io.ReadFull(router, h[:]); err != nil {
			got <- -1
			return
		}
		size := int(binary.BigEndian.Uint32(h[:]) & 0xffffff)
		read, buf := 0, make([]byte, 64<<10)
		for read < size { // a slice every 20 ms, and never a word back
			n, err := router.Read(buf[:min(len(buf), size-read)])
			read += n
			if err != nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		got <- read - size // 0: all of it
	}()
	ser, err := wire.NewSerializer(serialize.JSON)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, err := wire.HandshakeRawSocketKeepAlive(ctx, client, serialize.JSON, ser, interval)
	require.NoError(t, err)
	t.Cleanup(p.Close)
	big := &wamp.Publish{Request: 1, Options: wamp.Dict{}, Topic: "com.example.upload",
		Arguments: wamp.List{strings.Repeat("x", 4<<20)}}
	go func() { _ = p.SendContext(ctx, nil, big) }()
	select {
	case short := <-got:
		require.Zero(t, short, "the link was dropped during the upload, %d bytes short", -short)
	case <-ctx.Done():
		t.Fatal("the router did not finish reading the upload")
	}
}
