package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/transport/serialize"
	"github.com/gammazero/nexus/v3/wamp"
	"github.com/gorilla/websocket"

	"github.com/wampkit/wampkit/internal/wire"
)

// The floor: what the round trips of a call cost with no WAMP work at all.
// A call through a router is four frames on two connections: CALL (caller
// to router), INVOCATION (router to callee), YIELD (callee to router) and
// RESULT (router to caller). The floor moves the same four frames,
// serialized once beforehand with the same serializer and payload, over the
// same transport (gorilla websocket, as wampkit's peer uses, or rawsocket
// framing): a relay stands where the router is and answers each frame it
// reads from one side by writing the other side's pre-serialized frame, and
// the callee answers each INVOCATION frame with the YIELD frame. Nothing
// decodes more than the framing, every frame is one write, and callers are
// matched to answers by count: each RESULT frame frees one waiting caller.
// A client's time per call minus the floor's is what the client and the
// router's WAMP work add to the bare round trips.

// frameConn reads and writes whole transport frames. Each is read by one
// goroutine and written by one at a time.
type frameConn interface {
	readFrame() error // reads one message into a reused buffer
	writeFrame(frame []byte) error
	Close() error
}

type wsFrames struct {
	*websocket.Conn
	kind int
	buf  []byte
}

