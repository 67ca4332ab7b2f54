//go:build interop

package interop

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
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
			_, err := callee.Register(ctx, c, prefix+".fail_kw", func(context.Context, client.Payload) (any, error) {
				return nil, &client.Error{URI: errCustomURI, Kwargs: errCustomKwargs}
			})
			return err
		},
		func() error {
			// bytes answers the arguments it got and the Go type of the
			// first: a peer's binary value must arrive as []byte.
			_, err := callee.Register(ctx, c, prefix+".bytes", func(_ context.Context, in client.Payload) (client.Payload, error) {
				if len(in.Args) == 0 {
					return client.Payload{Args: []any{nil, "no arguments"}}, nil
				}
				return client.Payload{Args: []any{in.Args[0], fmt.Sprintf("%T", in.Args[0])}}, nil
			})
			return err
		},
		func() error {
			// bytes_typed decodes a []byte and answers it reversed.
			_, err := callee.Register(ctx, c, prefix+".bytes_typed", func(_ context.Context, in []byte) ([]byte, error) {
				return reversed(in), nil
			})
			return err
		},
		func() error {
			// sum adds the chunks of a streamed (progressive) invocation.
			// It waits at most 3 s for the input to end (a router may lose
			// the final chunk: see the nxt limitations), so that no
			// invocation outlives the cell; the reader goroutine ends with
			// the invocation.
			_, err := callee.RegisterStream(ctx, c, prefix+".sum", func(_ context.Context, in iter.Seq2[int, error]) (int, error) {
				type sum struct {
					n   int
					err error
				}
				done := make(chan sum, 1)
				go func() {
					total := 0
					for n, err := range in {
						if err != nil {
							done <- sum{err: err}
							return
						}
						total += n
					}
					done <- sum{n: total}
				}()
				select {
				case s := <-done:
					return s.n, s.err
				case <-time.After(3 * time.Second):
					return 0, errors.New("interop: the streamed input did not end within 3 s")
				}
			})
			return err
		},
		func() error {
			// ppt answers a call in Payload Passthru Mode with the same
			// passthru payload, untouched; anything else with "not ppt"
			// and what arrived.
			_, err := c.Register(ctx, prefix+".ppt", func(_ context.Context, inv *client.Invocation) (client.Payload, error) {
				in := inv.Payload()
				if in.Passthru == nil {
					return client.Payload{Args: []any{"not ppt", fmt.Sprintf("%T", in.Args)}}, nil
				}
				return client.Payload{Passthru: in.Passthru}, nil
			}, client.RegisterOptions{})
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
	exitErr := p.finish(peerDeadline)
	// The hang handler ran for cancel_kill, cancel_killnowait and timeout
	// (unless the peer never got that far); one that was not interrupted
	// ends after its 5 s, possibly after the peer has gone.
	seen := map[string]*hangSeen{}
	deadline := time.After(6 * time.Second)
collect:
	for range 3 {
		select {
		case h := <-hangs:
			seen[h.mode] = &h
		case <-deadline:
			break collect
		}
	}
	reports := p.scenarios()
	for _, sc := range callerScenarios {
		o := obs{report: reports[sc.name], peer: p}
		switch sc.name {
		case "cancel_kill":
			o.hang = seen["kill"]
		case "cancel_killnowait":
			o.hang = seen["killnowait"]
		case "timeout":
			o.hang = seen["timeout"]
		}
		m.judge(t, c, sc, o)
	}
	// A peer that failed is a failure unless it failed where a known
	// limitation says it does: in a scenario it could not report on.
	if exitErr != nil {
		explained := false
		for _, sc := range callerScenarios {
			if _, ok := findLimitation(c, sc.name); ok && reports[sc.name] == nil {
				explained = true
			}
		}
		if !explained {
			t.Errorf("%s caller: %v", c.peer, exitErr)
		}
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

// reversed returns a reversed copy of b.
func reversed(b []byte) []byte {
	r := slices.Clone(b)
	slices.Reverse(r)
	return r
}
