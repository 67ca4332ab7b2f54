//go:build interop

package interop

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/wampkit/wampkit/callee"
	"github.com/wampkit/wampkit/client"
)

type addIn struct {
	A int `wamp:"#0"`
	B int `wamp:"#1"`
}

type greetIn struct {
	Name     string `wamp:"name"`
	Greeting string `wamp:"greeting"`
}

// registerCallees registers the suite's procedures under prefix with
// wampkit's callee package. What the hang handler sees goes to the
// returned channel.
func registerCallees(ctx context.Context, c *client.Client, prefix string) (<-chan hangSeen, error) {
	hangs := make(chan hangSeen, 8)
	regs := []func() error{
		func() error {
			_, err := callee.Register(ctx, c, prefix+".add", func(_ context.Context, in addIn) (int, error) {
				return in.A + in.B, nil
			})
			return err
		},
		func() error {
			_, err := callee.Register(ctx, c, prefix+".greet", func(_ context.Context, in greetIn) (string, error) {
				if in.Greeting == "" {
					in.Greeting = "Hello"
				}
				return fmt.Sprintf("%s, %s!", in.Greeting, in.Name), nil
			})
			return err
		},
		func() error {
			_, err := callee.Register(ctx, c, prefix+".echo", func(_ context.Context, in client.Payload) (client.Payload, error) {
				return in, nil
			})
			return err
		},
		func() error {
			_, err := callee.RegisterProgressive(ctx, c, prefix+".countdown",
				func(_ context.Context, n int, progress func(int) error) (string, error) {
					for i := n; i > 0; i-- {
						if err := progress(i); err != nil {
							return "", err
						}
					}
					return "liftoff", nil
				})
			return err
		},
		func() error {
			_, err := callee.Register(ctx, c, prefix+".fail", func(context.Context, client.Payload) (any, error) {
				return nil, &client.Error{URI: errCustomURI, Args: errCustomArgs, Kwargs: errCustomKwargs}
			})
			return err
		},
		func() error {
			// hang tells the caller it runs (a progressive result), then
			// waits to be canceled.
			_, err := callee.RegisterProgressive(ctx, c, prefix+".hang",
				func(ctx context.Context, mode string, progress func(string) error) (string, error) {
					if err := progress("started"); err != nil {
						return "", err
					}
					select {
					case <-ctx.Done():
						hangs <- hangSeen{mode: mode, canceled: true}
						return "", ctx.Err()
					case <-time.After(5 * time.Second):
						hangs <- hangSeen{mode: mode}
						return "not canceled", nil
					}
				})
			return err
		},
	}
	for _, r := range regs {
		if err := r(); err != nil {
			return nil, err
		}
	}
	return hangs, nil
}

// runCallerCell: the peer calls wampkit callees.
func runCallerCell(t *testing.T, m *matrix, c cell, rt testRouter) {
	ctx := ctxFor(t, time.Minute)
	cli, err := connect(ctx, t, rt, c.serializer)
	if err != nil {
		m.failAll(t, c, callerScenarios, "wampkit client: "+err.Error())
		return
	}
	hangs, err := registerCallees(ctx, cli, c.prefix())
	if err != nil {
		m.failAll(t, c, callerScenarios, "wampkit register: "+err.Error())
		return
	}
	p := startPeer(t, peerSpec{
		peer: c.peer, role: roleCaller, router: rt, serializer: c.serializer, prefix: c.prefix(),
		env: map[string]string{"WAMP_ECHO": echoFixtureJSON()},
	})
	if err := p.finish(peerDeadline); err != nil {
		t.Errorf("%s caller: %v", c.peer, err)
	}
	seen := map[string]*hangSeen{}
	for range 2 {
		select {
		case h := <-hangs:
			seen[h.mode] = &h
		case <-time.After(3 * time.Second):
		}
	}
	reports := p.scenarios()
	for _, sc := range callerScenarios {
		o := obs{report: reports[sc.name]}
		switch sc.name {
		case "cancel_kill":
			o.hang = seen["kill"]
		case "cancel_killnowait":
			o.hang = seen["killnowait"]
		}
		m.judge(t, c, sc, o)
	}
}

// connect connects a wampkit client over websocket with the cell's
// serializer; it is closed when the test ends.
func connect(ctx context.Context, t *testing.T, rt testRouter, serializer string, opts ...client.Option) (*client.Client, error) {
	s, err := client.ParseSerialization(serializer)
	if err != nil {
		return nil, err
	}
	opts = append([]client.Option{client.WithSerialization(s), client.WithoutReconnect()}, opts...)
	cli, err := client.Connect(ctx, rt.url, opts...)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := cli.Close(ctx); err != nil {
			t.Errorf("close wampkit client: %v", err)
		}
	})
	return cli, nil
}