func (w *wsFrames) readFrame() error {
	_, r, err := w.NextReader()
	if err != nil {
		return err
	}
	w.buf = w.buf[:0]
	for {
		if len(w.buf) == cap(w.buf) {
			w.buf = append(w.buf, 0)[:len(w.buf)]
		}
		n, err := r.Read(w.buf[len(w.buf):cap(w.buf)])
		w.buf = w.buf[:len(w.buf)+n]
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func (w *wsFrames) writeFrame(frame []byte) error { return w.WriteMessage(w.kind, frame) }

// rawFrames is a rawsocket connection after the handshake: frames are a
// 4-byte header (type, 24-bit length) and the message; the floor's frames
// carry their header already.
type rawFrames struct {
	net.Conn
	r   *bufio.Reader
	hdr [4]byte
	buf []byte
}

func (f *rawFrames) readFrame() error {
	h := f.hdr[:]
	if _, err := io.ReadFull(f.r, h); err != nil {
		return err
	}
	n := int(h[1])<<16 | int(h[2])<<8 | int(h[3])
	if cap(f.buf) < n {
		f.buf = make([]byte, n)
	}
	_, err := io.ReadFull(f.r, f.buf[:n])
	return err
}

func (f *rawFrames) writeFrame(frame []byte) error {
	_, err := f.Write(frame)
	return err
}

func rawSerializerID(tr transport) byte {
	switch tr.nx {
	case serialize.MSGPACK:
		return 2
	case serialize.CBOR:
		return 3
	}
	return 1
}

func newRawFrames(c net.Conn) *rawFrames {
	return &rawFrames{Conn: c, r: bufio.NewReaderSize(c, 64<<10)}
}

// rawHandshake sends the rawsocket opening (the client's, or the router's
// answer: they have the same form) and reads the other side's.
func rawHandshake(c net.Conn, tr transport) error {
	if _, err := c.Write([]byte{0x7f, 0xf0 | rawSerializerID(tr), 0, 0}); err != nil {
		return err
	}
	var h [4]byte
	if _, err := io.ReadFull(c, h[:]); err != nil {
		return err
	}
	if h[0] != 0x7f || h[1]&0x0f != rawSerializerID(tr) {
		return fmt.Errorf("bench: floor: bad rawsocket handshake % x", h)
	}
	return nil
}

// floorFrames are the four frames of one call, serialized for tr.
type floorFrames struct{ call, invocation, yield, result []byte }

func makeFloorFrames(tb testing.TB, tr transport, payload string) floorFrames {
	tb.Helper()
	ser, err := wire.NewSerializer(tr.nx)
	if err != nil {
		tb.Fatal(err)
	}
	proc, args := wamp.URI("bench.small"), wamp.List{"hello", 42}
	if payload == "struct10" {
		proc, args = "bench.struct", wamp.List{struct10Wire}
	}
	const req, reg = 123456, 4503599627370495 // a request ID after many calls, a 52-bit registration ID
	frame := func(msg wamp.Message) []byte {
		b, err := ser.Serialize(msg)
		if err != nil {
			tb.Fatal(err)
		}
		if tr.kind == "raw" {
			b = append([]byte{0, byte(len(b) >> 16), byte(len(b) >> 8), byte(len(b))}, b...)
		}
		return b
	}
	return floorFrames{
		call:       frame(&wamp.Call{Request: req, Options: wamp.Dict{}, Procedure: proc, Arguments: args}),
		invocation: frame(&wamp.Invocation{Request: req, Registration: reg, Details: wamp.Dict{"procedure": proc}, Arguments: args}),
		yield:      frame(&wamp.Yield{Request: req, Options: wamp.Dict{}, Arguments: args}),
		result:     frame(&wamp.Result{Request: req, Details: wamp.Dict{}, Arguments: args}),
	}
}

// floor is the caller's end of a running floor.
type floor struct {
	caller  frameConn
	wmu     sync.Mutex
	call    []byte
	results chan struct{} // one per RESULT frame read
	dead    chan struct{} // closed when the caller's reader ends
}

// roundTrip sends one CALL frame and waits for one RESULT frame.
func (f *floor) roundTrip() error {
	f.wmu.Lock()
	err := f.caller.writeFrame(f.call)
	f.wmu.Unlock()
	if err != nil {
		return err
	}
	select {
	case <-f.results:
		return nil
	case <-f.dead:
		return errors.New("bench: floor: connection closed")
	}
}

// startFloor starts a relay, a callee and a caller for tr's transport; all
// of them end at the cleanup of tb.
func startFloor(tb testing.TB, tr transport, payload string) *floor {
	tb.Helper()
	frames := makeFloorFrames(tb, tr, payload)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		conns    []io.Closer
		accepted = make(chan frameConn, 2)
	)
	own := func(c io.Closer) { mu.Lock(); conns = append(conns, c); mu.Unlock() }
	var hs *http.Server
	tb.Cleanup(func() {
		if hs != nil {
			_ = hs.Close()
		}
		_ = ln.Close()
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	kind := websocket.TextMessage
	if tr.nx != serialize.JSON {
		kind = websocket.BinaryMessage
	}
	// the relay's side: accept two connections
	if tr.kind == "ws" {
		up := websocket.Upgrader{}
		hs = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := up.Upgrade(w, r, nil)
			if err != nil {
				return
			}
			own(c)
			accepted <- &wsFrames{Conn: c, kind: kind}
		}), ReadHeaderTimeout: 5 * time.Second}
		wg.Add(1)
		go func() { defer wg.Done(); _ = hs.Serve(ln) }()
	} else {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 2 {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				own(c)
				if rawHandshake(c, tr) != nil {
					return
				}
				accepted <- newRawFrames(c)
			}
		}()
	}
	dial := func() (frameConn, frameConn) {
		var cli frameConn
		if tr.kind == "ws" {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			c, resp, err := websocket.DefaultDialer.DialContext(ctx, "ws://"+ln.Addr().String()+"/", nil)
			if err != nil {
				tb.Fatal(err)
			}
			_ = resp.Body.Close()
			own(c)
			cli = &wsFrames{Conn: c, kind: kind}
		} else {
			c, err := net.DialTimeout("tcp", ln.Addr().String(), 5*time.Second)
			if err != nil {
				tb.Fatal(err)
			}
			own(c)
			if err := rawHandshake(c, tr); err != nil {
				tb.Fatal(err)
			}
			cli = newRawFrames(c)
		}
		select {
		case srv := <-accepted:
			return cli, srv
		case <-time.After(5 * time.Second):
			tb.Fatal("bench: floor: the relay accepted no connection")
			return nil, nil
		}
	}
	callee, calleeRelay := dial()
	caller, callerRelay := dial()
	// answer loops: each reads a frame and writes its answer, until a
	// connection closes
	answer := func(from, to frameConn, frame []byte) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for from.readFrame() == nil && to.writeFrame(frame) == nil {
			}
		}()
	}
	answer(callerRelay, calleeRelay, frames.invocation)
	answer(calleeRelay, callerRelay, frames.result)
	answer(callee, callee, frames.yield)
	f := &floor{caller: caller, call: frames.call, results: make(chan struct{}, 64), dead: make(chan struct{})}
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(f.dead)
		for caller.readFrame() == nil {
			f.results <- struct{}{}
		}
	}()
	return f
}

func benchFloor(b *testing.B, tr transport, mode, payload string) {
	f := startFloor(b, tr, payload)
	run(b, mode, f.roundTrip)
}
