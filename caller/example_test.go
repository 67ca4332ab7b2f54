package caller_test

import (
	"context"
	"fmt"

	"github.com/wampkit/wampkit/callee"
	"github.com/wampkit/wampkit/caller"
	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/router"
)

// connectPair starts an in-process router and connects two clients.
func connectPair(ctx context.Context) (srv, c *client.Client, done func()) {
	r, err := router.New(router.Config{})
	if err != nil {
		panic(err)
	}
	srv, err = client.ConnectLocal(ctx, r)
	if err != nil {
		panic(err)
	}
	c, err = client.ConnectLocal(ctx, r)
	if err != nil {
		panic(err)
	}
	return srv, c, func() { _ = c.Close(ctx); _ = srv.Close(ctx); _ = r.Close() }
}

func ExampleCall() {
	ctx := context.Background()
	srv, c, done := connectPair(ctx)
	defer done()
	_, _ = callee.Register(ctx, srv, "com.example.add", func(_ context.Context, in []int) (int, error) {
		return in[0] + in[1], nil
	})

	sum, err := caller.Call[int](ctx, c, "com.example.add", caller.Args(2, 3))
	fmt.Println(sum, err)
	// Output: 5 <nil>
}

func ExampleProgressive() {
	ctx := context.Background()
	srv, c, done := connectPair(ctx)
	defer done()
	_, _ = callee.RegisterProgressive(ctx, srv, "com.example.countdown",
		func(_ context.Context, n int, progress func(int) error) (string, error) {
			for i := n; i > 0; i-- {
				if err := progress(i); err != nil {
					return "", err
				}
			}
			return "liftoff", nil
		})

	res := caller.Progressive[int, string](ctx, c, "com.example.countdown", 3)
	for n, err := range res.Progress() {
		fmt.Println(n, err)
	}
	fmt.Println(res.Result())
	// Output:
	// 3 <nil>
	// 2 <nil>
	// 1 <nil>
	// liftoff <nil>
}

func ExampleNew() {
	type AddIn struct {
		A int `wamp:"#0"`
		B int `wamp:"#1"`
	}
	ctx := context.Background()
	srv, c, done := connectPair(ctx)
	defer done()
	_, _ = callee.Register(ctx, srv, "com.example.add", func(_ context.Context, in AddIn) (int, error) {
		return in.A + in.B, nil
	})

	add := caller.New[AddIn, int](c, "com.example.add")
	for _, in := range []AddIn{{1, 2}, {20, 22}} {
		fmt.Println(add.Call(ctx, in))
	}
	// Output:
	// 3 <nil>
	// 42 <nil>
}
