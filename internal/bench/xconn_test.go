package bench

import (
	"context"
	"fmt"
	"io"
	"reflect"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/xconnio/xconn-go"
)

// xconn-go v0.1.0, the other Go WAMP client, on the same nexus router. Like
// the nexus benchmarks, its handler echoes the []any arguments it was given
// and its caller checks only their count: no typed conversion on either side.
//
// What its source shows and the cleanup below absorbs:
//   - Session has no Close: Leave sends GOODBYE and waits up to 10 s for the
//     router's. nexus sends its GOODBYE and closes the connection at once,
//     and its peers discard what is still queued at Close, so the GOODBYE
//     is often lost and Leave waits the whole 10 s (TestMain ignores it).
//     The cleanup waits for the session's end instead (Done). The read loop
//     reports that end twice on a channel of one when the GOODBYE does
//     arrive (the GOODBYE, then the closed connection), so Done must be read
//     once or the read goroutine blocks for good.
//   - Its rawsocket peer's writer goroutine only ends when a write fails:
//     after Close it waits on its queue forever (TestMain ignores it), and
//     Close waits a second for it first.
//   - Its ArgInt64 takes only int64, uint64 and float64 (not the int16 its
//     MsgPack decoder gives 10000), so the stream reads its count with
//     xconnInt, which takes every integer kind.
//   - It logs through logrus's global logger; the benchmarks silence it.

func init() { logrus.SetOutput(io.Discard) }

// xconnURL is the URL xconn-go dials for tr: its rawsocket scheme is rs://.
func xconnURL(s *server, tr transport) string {
	if tr.kind == "raw" {
		return "rs://" + s.rawAddr
	}
	return tr.url(s)
}

func xconnClient(tb testing.TB, s *server, tr transport) *xconn.Session {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c := xconn.Client{SerializerSpec: tr.xc}
	sess, err := c.Connect(ctx, xconnURL(s, tr), "realm1")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		go func() { _ = sess.Leave() }() // see above: it may wait 10 s for nothing
		select {
		case <-sess.Done():
		case <-time.After(5 * time.Second):
			tb.Errorf("xconn-go session did not end")
		}
	})
	return sess
}

func xconnEcho(_ context.Context, inv *xconn.Invocation) *xconn.InvocationResult {
	return &xconn.InvocationResult{Args: inv.Args(), Kwargs: inv.Kwargs()}
}

func benchXconn(b *testing.B, s *server, tr transport, mode, payload string) {
	ctx := context.Background()
	srv, c := xconnClient(b, s, tr), xconnClient(b, s, tr)
	proc, args := "bench.small", []any{"hello", 42}
	if payload == "struct10" {
		proc, args = "bench.struct", []any{map[string]any(struct10Wire)}
	}
	if res := srv.Register(proc, xconnEcho).Do(); res.Err != nil {
		b.Fatal(res.Err)
	}
	run(b, mode, func() error {
		res := c.Call(proc).Args(args...).DoContext(ctx)
		if res.Err == nil && res.ArgsLen() != len(args) {
			return fmt.Errorf("got %v", res.Args())
		}
		return res.Err
	})
}

func benchXconnStream(b *testing.B, s *server, tr transport) {
	ctx := context.Background()
	srv, c := xconnClient(b, s, tr), xconnClient(b, s, tr)
	res := srv.Register("bench.stream", func(_ context.Context, inv *xconn.Invocation) *xconn.InvocationResult {
		n, ok := xconnInt(inv.Args())
		if !ok || inv.SendProgress == nil {
			return xconn.NewInvocationError("wamp.error.invalid_argument")
		}
		for i := range n {
			if err := inv.SendProgress([]any{i}, nil); err != nil {
				return xconn.NewInvocationError("wamp.error.canceled")
			}
		}
		return xconn.NewInvocationResult(n)
	}).Do()
	if res.Err != nil {
		b.Fatal(res.Err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		got := 0 // the progress receiver runs on the session's read loop
		out := c.Call("bench.stream").Arg(streamItems).
			ProgressReceiver(func(*xconn.ProgressResult) { got++ }).DoContext(ctx)
		if n, _ := xconnInt(out.Args()); out.Err != nil || n != streamItems || got != streamItems {
			b.Fatalf("stream: %d items, result %d, %v", got, n, out.Err)
		}
	}
	b.ReportMetric(float64(b.N*streamItems)/b.Elapsed().Seconds(), "items/s")
}

// xconnInt reads args[0] as an integer of any kind, or a float without a
// fraction (JSON).
func xconnInt(args []any) (int64, bool) {
	if len(args) == 0 {
		return 0, false
	}
	switch v := reflect.ValueOf(args[0]); {
	case v.CanInt():
		return v.Int(), true
	case v.CanUint():
		return int64(v.Uint()), true
	case v.CanFloat() && v.Float() == float64(int64(v.Float())): // JSON
		return int64(v.Float()), true
	}
	return 0, false
}
