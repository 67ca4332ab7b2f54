package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/client/wamptest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// exampleProcedures registers, with the raw client (not the callee
// package), procedures shaped like examples/callee's.
func exampleProcedures(t *testing.T, c *client.Client) {
	ctx := t.Context()
	procs := []struct {
		uri  string
		opts client.RegisterOptions
		h    client.InvocationHandler
	}{
		{"com.example.add", client.RegisterOptions{}, func(_ context.Context, inv *client.Invocation) (client.Payload, error) {
			a := inv.Payload().Args
			if len(a) != 2 {
				return client.Payload{}, client.NewError("wamp.error.invalid_argument", "want two integers")
			}
			if _, ok := a[0].(string); ok {
				return client.Payload{}, client.NewError("wamp.error.invalid_argument", `decode "args[0]": want int`)
			}
			return client.Payload{Args: []any{num(a[0]) + num(a[1])}}, nil
		}},
		{"com.example.greet", client.RegisterOptions{}, func(_ context.Context, inv *client.Invocation) (client.Payload, error) {
			kw := inv.Payload().Kwargs
			greeting, _ := kw["greeting"].(string)
			if greeting == "" {
				greeting = "Hello"
			}
			return client.Payload{Args: []any{fmt.Sprintf("%s, %s!", greeting, kw["name"])}}, nil
		}},
		{"com.example.countdown", client.RegisterOptions{}, func(ctx context.Context, inv *client.Invocation) (client.Payload, error) {
			for i := num(inv.Payload().Args[0]); i > 0; i-- {
				if err := inv.Progress(client.Payload{Args: []any{i}}); err != nil {
					return client.Payload{}, err
				}
				select {
				case <-ctx.Done():
					return client.Payload{}, ctx.Err()
				case <-time.After(5 * time.Millisecond):
				}
			}
			return client.Payload{Args: []any{"liftoff"}}, nil
		}},
		{"com.example.echo.", client.RegisterOptions{Match: client.MatchPrefix}, func(_ context.Context, inv *client.Invocation) (client.Payload, error) {
			return client.Payload{Args: inv.Payload().Args, Kwargs: map[string]any{"procedure": inv.Procedure()}}, nil
		}},
	}
	for _, p := range procs {
		if _, err := c.Register(ctx, p.uri, p.h, p.opts); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCallerAgainstExampleProcedures runs the program over each serializer.
func TestCallerAgainstExampleProcedures(t *testing.T) {
	r := wamptest.NewRouter(t)
	exampleProcedures(t, r.Connect(t))
	for _, ser := range []string{"json", "msgpack", "cbor"} {
		t.Run(ser, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var out strings.Builder
			if err := run(ctx, []string{"-url", r.URL(), "-ser", ser}, &out); err != nil {
				t.Fatalf("run: %v\n%s", err, out.String())
			}
			for _, want := range []string{
				"com.example.add(2, 3) = 5",
				`= "Hi, Ada!"`,
				`= "Hello, Grace!"`,
				"progress: 3", "progress: 2", "progress: 1",
				`com.example.countdown(3) = "liftoff"`,
				"[hi 42] (procedure com.example.echo.hello)",
				"com.example.countdown progress: 8",
				"left at 8: canceled: true",
				"wamp.error.invalid_argument",
			} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("output lacks %q:\n%s", want, out.String())
				}
			}
		})
	}
}

// -load keeps calls in flight; one of two roundrobin callees drains
// meanwhile (a rolling restart) and no call fails. -failover prints the
// router in use.
func TestLoadWhileACalleeDrains(t *testing.T) {
	r, spare := wamptest.NewRouter(t), wamptest.NewRouter(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var calls [2]atomic.Int64
	var callees []*client.Client
	for i := range 2 {
		c := r.Connect(t)
		_, err := c.Register(ctx, "com.example.add", func(_ context.Context, inv *client.Invocation) (client.Payload, error) {
			calls[i].Add(1)
			time.Sleep(2 * time.Millisecond)
			a := inv.Payload().Args
			return client.Payload{Args: []any{num(a[0]) + num(a[1])}}, nil
		}, client.RegisterOptions{Invoke: client.InvokeRoundRobin})
		if err != nil {
			t.Fatal(err)
		}
		callees = append(callees, c)
	}
	out := &syncBuilder{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"-url", r.URL(), "-failover", spare.URL(), "-load", "1500ms"}, out) }()
	for calls[0].Load() < 20 && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
	}
	otherBefore := calls[1].Load()
	if err := callees[0].Drain(ctx); err != nil {
		t.Fatalf("Drain: %v", err)
	}
	drained := calls[0].Load()
	if err := <-done; err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	if calls[0].Load() != drained {
		t.Errorf("the drained callee got %d calls after Drain returned", calls[0].Load()-drained)
	}
	if calls[1].Load() <= otherBefore {
		t.Errorf("the other callee got no calls from the drain on (%d before it)", otherBefore)
	}
	for _, want := range []string{"state: connected " + r.URL(), "calls answered in", ", 0 failed"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// syncBuilder is a strings.Builder safe for the state listener's goroutine.
type syncBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuilder) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuilder) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestBadFlags(t *testing.T) {
	ctx := t.Context()
	var out strings.Builder
	if err := run(ctx, []string{"-ser", "xml"}, &out); err == nil {
		t.Error("an unknown serialization is refused")
	}
	if err := run(ctx, []string{"-nope"}, &out); err == nil {
		t.Error("an unknown flag is refused")
	}
}

// num reads a number as the serializers deliver it.
func num(v any) int {
	switch n := v.(type) {
	case int64:
		return int(n)
	case uint64:
		return int(n)
	case float64:
		return int(n)
	case int:
		return n
	}
	return 0
}
