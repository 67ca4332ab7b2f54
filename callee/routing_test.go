package callee_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/wampkit/wampkit/callee"
	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest"
)

// registerShared registers proc on n callee clients with policy p; each
// handler answers its own index.
func registerShared(t *testing.T, r *wamptest.Router, proc string, p callee.Policy, n int) {
	t.Helper()
	for i := range n {
		c := r.Local(t)
		mustRegister(t)(callee.Register(wamptest.Context(t), c, proc, func(context.Context, struct{}) (int, error) {
			return i, nil
		}, callee.Invoke(p)))
	}
}

// tally makes calls calls and counts the answers by callee index.
func tally(t *testing.T, c *client.Client, proc string, calls int) map[int]int {
	t.Helper()
	counts := map[int]int{}
	for range calls {
		res := mustCall(t, c, proc)
		i, ok := res.Args[0].(int64)
		if !ok {
			t.Fatalf("answer %#v, want an int64", res.Args)
		}
		counts[int(i)]++
	}
	return counts
}

func TestSharedPolicies(t *testing.T) {
	for _, tc := range []struct {
		policy callee.Policy
		check  func(counts map[int]int) error
	}{
		{callee.RoundRobin, exactly(map[int]int{0: 10, 1: 10, 2: 10})},
		{callee.First, exactly(map[int]int{0: 30})},
		{callee.Last, exactly(map[int]int{2: 30})},
		{callee.Random, func(counts map[int]int) error {
			if len(counts) < 2 || counts[0]+counts[1]+counts[2] != 30 {
				return fmt.Errorf("random spread %v: want 30 answers from at least two callees", counts)
			}
			return nil
		}},
	} {
		t.Run(string(tc.policy), func(t *testing.T) {
			r := wamptest.NewRouter(t)
			registerShared(t, r, "com.example.shared", tc.policy, 3)
			if err := tc.check(tally(t, r.Local(t), "com.example.shared", 30)); err != nil {
				t.Error(err)
			}
		})
	}
}

func exactly(want map[int]int) func(map[int]int) error {
	return func(got map[int]int) error {
		if fmt.Sprint(got) != fmt.Sprint(want) {
			return fmt.Errorf("answers per callee %v, want %v", got, want)
		}
		return nil
	}
}

func echoProcedure(ctx context.Context, _ client.Payload) (string, error) {
	inv, ok := callee.InvocationFrom(ctx)
	if !ok {
		return "", errors.New("no invocation in context")
	}
	return inv.Procedure, nil
}

func TestPatternRegistrations(t *testing.T) {
	r := wamptest.NewRouter(t)
	c := r.Local(t)
	ctx := wamptest.Context(t)
	mustRegister(t)(callee.Register(ctx, c, "com.example.echo.", echoProcedure, callee.MatchPrefix()))
	mustRegister(t)(callee.Register(ctx, c, "com.example..get", echoProcedure, callee.MatchWildcard()))
	mustRegister(t)(callee.Register(ctx, c, "com.example.exact", echoProcedure))
	for _, called := range []string{
		"com.example.echo.hello", "com.example.echo.a.b", "com.example.user.get", "com.example.exact",
	} {
		t.Run(called, func(t *testing.T) {
			if res := mustCall(t, c, called); fmt.Sprint(res.Args) != fmt.Sprint([]any{called}) {
				t.Errorf("InvocationFrom().Procedure %v, want %s", res.Args, called)
			}
		})
	}
	_, err := call(t, c, "com.example.user.get.more", nil, nil)
	remoteError(t, err, "wamp.error.no_such_procedure")
}

