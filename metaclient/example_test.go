package metaclient_test

import (
	"context"
	"fmt"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/router"
	"github.com/wampkit/wampkit/metaclient"
)

func Example() {
	ctx := context.Background()
	r, _ := router.New(router.Config{})
	defer r.Close()
	c, _ := client.ConnectLocal(ctx, r)
	defer c.Close(ctx)
	_, _ = c.Register(ctx, "com.example.echo.", func(_ context.Context, inv *client.Invocation) (client.Payload, error) {
		return inv.Payload(), nil
	}, map[string]any{"match": "prefix"})

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
