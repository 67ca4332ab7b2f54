//go:build interop

package interop

import (
	"context"

	"github.com/wampkit/wampkit/caller"
	"github.com/wampkit/wampkit/client"
)

// The wampkit caller side of the suite, one function per procedure, all
// through the typed caller package.

func callAdd(ctx context.Context, c *client.Client, procedure string, a, b int) (int, error) {
	return caller.Call[int](ctx, c, procedure, caller.Args(a, b))
}

func callGreet(ctx context.Context, c *client.Client, procedure, name, greeting string) (string, error) {
	return caller.Call[string](ctx, c, procedure, caller.Kwargs(map[string]any{"name": name, "greeting": greeting}))
}

func callEcho(ctx context.Context, c *client.Client, procedure string, in client.Payload) (client.Payload, error) {
	return caller.Call[client.Payload](ctx, c, procedure, in)
}

// callCountdown collects the progressive results, then the final one.
func callCountdown(ctx context.Context, c *client.Client, procedure string, n int) ([]int, string, error) {
	res := caller.Progressive[int, string](ctx, c, procedure, n)
	var progress []int
	for v, err := range res.Progress() {
		if err != nil {
			return progress, "", err
		}
		progress = append(progress, v)
	}
	final, err := res.Result()
	return progress, final, err
}

func callFail(ctx context.Context, c *client.Client, procedure string) (client.Payload, error) {
	return caller.Call[client.Payload](ctx, c, procedure, nil)
}

// callHang calls hang(mode); canceling ctx cancels the call in that mode.
func callHang(ctx context.Context, c *client.Client, procedure string, mode client.CancelMode) (string, error) {
	return caller.Call[string](ctx, c, procedure, string(mode), caller.CancelMode(mode))
}
