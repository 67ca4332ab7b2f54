package wire_test

import (
	"bytes"
	"context"
	"fmt"
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

// Frames of every length class (7-bit, 16-bit and 64-bit lengths, on both
// sides of each bound), text and binary, written together in one write on
// the connection, are each read whole by a gorilla server, which rejects a
// client frame that is not masked: the masking is undone to the very bytes.
func TestWebsocketFramesOfEveryLengthReadByGorilla(t *testing.T) {
	sizes := []int{0, 1, 7, 8, 9, 31, 32, 33, 124, 125, 126, 127, 65535, 65536, 65537, 3<<20 + 5}
	type frame struct {
		kind    int
		payload []byte
	}
	var frames []frame
	for i, n := range sizes {
		p := make([]byte, n)
		for j := range p {
			p[j] = byte('a' + (i+j)%26) // valid UTF-8 for the text frames
		}
		frames = append(frames, frame{websocket.TextMessage, p}, frame{websocket.BinaryMessage, p})
	}
	got := make(chan error, 1)
	url := wsServer(t, func(conn *websocket.Conn) {
		conn.SetReadLimit(16 << 20)
		for i, f := range frames {
			kind, b, err := conn.ReadMessage()
			if err == nil && (kind != f.kind || !bytes.Equal(b, f.payload)) {
				err = fmt.Errorf("frame %d (%d bytes, kind %d): read %d bytes of kind %d, not the same", i, len(f.payload), f.kind, len(b), kind)
			}
			if err != nil {
				got <- fmt.Errorf("frame %d: %w", i, err)
				return
			}
		}
		got <- nil
		_, _, _ = conn.ReadMessage() // until the client goes
	})
	conn, resp, err := websocket.DefaultDialer.Dial(url, nil)
	require.NoError(t, err)
	_ = resp.Body.Close()
	defer conn.Close()
	var keys wire.WSKeys
	var batch []byte
	for _, f := range frames {
		batch = wire.AppendWSFrame(batch, byte(f.kind), keys.Next(), f.payload)
	}
	_, err = conn.NetConn().Write(batch) // all in one write
	require.NoError(t, err)
	select {
	case err := <-got:
		require.NoError(t, err)
	case <-time.After(20 * time.Second):
		t.Fatal("the server did not read every frame")
	}
}

// Masking keys differ from frame to frame, across a redraw of the pool.
func TestWebsocketMaskingKeysVary(t *testing.T) {
	var keys wire.WSKeys
	seen := map[uint32]bool{}
	for range 1000 {
		seen[keys.Next()] = true
	}
	assert.Greater(t, len(seen), 990, "1000 random 32-bit keys repeat rarely")
}

// maskCopy masks byte i with key byte i mod 4, at every length and offset
// of the tail.
func TestMaskCopy(t *testing.T) {
	key := [4]byte{0x12, 0x34, 0x56, 0x78}
	word := uint32(key[0]) | uint32(key[1])<<8 | uint32(key[2])<<16 | uint32(key[3])<<24
	for n := range 80 {
		src := make([]byte, n)
		for i := range src {
			src[i] = byte(i * 7)
		}
		dst := make([]byte, n)
		wire.MaskCopy(dst, src, word)
		for i := range src {
			require.Equal(t, src[i]^key[i%4], dst[i], "length %d, byte %d", n, i)
		}
	}
}

// Through the peer: messages whose serialized size sits on each side of
// the frame length bounds (125/126, 65535/65536) and a large one, text
// (JSON) and binary (MsgPack), sent by several goroutines at once, arrive
// whole at a gorilla server, each sender's in its order.
func TestWebsocketPeerFramesAroundTheLengthBounds(t *testing.T) {
	for _, c := range []struct {
		name string
		s    serialize.Serialization
		kind int
	}{{"json", serialize.JSON, websocket.TextMessage}, {"msgpack", serialize.MSGPACK, websocket.BinaryMessage}} {
		t.Run(c.name, func(t *testing.T) {
			ser, err := wire.NewSerializer(c.s)
			require.NoError(t, err)
			msg := func(id, n int) *wamp.Call {
				return &wamp.Call{Request: wamp.ID(id), Options: wamp.Dict{}, Procedure: "p", Arguments: wamp.List{strings.Repeat("x", n)}}
			}
			// Argument lengths that put the encoded sizes on each bound.
			var lengths []int
			sizes := map[int]bool{}
			for _, n := range append(rangeOf(80, 140), append(rangeOf(65470, 65560), 3<<20)...) {
				b, err := ser.Append(nil, msg(1, n))
				require.NoError(t, err)
				lengths = append(lengths, n)
				sizes[len(b)] = true
			}
			for _, n := range []int{125, 126, 65535, 65536} {
				require.True(t, sizes[n], "an encoded size of %d is sent", n)
			}
			const senders = 3
			got := make(chan error, 1)
			url := wsServer(t, func(conn *websocket.Conn) {
				conn.SetReadLimit(16 << 20)
				next := make([]int, senders)
				for range senders * len(lengths) {
					kind, b, err := conn.ReadMessage()
					if err != nil {
						got <- err
						return
					}
					m, err := ser.Inner.Deserialize(b)
					if err != nil {
						got <- err
						return
					}
					call := m.(*wamp.Call)
					s, i := int(call.Request)/1000000, int(call.Request)%1000000
					if kind != c.kind || i != next[s] || call.Arguments[0] != strings.Repeat("x", lengths[i]) {
						got <- fmt.Errorf("sender %d: message %d (kind %d) where %d was due", s, i, kind, next[s])
						return
					}
					next[s]++
				}
				got <- nil
				_, _, _ = conn.ReadMessage() // until the client goes
			})
			p := dialWS(t, url, "wamp.2."+c.name, c.s, 0)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			var wg sync.WaitGroup
			for s := range senders {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i, n := range lengths {
						assert.NoError(t, p.SendContext(ctx, nil, msg(s*1000000+i, n)))
					}
				}()
			}
			wg.Wait()
			select {
			case err := <-got:
				require.NoError(t, err)
			case <-ctx.Done():
				t.Fatal("the server did not read every message")
			}
		})
	}
}

