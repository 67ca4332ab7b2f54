package caller_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/wampkit/wampkit/caller"
	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/client/wamptest"
)

func ExampleCall() {
	ctx := context.Background()
	srv, c, stop := exampleRouter(ctx)
	defer stop()
	// A callee written against the raw client: the sum of two arguments.
	_, _ = srv.Register(ctx, "com.example.add", add, client.RegisterOptions{})

	sum, err := caller.Call[int](ctx, c, "com.example.add", caller.Args(2, 3))
	fmt.Println(sum, err)

	_, err = caller.Call[int](ctx, c, "com.example.missing", nil)
	fmt.Println(errors.Is(err, client.ErrNoSuchProcedure), client.IsRemote(err))
	// Output:
	// 5 <nil>
	// true true
}

func ExampleProgressive() {
	ctx := context.Background()
	srv, c, stop := exampleRouter(ctx)
	defer stop()
	// A raw callee sending n, n-1, ..., 1 as progress, then "liftoff".
	_, _ = srv.Register(ctx, "com.example.countdown", countdown, client.RegisterOptions{})

	res := caller.Progressive[int, string](ctx, c, "com.example.countdown", 3)
	for n, err := range res.Progress() {
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		fmt.Println(n)
	}
	fmt.Println(res.Result())
	// Output:
	// 3
	// 2
	// 1
	// liftoff <nil>
}

func ExampleNew() {
	type AddIn struct {
		A int `wamp:"#0"`
		B int `wamp:"#1"`
	}
	ctx := context.Background()
	srv, c, stop := exampleRouter(ctx)
	defer stop()
	_, _ = srv.Register(ctx, "com.example.add", add, client.RegisterOptions{})

	sum := caller.New[AddIn, int](c, "com.example.add")
	for _, in := range []AddIn{{1, 2}, {20, 22}} {
		fmt.Println(sum.Call(ctx, in))
	}
	// Output:
	// 3 <nil>
	// 42 <nil>
}

func ExampleStream() {
	ctx := context.Background()
	srv, c, stop := exampleRouter(ctx)
	defer stop()
	// A raw callee reading a streamed input and answering its total.
	_, _ = srv.Register(ctx, "com.example.total", func(ctx context.Context, inv *client.Invocation) (client.Payload, error) {
		total := num(inv.Payload().Args[0])
		for inv.Streaming() {
			p, ok, err := inv.NextInput(ctx)
			if err != nil {
				return client.Payload{}, err
			}
			if !ok {
				break
			}
			total += num(p.Args[0]) // each chunk is one input: never empty
		}
		return client.Payload{Args: []any{total}}, nil
	}, client.RegisterOptions{})

	inputs := func(yield func(int) bool) {
		for i := 1; i <= 4 && yield(i); i++ {
		}
	}
	fmt.Println(caller.Stream[int, int, int](ctx, c, "com.example.total", inputs).Result())
	// Output: 10 <nil>
}

// exampleRouter starts an in-process reference router and connects a
// callee client and a caller client, for Example functions (which have no
// *testing.T; a test uses wamptest.NewRouter(t) and r.Connect(t), closed at
// cleanup). stop closes all three.
func exampleRouter(ctx context.Context) (srv, c *client.Client, stop func()) {
	r, err := wamptest.StartRouter()
	if err != nil {
		panic(err)
	}
	if srv, err = r.Dial(ctx); err != nil {
		panic(err)
	}
	if c, err = r.Dial(ctx); err != nil {
		panic(err)
	}
	return srv, c, func() { _ = c.Close(ctx); _ = srv.Close(ctx); _ = r.Close() }
}
