package caller_test

import (
	"testing"

	"github.com/wampkit/wampkit/caller"
	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest"
)

func BenchmarkCall(b *testing.B) {
	r := wamptest.NewRouter(b)
	srv, c := r.Local(b), r.Local(b)
	if _, err := srv.Register(wamptest.Context(b), "com.example.add", add, client.RegisterOptions{}); err != nil {
		b.Fatal(err)
	}
	ctx := wamptest.Context(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := caller.Call[int](ctx, c, "com.example.add", AddIn{2, 3}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkProgressive100(b *testing.B) {
	r := wamptest.NewRouter(b)
	srv, c := r.Local(b), r.Local(b)
	if _, err := srv.Register(wamptest.Context(b), "com.example.countdown", countdown, client.RegisterOptions{}); err != nil {
		b.Fatal(err)
	}
	ctx := wamptest.Context(b)
	b.ReportAllocs()
	for b.Loop() {
		res := caller.Progressive[int, string](ctx, c, "com.example.countdown", 100)
		for _, err := range res.Progress() {
			if err != nil {
				b.Fatal(err)
			}
		}
		if _, err := res.Result(); err != nil {
			b.Fatal(err)
		}
	}
}
