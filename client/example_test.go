package client_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/client/wamptest"
)

func Example() {
	ctx := context.Background()
	r, err := wamptest.StartRouter() // the reference router, in process
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()

	c, err := client.Connect(ctx, r.URL())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close(ctx)

	_, err = c.Register(ctx, "com.example.echo", func(_ context.Context, inv *client.Invocation) (client.Payload, error) {
		return inv.Payload(), nil
	}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := c.Call(ctx, client.CallRequest{
		Procedure: "com.example.echo",
		Payload:   client.Payload{Args: []any{"hello", 42}},
	}, nil)
	fmt.Println(res.Args, err)

	_, err = c.Call(ctx, client.CallRequest{Procedure: "com.example.missing"}, nil)
	fmt.Println(errors.Is(err, client.ErrNoSuchProcedure), client.URIOf(err))
	// Output:
	// [hello 42] <nil>
	// true wamp.error.no_such_procedure
}
