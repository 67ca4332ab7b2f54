package caller_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest"
)

// raw registers a handler written against the raw client, not the callee
// package, so caller is tested against an independent callee.
func raw(t *testing.T, c *client.Client, uri string, h client.InvocationHandler, opts client.RegisterOptions) {
	t.Helper()
	_, err := c.Register(wamptest.Context(t), uri, h, opts)
	require.NoError(t, err)
}

// num reads a number as the serializers deliver it (int64, uint64, float64).
func num(v any) int {
	switch n := v.(type) {
	case int:
		return n
	case int64:
		return int(n)
	case uint64:
		return int(n)
	case float64:
		return int(n)
	}
	var x int
	fmt.Sscan(fmt.Sprint(v), &x)
	return x
}

type AddIn struct {
	A int `wamp:"#0"`
	B int `wamp:"#1"`
}

type User struct {
	Name string   `json:"name"`
	Tags []string `json:"tags"`
	Age  int      `json:"age"`
}

// add answers the sum of its two positional arguments.
func add(_ context.Context, inv *client.Invocation) (client.Payload, error) {
	a := inv.Payload().Args
	if len(a) != 2 {
		return client.Payload{}, client.NewError("wamp.error.invalid_argument", "want two arguments")
	}
	return client.Payload{Args: []any{num(a[0]) + num(a[1])}}, nil
}

// countdown sends n, n-1, ..., 1 as progressive results, then "liftoff".
func countdown(ctx context.Context, inv *client.Invocation) (client.Payload, error) {
	for i := num(inv.Payload().Args[0]); i > 0; i-- {
		if err := inv.Progress(client.Payload{Args: []any{i}}); err != nil {
			return client.Payload{}, err
		}
	}
	return client.Payload{Args: []any{"liftoff"}}, nil
}

// counter sends 0..n-1 as progressive results, then "done". It reports on
// stopped (when not nil) if it was stopped early.
func counter(stopped chan<- struct{}) client.InvocationHandler {
	return func(ctx context.Context, inv *client.Invocation) (client.Payload, error) {
		n := num(inv.Payload().Args[0])
		for i := range n {
			err := inv.Progress(client.Payload{Args: []any{i}})
			if err == nil {
				err = ctx.Err()
			}
			if err != nil {
				if stopped != nil {
					stopped <- struct{}{}
				}
				return client.Payload{}, err
			}
		}
		return client.Payload{Args: []any{"done"}}, nil
	}
}
