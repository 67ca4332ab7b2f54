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
	}, client.RegisterOptions{})
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

// Events of all a client's subscriptions reach their handlers one at a
// time in the order they were published; two handles on one topic each
// get every event.
func ExampleClient_Subscribe() {
	ctx := context.Background()
	r, err := wamptest.StartRouter()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	sub, err := client.Connect(ctx, r.URL())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer sub.Close(ctx)
	pub, err := client.Connect(ctx, r.URL())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer pub.Close(ctx)

	seen := make(chan string, 8)
	handler := func(name string) client.EventHandler {
		return func(ev *client.Event) { seen <- fmt.Sprint(name, " ", ev.Topic, " ", ev.Args[0]) }
	}
	for _, s := range []struct{ name, topic string }{{"A", "com.example.orders"}, {"B", "com.example.audit"}, {"C", "com.example.audit"}} {
		if _, err := sub.Subscribe(ctx, s.topic, handler(s.name), client.SubscribeOptions{}); err != nil {
			fmt.Println(err)
			return
		}
	}
	for i, topic := range []string{"com.example.orders", "com.example.audit", "com.example.orders"} {
		_, err := pub.Publish(ctx, topic, client.Payload{Args: []any{i}}, client.PublishOptions{Acknowledge: true})
		if err != nil {
			fmt.Println(err)
			return
		}
	}
	for range 4 {
		fmt.Println(<-seen)
	}
	// Output:
	// A com.example.orders 0
	// B com.example.audit 1
	// C com.example.audit 1
	// A com.example.orders 2
}
