package bench

import (
	"context"
	"testing"

	nxclient "github.com/gammazero/nexus/v3/client"
	"github.com/gammazero/nexus/v3/wamp"

	"github.com/wampkit/wampkit/callee"
	"github.com/wampkit/wampkit/caller"
)

const streamItems = 10000

// BenchmarkProgressive streams 10,000 progressive results per call and
// reports items per second.
func BenchmarkProgressive(b *testing.B) {
	s := startServer(b)
	for _, tr := range transports {
		b.Run("wampkit/"+tr.name, func(b *testing.B) { benchWampkitStream(b, s, tr) })
		b.Run("nexus/"+tr.name, func(b *testing.B) { benchNexusStream(b, s, tr) })
		if tr.kind != "inproc" {
			b.Run("xconn/"+tr.name, func(b *testing.B) { benchXconnStream(b, s, tr) })
		}
	}
}

func benchWampkitStream(b *testing.B, s *server, tr transport) {
	ctx := context.Background()
	srv, c := wampkitClient(b, s, tr), wampkitClient(b, s, tr)
	_, err := callee.RegisterProgressive(ctx, srv, "bench.stream", func(_ context.Context, n int, progress func(int) error) (int, error) {
		for i := range n {
			if err := progress(i); err != nil {
				return 0, err
			}
		}
		return n, nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		res := caller.Progressive[int, int](ctx, c, "bench.stream", streamItems)
		got := 0
		for _, err := range res.Progress() {
			if err != nil {
				b.Fatal(err)
			}
			got++
		}
		if n, err := res.Result(); err != nil || n != streamItems || got != streamItems {
			b.Fatalf("stream: %d items, result %d, %v", got, n, err)
		}
	}
	b.ReportMetric(float64(b.N*streamItems)/b.Elapsed().Seconds(), "items/s")
}

func benchNexusStream(b *testing.B, s *server, tr transport) {
	ctx := context.Background()
	srv, c := nexusClient(b, s, tr), nexusClient(b, s, tr)
	err := srv.Register("bench.stream", func(ctx context.Context, inv *wamp.Invocation) nxclient.InvokeResult {
		n, _ := wamp.AsInt64(inv.Arguments[0])
		for i := range n {
			if err := srv.SendProgress(ctx, wamp.List{i}, nil); err != nil {
				return nxclient.InvokeResult{Err: wamp.ErrCanceled}
			}
		}
		return nxclient.InvokeResult{Args: wamp.List{n}}
	}, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		got := 0
		res, err := c.Call(ctx, "bench.stream", nil, wamp.List{streamItems}, nil, func(*wamp.Result) { got++ })
		if err != nil || got != streamItems {
			b.Fatalf("stream: %d items, %v, %v", got, res, err)
		}
	}
	b.ReportMetric(float64(b.N*streamItems)/b.Elapsed().Seconds(), "items/s")
}