func rangeOf(from, to int) []int {
	var r []int
	for n := from; n < to; n++ {
		r = append(r, n)
	}
	return r
}

// The router's pings are answered (by the peer's writer, which frames the
// pong itself) with the ping's data.
func TestWebsocketAnswersPings(t *testing.T) {
	pongs := make(chan string, 4)
	url := wsServer(t, func(conn *websocket.Conn) {
		conn.SetPongHandler(func(data string) error { pongs <- data; return nil })
		if conn.WriteControl(websocket.PingMessage, []byte("are you there"), time.Now().Add(5*time.Second)) != nil {
			return
		}
		_, _, _ = conn.ReadMessage() // handles the pong; until the client goes
	})
	_ = dialWS(t, url, "wamp.2.json", serialize.JSON, 0)
	select {
	case data := <-pongs:
		assert.Equal(t, "are you there", data)
	case <-time.After(10 * time.Second):
		t.Fatal("no pong")
	}
}

// Close writes what was queued or handed over before it (through Send and
// SendContext) before the closing frame.
func TestWebsocketCloseFlushesTheQueue(t *testing.T) {
	const n = 200
	got := make(chan error, 1)
	url := wsServer(t, func(conn *websocket.Conn) {
		nx, _ := wire.NewSerializer(serialize.MSGPACK)
		seen := map[wamp.ID]bool{}
		for {
			_, b, err := conn.ReadMessage()
			if err != nil {
				if len(seen) != n {
					err = fmt.Errorf("%d of %d messages before the end (%w)", len(seen), n, err)
				} else {
					err = nil
				}
				got <- err
				return
			}
			m, err := nx.Inner.Deserialize(b)
			if err != nil {
				got <- err
				return
			}
			seen[m.(*wamp.Call).Request] = true
		}
	})
	p := dialWS(t, url, "wamp.2.msgpack", serialize.MSGPACK, 0)
	// A quarter through Send's channel, the rest from three goroutines at
	// once (written through, handed over to the one writing, or queued).
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < n; i += 4 {
				m := &wamp.Call{Request: wamp.ID(i + 1), Options: wamp.Dict{}, Procedure: "p", Arguments: wamp.List{strings.Repeat("y", 1000)}}
				if g == 0 {
					p.Send() <- m
				} else {
					assert.NoError(t, p.SendContext(context.Background(), nil, m))
				}
			}
		}()
	}
	wg.Wait()
	p.Close()
	select {
	case err := <-got:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not see the end")
	}
}

func BenchmarkMaskCopy(b *testing.B) {
	for _, n := range []int{200, 4096, 1 << 20} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			src, dst := make([]byte, n), make([]byte, n)
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				wire.MaskCopy(dst, src, 0x12345678)
			}
		})
	}
}

// BenchmarkAppendWSFrame: framing a 200-byte message (a struct call's
// size) into a reused batch, key drawn included.
func BenchmarkAppendWSFrame(b *testing.B) {
	payload := make([]byte, 200)
	var keys wire.WSKeys
	batch := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		batch = wire.AppendWSFrame(batch[:0], 2, keys.Next(), payload)
	}
}
