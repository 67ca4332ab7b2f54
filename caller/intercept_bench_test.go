package caller_test

import (
	"context"
	"testing"

	"github.com/wampkit/wampkit/caller"
	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest"
)

// passThrough is an interceptor that only passes calls on.
var passThrough = client.InterceptorFuncs{Call: func(next client.CallFunc) client.CallFunc {
	return func(ctx context.Context, req *client.CallRequest) (client.CallStream, error) { return next(ctx, req) }
}}

// BenchmarkCallInterceptors measures a typed call without interceptors
// (compare BenchmarkCall before interceptors existed: the same figures),
// with one client-wide interceptor and with one per-call interceptor.
func BenchmarkCallInterceptors(b *testing.B) {
	for _, bc := range []struct {
		name   string
		client []client.Option
		call   []caller.Option
	}{
		{name: "none"},
		{name: "client", client: []client.Option{client.WithInterceptors(passThrough)}},
		{name: "call", call: []caller.Option{caller.WithInterceptors(passThrough)}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r := wamptest.NewRouter(b)
			srv, c := r.Local(b), r.Local(b, bc.client...)
			if _, err := srv.Register(wamptest.Context(b), "com.example.add", add, client.RegisterOptions{}); err != nil {
				b.Fatal(err)
			}
			ctx := wamptest.Context(b)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := caller.Call[int](ctx, c, "com.example.add", AddIn{2, 3}, bc.call...); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
