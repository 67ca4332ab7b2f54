package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/wampkit/wampkit/callee"
	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestCallerAgainstExampleProcedures runs the program against procedures
// shaped like examples/callee's, over each serializer.
func TestCallerAgainstExampleProcedures(t *testing.T) {
	r := wamptest.NewRouter(t)
	srv := r.Local(t)
	ctx := wamptest.Context(t)
	must := func(_ *callee.Registration, err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(callee.Register(ctx, srv, "com.example.add", func(_ context.Context, in AddIn) (int, error) { return in.A + in.B, nil }))
	must(callee.Register(ctx, srv, "com.example.greet", func(_ context.Context, in GreetIn) (string, error) {
		return fmt.Sprintf("%s, %s!", in.Greeting, in.Name), nil
	}))
	must(callee.RegisterProgressive(ctx, srv, "com.example.countdown", func(_ context.Context, n int, p func(int) error) (string, error) {
		for i := n; i > 0; i-- {
			if err := p(i); err != nil {
				return "", err
			}
		}
		return "liftoff", nil
	}))
	must(callee.Register(ctx, srv, "com.example.echo.", func(ctx context.Context, in client.Payload) (client.Payload, error) {
		inv, _ := callee.InvocationFrom(ctx)
		return client.Payload{Args: in.Args, Kwargs: map[string]any{"procedure": inv.Procedure}}, nil
	}, callee.MatchPrefix()))
	for _, ser := range []string{"json", "msgpack", "cbor"} {
		t.Run(ser, func(t *testing.T) {
			rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			var out bytes.Buffer
			if err := run(rctx, []string{"-url", r.WebsocketURL(), "-ser", ser}, &out); err != nil {
				t.Fatalf("run: %v\n%s", err, out.String())
			}
			for _, want := range []string{
				"com.example.add(2, 3) = 5",
				`= "Hi, Ada!"`,
				"progress: 3", "progress: 1",
				`com.example.countdown(3) = "liftoff"`,
				"[hi 42] (procedure com.example.echo.hello)",
				"wamp.error.invalid_argument",
			} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("output lacks %q:\n%s", want, out.String())
				}
			}
		})
	}
}
