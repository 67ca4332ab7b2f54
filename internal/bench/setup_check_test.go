package bench

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/wamp"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wire"
)

// The benchmarks' own parts, checked quickly in every test run: the floor's
// frames are the messages of a call, the floor answers sequential and
// concurrent round trips, and xconn-go calls through the router on every
// network transport.

func TestFloorFramesAreACall(t *testing.T) {
	want := []wamp.MessageType{wamp.CALL, wamp.INVOCATION, wamp.YIELD, wamp.RESULT}
	for _, tr := range transports[1:] {
		for _, payload := range []string{"small", "struct10"} {
			f := makeFloorFrames(t, tr, payload)
			ser, err := wire.NewSerializer(tr.nx)
			if err != nil {
				t.Fatal(err)
			}
			for i, frame := range [][]byte{f.call, f.invocation, f.yield, f.result} {
				if tr.kind == "raw" {
					if n := int(frame[1])<<16 | int(frame[2])<<8 | int(frame[3]); frame[0] != 0 || n != len(frame)-4 {
						t.Fatalf("%s: bad rawsocket header % x for %d bytes", tr.name, frame[:4], len(frame)-4)
					}
					frame = frame[4:]
				}
				msg, err := ser.Deserialize(frame)
				if err != nil || msg.MessageType() != want[i] {
					t.Fatalf("%s %s: frame %d is %v (%v), want %v", tr.name, payload, i, msg, err, want[i])
				}
			}
		}
	}
}

// roundTrips makes 10 sequential round trips, then 10 from each of 32
// goroutines at once.
func roundTrips(t *testing.T, roundTrip func() error) {
	t.Helper()
	for range 10 {
		if err := roundTrip(); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for range 32 {
		wg.Go(func() {
			for range 10 {
				if err := roundTrip(); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestFloorRoundTrips(t *testing.T) {
	for _, tr := range transports[1:] {
		t.Run(tr.name, func(t *testing.T) {
			f := startFloor(t, tr, "small")
			roundTrips(t, f.roundTrip)
			if n := len(f.results); n != 0 {
				t.Fatalf("%d answers left over after 330 round trips", n)
			}
		})
	}
}

func TestXconnCalls(t *testing.T) {
	s := startServer(t)
	for _, tr := range transports[1:] {
		t.Run(tr.name, func(t *testing.T) {
			srv, c := xconnClient(t, s, tr), xconnClient(t, s, tr)
			if res := srv.Register("check.echo", xconnEcho).Do(); res.Err != nil {
				t.Fatal(res.Err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			res := c.Call("check.echo").Args("hello", 42).DoContext(ctx)
			if res.Err != nil {
				t.Fatal(res.Err)
			}
			if s, _ := res.ArgString(0); s != "hello" || res.ArgsLen() != 2 {
				t.Fatalf("got %v", res.Args())
			}
			if n, ok := xconnInt(res.Args()[1:]); !ok || n != 42 {
				t.Fatalf("got %v", res.Args())
			}
		})
	}
}

// The routed floor's bare callee answers real calls through the router with
// the payload, and its bare caller completes sequential and concurrent
// round trips, on every network transport.
func TestRoutedFloorRoundTrips(t *testing.T) {
	s := startServer(t)
	for _, tr := range transports[1:] {
		t.Run(tr.name, func(t *testing.T) {
			r := startRouted(t, s, tr, "small")
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			res, err := wampkitClient(t, s, tr).Call(ctx, client.CallRequest{Procedure: "bench.small"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(res.Args); got != "[hello 42]" {
				t.Fatalf("the bare callee answered %s, want [hello 42]", got)
			}
			roundTrips(t, r.roundTrip)
			if n := len(r.free); n != routedSlots {
				t.Fatalf("%d of %d slots free after the round trips", n, routedSlots)
			}
		})
	}
}
