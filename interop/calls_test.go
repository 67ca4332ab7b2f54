//go:build interop

package interop

import (
	"context"
	"time"

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
// In mode kill the call waits up to 1 s for the callee's answer to the
// INTERRUPT.
func callHang(ctx context.Context, c *client.Client, procedure string, mode client.CancelMode) (string, error) {
	return caller.Call[string](ctx, c, procedure, string(mode), caller.CancelMode(mode), caller.KillWait(killWaitFixture))
}

// killWaitFixture bounds the wait for a callee's answer to INTERRUPT.
const killWaitFixture = time.Second

// callKwargsOnly calls with keyword arguments only: the CALL carries an
// empty positional list before them (the spec's form).
func callKwargsOnly(ctx context.Context, c *client.Client, procedure string, kw map[string]any) (client.Payload, error) {
	return caller.Call[client.Payload](ctx, c, procedure, caller.Kwargs(kw))
}

// callBytesRaw sends b through the raw client API and returns the raw
// result.
func callBytesRaw(ctx context.Context, c *client.Client, procedure string, b []byte) (client.Payload, error) {
	r, err := c.Call(ctx, client.CallRequest{Procedure: procedure, Payload: client.Payload{Args: []any{b}}}, nil)
	return r.Payload, err
}

// callBytesTyped sends b through the typed caller and decodes args[0] as
// []byte.
func callBytesTyped(ctx context.Context, c *client.Client, procedure string, b []byte) ([]byte, error) {
	return caller.Call[[]byte](ctx, c, procedure, b)
}

// callSum streams the chunks as a progressive call invocation (all but the
// last with progress=true) and returns the final result.
func callSum(ctx context.Context, c *client.Client, procedure string, chunks ...int) (int, error) {
	s, err := caller.Open[int, int, int](ctx, c, procedure, chunks[0])
	if err != nil {
		return 0, err
	}
	for i, n := range chunks[1:] {
		if i == len(chunks)-2 {
			err = s.SendLast(ctx, n)
		} else {
			err = s.Send(ctx, n)
		}
		if err != nil {
			return 0, err
		}
	}
	return s.Results().Result()
}

// callTimeout calls hang with a call timeout of d.
func callTimeout(ctx context.Context, c *client.Client, procedure string, d time.Duration) (string, error) {
	return caller.Call[string](ctx, c, procedure, "timeout", caller.Timeout(d))
}
