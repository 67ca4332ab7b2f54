package metaclient_test

import (
	"context"
	"fmt"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/client/wamptest"
	"github.com/wampkit/wampkit/metaclient"
)

func Example() {
	ctx := context.Background()
	r, _ := wamptest.StartRouter() // the reference router, in process
	defer r.Close()
	c, _ := r.Dial(ctx)
	defer c.Close(ctx)
	_, _ = c.Register(ctx, "com.example.echo.", func(_ context.Context, inv *client.Invocation) (client.Payload, error) {
		return inv.Payload(), nil
	}, client.RegisterOptions{Match: client.MatchPrefix})

	m := metaclient.New(c)
	regs, _ := m.UserRegistrations(ctx)
	for _, reg := range regs {
		n, _ := m.CountCallees(ctx, reg.ID)
		fmt.Println(reg.URI, reg.Match, reg.Invoke, n)
	}
	ids, _ := m.Match(ctx, "com.example.echo.hello")
	fmt.Println(len(ids) == 1 && ids[0] == regs[0].ID)
	// Output:
	// com.example.echo. prefix single 1
	// true
}

func ExampleClient_Watch() {
	ctx := context.Background()
	r, _ := wamptest.StartRouter()
	defer r.Close()
	watcher, _ := r.Dial(ctx)
	defer watcher.Close(ctx)

	reg, _ := metaclient.New(watcher).Watch(ctx)
	defer reg.Close(ctx)
	fmt.Println((<-reg.Changes()).Kind) // the initial snapshot

	callee, _ := r.Dial(ctx)
	defer callee.Close(ctx)
	h, _ := callee.Register(ctx, "com.example.add", func(context.Context, *client.Invocation) (client.Payload, error) {
		return client.Payload{}, nil
	}, client.RegisterOptions{})
	for c := range reg.Changes() {
		fmt.Println(c.Kind, c.URI)
		if c.Kind == metaclient.CalleeAdded {
			break
		}
	}
	info, _ := reg.Lookup("com.example.add", metaclient.Exact)
	fmt.Println(info.ID == h.ID(), info.Invoke, len(info.Callees))
	// Output:
	// resynced
	// created com.example.add
	// callee-added com.example.add
	// true single 1
}
