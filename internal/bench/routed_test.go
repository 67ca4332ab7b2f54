package bench

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/transport/serialize"
	"github.com/gammazero/nexus/v3/wamp"
	"github.com/gorilla/websocket"

	"github.com/wampkit/wampkit/internal/wire"
)

// The routed floor: the floor's frames through the real router. A caller
// and a callee that do no WAMP work beyond what the router requires: the
// caller writes pre-serialized CALL frames (one per in-flight slot, each
// with its own request ID), the callee reads an INVOCATION's request ID and
// answers with a pre-serialized YIELD whose ID is written in, and the
// caller reads a RESULT's request ID to free that slot. Nothing else is
// decoded or encoded. A client's time per call above the routed floor is
// the client's own WAMP work; the routed floor above the floor is the
// router's (the same for every client).

// idCodec reads and writes the request ID, the second element of a WAMP
// message, in one serialization.
type idCodec struct {
	nx serialize.Serialization
}

// split serializes msg (whose request ID must be 0) and returns what comes
// before the ID and what comes after it.
func (c idCodec) split(tb testing.TB, ser *wire.Serializer, msg wamp.Message) (head, tail []byte) {
	tb.Helper()
	b, err := ser.Serialize(msg)
	if err != nil {
		tb.Fatal(err)
	}
	// [type, 0, ...]: the array header and the type take 2 bytes in
	// MsgPack (fixarray, fixint), 3 in CBOR (array, uint8 prefix and value
	// for types >= 24), "[N," in JSON; the ID 0 takes one byte in each.
	n := 2
	switch c.nx {
	case serialize.CBOR:
		n = 3
	case serialize.JSON:
		n = bytes.IndexByte(b, ',') + 1
	}
	if b[n] != '0' && b[n] != 0 {
		tb.Fatalf("bench: routed: unexpected encoding % x", b)
	}
	return b[:n], b[n+1:]
}

// appendID appends id in the serialization's integer encoding.
func (c idCodec) appendID(b []byte, id uint64) []byte {
	switch c.nx {
	case serialize.JSON:
		return strconv.AppendUint(b, id, 10)
	case serialize.CBOR:
		return binary.BigEndian.AppendUint64(append(b, 0x1b), id)
	}
	return binary.BigEndian.AppendUint64(append(b, 0xcf), id)
}

// readID reads the request ID of the serialized message b, which must be
// of type want (an ERROR, whose second element is the request's type, or
// any other message is an error: the benchmark stops rather than free the
// wrong slot).
func (c idCodec) readID(b []byte, want wamp.MessageType) (uint64, error) {
	if got, ok := c.readType(b); !ok || got != want {
		return 0, fmt.Errorf("bench: routed: got message %.40q, want type %d", b, want)
	}
	switch c.nx {
	case serialize.JSON:
		i := bytes.IndexByte(b, ',')
		j := i + 1 + bytes.IndexByte(b[i+1:], ',')
		if i < 0 || j <= i {
			return 0, fmt.Errorf("bench: routed: no request ID in %q", b)
		}
		return strconv.ParseUint(string(b[i+1:j]), 10, 64)
	case serialize.CBOR:
		if len(b) < 4 {
			return 0, errors.New("bench: routed: short CBOR message")
		}
		return cborUint(b[3:])
	}
	if len(b) < 3 {
		return 0, errors.New("bench: routed: short MsgPack message")
	}
	return msgpackUint(b[2:])
}

// readType reads the type of the serialized message b, the first element.
func (c idCodec) readType(b []byte) (wamp.MessageType, bool) {
	switch c.nx {
	case serialize.JSON:
		i := bytes.IndexByte(b, ',')
		if len(b) < 2 || b[0] != '[' || i < 0 {
			return 0, false
		}
		n, err := strconv.ParseUint(string(b[1:i]), 10, 16)
		return wamp.MessageType(n), err == nil
	case serialize.CBOR:
		if len(b) < 3 || b[1] != 0x18 { // every type read here is 24 or more
			return 0, false
		}
		return wamp.MessageType(b[2]), true
	}
	if len(b) < 2 || b[1] >= 0x80 {
		return 0, false
	}
	return wamp.MessageType(b[1]), true
}

func msgpackUint(b []byte) (uint64, error) {
	switch {
	case b[0] < 0x80:
		return uint64(b[0]), nil
	case b[0] == 0xcc && len(b) > 1:
		return uint64(b[1]), nil
	case b[0] == 0xcd && len(b) > 2:
		return uint64(binary.BigEndian.Uint16(b[1:])), nil
	case b[0] == 0xce && len(b) > 4:
		return uint64(binary.BigEndian.Uint32(b[1:])), nil
	case b[0] == 0xcf && len(b) > 8:
		return binary.BigEndian.Uint64(b[1:]), nil
	}
	return 0, fmt.Errorf("bench: routed: MsgPack request ID % x", b[:1])
}

