//go:build interop

package interop

import (
	"context"
	"fmt"

	"github.com/wampkit/wampkit/client"
)

// The wampkit caller side of the suite, one function per procedure.

func callAdd(ctx context.Context, c *client.Client, procedure string, a, b int) (int, error) {
	res, err := c.Call(ctx, client.CallRequest{Procedure: procedure, Payload: client.Payload{Args: []any{a, b}}}, nil)
	if err != nil {
		return 0, err
	}
	return asInt(res.Args)
}

func callGreet(ctx context.Context, c *client.Client, procedure, name, greeting string) (string, error) {
	res, err := c.Call(ctx, client.CallRequest{Procedure: procedure,
		Payload: client.Payload{Kwargs: map[string]any{"name": name, "greeting": greeting}}}, nil)
	if err != nil {
		return "", err
	}
	return asString(res.Args)
}

func callEcho(ctx context.Context, c *client.Client, procedure string, in client.Payload) (client.Payload, error) {
	res, err := c.Call(ctx, client.CallRequest{Procedure: procedure, Payload: in}, nil)
	return res.Payload, err
}

func callCountdown(ctx context.Context, c *client.Client, procedure string, n int) ([]int, string, error) {
	var progress []int
	res, err := c.Call(ctx, client.CallRequest{Procedure: procedure, Payload: client.Payload{Args: []any{n}}},
		func(r client.Result) error {
			v, err := asInt(r.Args)
			progress = append(progress, v)
			return err
		})
	if err != nil {
		return progress, "", err
	}
	s, err := asString(res.Args)
	return progress, s, err
}

func callFail(ctx context.Context, c *client.Client, procedure string) (any, error) {
	res, err := c.Call(ctx, client.CallRequest{Procedure: procedure}, nil)
	return res.Payload, err
}

func callHang(ctx context.Context, c *client.Client, procedure string, mode client.CancelMode) (string, error) {
	res, err := c.Call(ctx, client.CallRequest{Procedure: procedure, Payload: client.Payload{Args: []any{string(mode)}},
		CancelMode: mode}, nil)
	if err != nil {
		return "", err
	}
	return asString(res.Args)
}

func asInt(args []any) (int, error) {
	if len(args) == 0 {
		return 0, fmt.Errorf("no result")
	}
	switch v := args[0].(type) {
	case int64:
		return int(v), nil
	case uint64:
		return int(v), nil
	case float64:
		return int(v), nil
	case int:
		return v, nil
	}
	return 0, fmt.Errorf("result %v (%T) is not a number", args[0], args[0])
}

func asString(args []any) (string, error) {
	if len(args) == 0 {
		return "", fmt.Errorf("no result")
	}
	s, ok := args[0].(string)
	if !ok {
		return "", fmt.Errorf("result %v (%T) is not a string", args[0], args[0])
	}
	return s, nil
}