func TestExactAndPrefixAreIndependent(t *testing.T) {
	r := wamptest.NewRouter(t)
	c := r.Local(t)
	ctx := wamptest.Context(t)
	answer := func(s string) func(context.Context, struct{}) (string, error) {
		return func(context.Context, struct{}) (string, error) { return s, nil }
	}
	exact := mustRegister(t)(callee.Register(ctx, c, "com.example.same", answer("exact")))
	prefix := mustRegister(t)(callee.Register(ctx, c, "com.example.same", answer("prefix"), callee.MatchPrefix()))
	if exact.ID() == prefix.ID() {
		t.Fatalf("exact and prefix registrations share ID %d", exact.ID())
	}
	expect := func(proc, want string) {
		t.Helper()
		if res := mustCall(t, c, proc); fmt.Sprint(res.Args) != "["+want+"]" {
			t.Errorf("call %s: %v, want [%s]", proc, res.Args, want)
		}
	}
	expect("com.example.same", "exact")
	expect("com.example.same.x", "prefix")
	if err := prefix.Unregister(ctx); err != nil {
		t.Fatalf("unregister prefix: %v", err)
	}
	<-prefix.Done()
	if prefix.Err() != nil {
		t.Errorf("Err after Unregister: %v, want nil", prefix.Err())
	}
	_, err := call(t, c, "com.example.same.x", nil, nil)
	remoteError(t, err, "wamp.error.no_such_procedure")
	expect("com.example.same", "exact")
	if err := exact.Unregister(ctx); err != nil {
		t.Fatalf("unregister exact: %v", err)
	}
	_, err = call(t, c, "com.example.same", nil, nil)
	remoteError(t, err, "wamp.error.no_such_procedure")
}

func TestDiscloseCaller(t *testing.T) {
	r := wamptest.NewRouter(t)
	c := r.Local(t)
	ctx := wamptest.Context(t)
	got := make(chan callee.Invocation, 2)
	record := func(ctx context.Context, _ struct{}) (any, error) {
		inv, _ := callee.InvocationFrom(ctx)
		got <- inv
		return nil, nil
	}
	mustRegister(t)(callee.Register(ctx, c, "com.example.disclosed", record, callee.DiscloseCaller()))
	mustRegister(t)(callee.Register(ctx, c, "com.example.hidden", record))
	caller := r.WS(t) // in-process sessions are "trusted" on nexus

	mustCall(t, caller, "com.example.disclosed")
	inv := <-got
	if inv.Caller() != caller.ID() || inv.CallerAuthID() == "" || inv.CallerAuthRole() != "anonymous" {
		t.Errorf("disclosed caller %d/%q/%q, want %d/<authid>/anonymous",
			inv.Caller(), inv.CallerAuthID(), inv.CallerAuthRole(), caller.ID())
	}
	if inv.Registration() == nil || inv.ID() == 0 || inv.Procedure != "com.example.disclosed" {
		t.Errorf("invocation %d on registration %v of %q: want registration, ID and procedure set",
			inv.ID(), inv.Registration(), inv.Procedure)
	}

	mustCall(t, caller, "com.example.hidden")
	if inv := <-got; inv.Caller() != 0 || inv.CallerAuthID() != "" {
		t.Errorf("undisclosed caller %d/%q, want none", inv.Caller(), inv.CallerAuthID())
	}
}

func TestInvocationFromOtherContext(t *testing.T) {
	if _, ok := callee.InvocationFrom(context.Background()); ok {
		t.Error("InvocationFrom(Background) ok, want false")
	}
}

// A nil option is skipped (the one rule of wampkit's options): the options
// around it still apply.
func TestNilOptionIsSkipped(t *testing.T) {
	r := wamptest.NewRouter(t)
	c := r.Local(t)
	ctx := wamptest.Context(t)
	var none callee.Option
	mustRegister(t)(callee.Register(ctx, c, "com.example.nil.", echoProcedure, none, callee.MatchPrefix(), nil))
	if res := mustCall(t, c, "com.example.nil.x"); fmt.Sprint(res.Args) != "[com.example.nil.x]" {
		t.Errorf("prefix registration answered %v, want [com.example.nil.x]", res.Args)
	}
}