func cborUint(b []byte) (uint64, error) {
	switch {
	case b[0] < 24:
		return uint64(b[0]), nil
	case b[0] == 0x18 && len(b) > 1:
		return uint64(b[1]), nil
	case b[0] == 0x19 && len(b) > 2:
		return uint64(binary.BigEndian.Uint16(b[1:])), nil
	case b[0] == 0x1a && len(b) > 4:
		return uint64(binary.BigEndian.Uint32(b[1:])), nil
	case b[0] == 0x1b && len(b) > 8:
		return binary.BigEndian.Uint64(b[1:]), nil
	}
	return 0, fmt.Errorf("bench: routed: CBOR request ID % x", b[:1])
}

// routedSlots is how many calls a routed caller can have in flight.
const routedSlots = 64

// routed is the caller's end of a running routed floor.
type routed struct {
	caller frameConn
	wmu    sync.Mutex
	calls  [routedSlots][]byte        // CALL frames, request IDs 1..routedSlots
	done   [routedSlots]chan struct{} // the slot's RESULT arrived
	free   chan int
	dead   chan struct{} // closed when the caller's reader ends
}

func (r *routed) roundTrip() error {
	slot := <-r.free
	defer func() { r.free <- slot }()
	r.wmu.Lock()
	err := r.caller.writeFrame(r.calls[slot])
	r.wmu.Unlock()
	if err != nil {
		return err
	}
	select {
	case <-r.done[slot]:
		return nil
	case <-r.dead:
		return errors.New("bench: routed: connection closed")
	}
}

// rawFrame prefixes msg with a rawsocket header for tr's rawsocket.
func rawFrame(tr transport, msg []byte) []byte {
	if tr.kind != "raw" {
		return msg
	}
	return append([]byte{0, byte(len(msg) >> 16), byte(len(msg) >> 8), byte(len(msg))}, msg...)
}

// appendFrame appends the frame of the message head, id, tail to dst (with
// its rawsocket header for tr's rawsocket).
func (c idCodec) appendFrame(dst []byte, tr transport, head []byte, id uint64, tail []byte) []byte {
	start := len(dst)
	if tr.kind == "raw" {
		dst = append(dst, 0, 0, 0, 0)
	}
	dst = append(c.appendID(append(dst, head...), id), tail...)
	if tr.kind == "raw" {
		n := len(dst) - start - 4
		dst[start+1], dst[start+2], dst[start+3] = byte(n>>16), byte(n>>8), byte(n)
	}
	return dst
}

// payloadOf returns the frame's message: without the rawsocket header.
func payloadOf(c frameConn) []byte {
	switch f := c.(type) {
	case *wsFrames:
		return f.buf
	case *rawFrames:
		n := int(f.hdr[1])<<16 | int(f.hdr[2])<<8 | int(f.hdr[3])
		return f.buf[:n]
	}
	return nil
}

