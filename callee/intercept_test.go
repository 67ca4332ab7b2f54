package callee_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/wampkit/wampkit/callee"
	"github.com/wampkit/wampkit/caller"
	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest"
)

// noting is an invocation interceptor that notes its name, each
// progressive result sent and the answer.
func noting(name string, mu *sync.Mutex, log *[]string) client.Interceptor {
	note := func(s string) { mu.Lock(); *log = append(*log, s); mu.Unlock() }
	return client.InterceptorFuncs{Invocation: func(next client.InvocationHandler) client.InvocationHandler {
		return func(ctx context.Context, inv *client.Invocation) (client.Payload, error) {
			note(name + " in")
			inv.OnProgress(func(p client.Payload, _ error) { note(fmt.Sprint(name, " progress ", p.Args)) })
			p, err := next(ctx, inv)
			note(fmt.Sprint(name, " out ", p.Args, " ", err))
			return p, err
		}
	}}
}

func TestWithInterceptorsWrapTypedHandlers(t *testing.T) {
	r := wamptest.NewRouter(t)
	var mu sync.Mutex
	var log []string
	c := r.Local(t, client.WithInterceptors(noting("client", &mu, &log)))
	ctx := wamptest.Context(t)
	mustRegister(t)(callee.RegisterProgressive(ctx, c, "com.example.count",
		func(ctx context.Context, n int, progress func(int) error) (string, error) {
			for i := range n {
				if err := progress(i); err != nil {
					return "", err
				}
			}
			if n > 1 {
				return "", errors.New("too far")
			}
			return "ok", nil
		}, callee.WithInterceptors(noting("A", &mu, &log), noting("B", &mu, &log))))

	res := caller.Progressive[int, string](ctx, r.Local(t), "com.example.count", 1)
	for _, err := range res.Progress() {
		if err != nil {
			t.Fatal(err)
		}
	}
	if out, err := res.Result(); err != nil || out != "ok" {
		t.Fatalf("got %q, %v", out, err)
	}
	want := []string{"client in", "A in", "B in",
		"client progress [0]", "A progress [0]", "B progress [0]",
		"B out [ok] <nil>", "A out [ok] <nil>", "client out [ok] <nil>"}
	if fmt.Sprint(log) != fmt.Sprint(want) {
		t.Errorf("interceptors saw\n%v\nwant\n%v", log, want)
	}

	log = nil
	_, err := caller.Call[string](ctx, r.Local(t), "com.example.count", 2)
	if !errors.Is(err, client.ErrRuntimeError) {
		t.Fatalf("got %v, want runtime_error", err)
	}
	if got := log[len(log)-1]; got != "client out [] too far" {
		t.Errorf("the outermost interceptor saw %q: want the handler's error", got)
	}
}

func TestPanickingInterceptorAnswersRuntimeError(t *testing.T) {
	r := wamptest.NewRouter(t)
	ctx := wamptest.Context(t)
	boom := client.InterceptorFuncs{Invocation: func(client.InvocationHandler) client.InvocationHandler {
		return func(context.Context, *client.Invocation) (client.Payload, error) { panic("boom") }
	}}
	mustRegister(t)(callee.Register(ctx, r.Local(t), "com.example.boom",
		func(context.Context, int) (int, error) { return 1, nil }, callee.WithInterceptors(boom)))
	_, err := caller.Call[int](ctx, r.Local(t), "com.example.boom", 1)
	if !errors.Is(err, client.ErrRuntimeError) {
		t.Fatalf("got %v, want runtime_error", err)
	}
	if _, err := callee.Register(ctx, r.Local(t), "com.example.nil",
		func(context.Context, int) (int, error) { return 1, nil }, callee.WithInterceptors(nil)); !errors.Is(err, client.ErrInvalidOption) {
		t.Fatalf("nil interceptor: got %v", err)
	}
}