// routedJoin connects to s over tr and joins realm1.
func routedJoin(tb testing.TB, s *server, tr transport, ser *wire.Serializer) frameConn {
	tb.Helper()
	var fc frameConn
	if tr.kind == "ws" {
		proto := map[serialize.Serialization]string{serialize.JSON: "wamp.2.json", serialize.MSGPACK: "wamp.2.msgpack", serialize.CBOR: "wamp.2.cbor"}[tr.nx]
		kind := websocket.BinaryMessage
		if tr.nx == serialize.JSON {
			kind = websocket.TextMessage
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		d := websocket.Dialer{Subprotocols: []string{proto}}
		c, resp, err := d.DialContext(ctx, s.ws, nil)
		if err != nil {
			tb.Fatal(err)
		}
		_ = resp.Body.Close()
		fc = &wsFrames{Conn: c, kind: kind}
	} else {
		c, err := net.DialTimeout("tcp", s.rawAddr, 5*time.Second)
		if err != nil {
			tb.Fatal(err)
		}
		if err := rawHandshake(c, tr); err != nil {
			tb.Fatal(err)
		}
		fc = newRawFrames(c)
	}
	tb.Cleanup(func() { _ = fc.Close() })
	hello := &wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": wamp.Dict{"caller": wamp.Dict{}, "callee": wamp.Dict{}}}}
	if _, ok := routedExchange(tb, tr, fc, ser, hello).(*wamp.Welcome); !ok {
		tb.Fatal("bench: routed: not welcomed")
	}
	return fc
}

// routedExchange sends msg and returns the next message read (setup only).
func routedExchange(tb testing.TB, tr transport, fc frameConn, ser *wire.Serializer, msg wamp.Message) wamp.Message {
	tb.Helper()
	b, err := ser.Serialize(msg)
	if err != nil {
		tb.Fatal(err)
	}
	if err := fc.writeFrame(rawFrame(tr, b)); err != nil {
		tb.Fatal(err)
	}
	if err := fc.readFrame(); err != nil {
		tb.Fatal(err)
	}
	got, err := ser.Deserialize(payloadOf(fc))
	if err != nil {
		tb.Fatal(err)
	}
	return got
}

// startRouted joins a bare callee and a bare caller to s over tr; both end
// at the cleanup of tb.
func startRouted(tb testing.TB, s *server, tr transport, payload string) *routed {
	tb.Helper()
	ser, err := wire.NewSerializer(tr.nx)
	if err != nil {
		tb.Fatal(err)
	}
	proc, args := wamp.URI("bench.small"), wamp.List{"hello", 42}
	if payload == "struct10" {
		proc, args = "bench.struct", wamp.List{struct10Wire}
	}
	ids := idCodec{tr.nx}

	callee := routedJoin(tb, s, tr, ser)
	// The last benchmark's callee may still hold proc: the router drops a
	// registration after its session ended.
	for i := 1; ; i++ {
		reply := routedExchange(tb, tr, callee, ser, &wamp.Register{Request: wamp.ID(i), Options: wamp.Dict{}, Procedure: proc})
		if _, ok := reply.(*wamp.Registered); ok {
			break
		}
		if i == 100 {
			tb.Fatalf("bench: routed: not registered: %v", reply)
		}
		time.Sleep(20 * time.Millisecond)
	}
	caller := routedJoin(tb, s, tr, ser)

	yieldHead, yieldTail := ids.split(tb, ser, &wamp.Yield{Options: wamp.Dict{}, Arguments: args})
	callHead, callTail := ids.split(tb, ser, &wamp.Call{Options: wamp.Dict{}, Procedure: proc, Arguments: args})
	r := &routed{caller: caller, free: make(chan int, routedSlots), dead: make(chan struct{})}
	for i := range routedSlots {
		r.calls[i] = ids.appendFrame(nil, tr, callHead, uint64(i+1), callTail)
		r.done[i] = make(chan struct{}, 1)
		r.free <- i
	}

	var (
		wg  sync.WaitGroup // the callee's reader and writer, the caller's reader
		cmu sync.Mutex     // the callee's writes: its goroutine's, and the GOODBYE
	)
	goodbye, err := ser.Serialize(&wamp.Goodbye{Details: wamp.Dict{}, Reason: wamp.CloseNormal})
	if err != nil {
		tb.Fatal(err)
	}
	goodbye = rawFrame(tr, goodbye)
	tb.Cleanup(func() {
		// Leave the realm first, so the router has dropped the
		// registration when the next benchmark registers: the readers end
		// at the router's GOODBYE (no request ID), or at the deadline.
		cmu.Lock()
		_ = callee.writeFrame(goodbye)
		cmu.Unlock()
		r.wmu.Lock()
		_ = caller.writeFrame(goodbye)
		r.wmu.Unlock()
		ended := make(chan struct{})
		go func() { wg.Wait(); close(ended) }()
		select {
		case <-ended:
		case <-time.After(2 * time.Second):
		}
		_ = callee.Close()
		_ = caller.Close()
		<-ended
	})
	// The callee reads and writes on two goroutines, as a client does, so
	// concurrent calls overlap its reads and writes: each INVOCATION's ID
	// goes to the writer, which answers with the YIELD.
	invocations := make(chan uint64, routedSlots)
	wg.Go(func() {
		defer close(invocations)
		for callee.readFrame() == nil {
			id, err := ids.readID(payloadOf(callee), wamp.INVOCATION)
			if err != nil {
				return
			}
			invocations <- id
		}
	})
	wg.Go(func() {
		var frame []byte
		for id := range invocations {
			frame = ids.appendFrame(frame[:0], tr, yieldHead, id, yieldTail)
			cmu.Lock()
			err := callee.writeFrame(frame)
			cmu.Unlock()
			if err != nil {
				for range invocations { // until the reader ends
				}
				return
			}
		}
	})
	wg.Go(func() { // the caller's reader: each RESULT frees its slot
		defer close(r.dead)
		for caller.readFrame() == nil {
			id, err := ids.readID(payloadOf(caller), wamp.RESULT)
			if err != nil || id < 1 || id > routedSlots {
				return
			}
			r.done[id-1] <- struct{}{}
		}
	})
	return r
}

func benchRouted(b *testing.B, s *server, tr transport, mode, payload string) {
	r := startRouted(b, s, tr, payload)
	run(b, mode, r.roundTrip)
}
