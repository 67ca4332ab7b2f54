package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/client/wamptest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// lines collects output and signals each write.
type lines struct {
	mu    sync.Mutex
	b     strings.Builder
	wrote chan struct{}
}

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	select {
	case l.wrote <- struct{}{}:
	default:
	}
	return l.b.Write(p)
}

func (l *lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestCallee(t *testing.T) {
	r := wamptest.NewRouter(t)
	countdownStep = time.Millisecond

	for _, ser := range []string{"json", "msgpack", "cbor"} {
		t.Run(ser, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			runCtx, stop := context.WithCancel(ctx)
			out := &lines{wrote: make(chan struct{}, 1)}
			done := make(chan error, 1)
			go func() { done <- run(runCtx, []string{"-url", r.URL(), "-ser", ser}, out) }()
			waitOutput(t, ctx, out, done, "serving")

			c, err := client.Connect(ctx, r.RawSocketURL())
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = c.Close(ctx) }()
			checkProcedures(t, ctx, c)

			stop()
			if err := <-done; err != nil {
				t.Errorf("run: %v", err)
			}
			if !strings.Contains(out.String(), "stopping: draining") || !strings.Contains(out.String(), "drained in") {
				t.Errorf("output %q: want the stopping and drained lines", out.String())
			}
		})
	}
}

func checkProcedures(t *testing.T, ctx context.Context, c *client.Client) {
	for _, tc := range []struct {
		proc     string
		payload  client.Payload
		progress bool
		want     string
	}{
		{"com.example.add", client.Payload{Args: []any{2, 3}}, false, "[5] map[]"},
		{"com.example.add", client.Payload{Args: []any{2}}, false, "wamp.error.invalid_argument"},
		{"com.example.greet", client.Payload{Kwargs: map[string]any{"name": "Ada"}}, false, "[Hello, Ada!] map[]"},
		{"com.example.greet", client.Payload{Kwargs: map[string]any{"name": "Bo", "greeting": "Hi"}}, false, "[Hi, Bo!] map[]"},
		{"com.example.greet", client.Payload{}, false, "wamp.error.invalid_argument"},
		{"com.example.countdown", client.Payload{Args: []any{3}}, true, "3 2 1 [liftoff] map[]"},
		{"com.example.countdown", client.Payload{Args: []any{-1}}, false, "wamp.error.invalid_argument"},
		{"com.example.echo.x.y", client.Payload{Args: []any{"a", 1}}, false, "[a 1] map[procedure:com.example.echo.x.y]"},
	} {
		var got strings.Builder
		var onProgress func(client.Result) error
		if tc.progress {
			onProgress = func(r client.Result) error { fmt.Fprintf(&got, "%v ", r.Args[0]); return nil }
		}
		res, err := c.Call(ctx, client.CallRequest{Procedure: tc.proc, Payload: tc.payload}, onProgress)
		if err != nil {
			got.WriteString(client.URIOf(err))
		} else {
			fmt.Fprintf(&got, "%v %v", res.Args, res.Kwargs)
		}
		if got.String() != tc.want {
			t.Errorf("%s %v: got %q, want %q", tc.proc, tc.payload, got.String(), tc.want)
		}
	}
}

// waitOutput waits until out contains want, failing if run ends first
// (its error stays in done, a channel of capacity 1, for whoever waits).
func waitOutput(t *testing.T, ctx context.Context, out *lines, done chan error, want string) {
	t.Helper()
	for !strings.Contains(out.String(), want) {
		select {
		case <-out.wrote:
		case err := <-done:
			done <- err
			t.Fatalf("run ended before %q: %v (output %q)", want, err, out.String())
		case <-ctx.Done():
			t.Fatalf("no %q in the output: %q", want, out.String())
		}
	}
}

// Two callees share the procedures (-invoke roundrobin) and know a second
// router (-failover): stopping one (Ctrl-C: it drains) fails no call, and
// when the first router stops the other moves to the second, which prints
// the router in use, and its procedures are called there.
func TestCalleesShareAndFailOver(t *testing.T) {
	r1, r2 := wamptest.NewRouter(t), wamptest.NewRouter(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	type proc struct {
		out    *lines
		done   chan error
		stop   context.CancelFunc
		result func() error // run's error, once it returned
	}
	var ps []proc
	for range 2 {
		runCtx, stop := context.WithCancel(ctx)
		p := proc{out: &lines{wrote: make(chan struct{}, 1)}, done: make(chan error, 1), stop: stop}
		p.result = sync.OnceValue(func() error { return <-p.done })
		go func() {
			p.done <- run(runCtx, []string{"-url", r1.URL(), "-failover", r2.URL(), "-invoke", "roundrobin"}, p.out)
		}()
		waitOutput(t, ctx, p.out, p.done, "serving")
		ps = append(ps, p)
		defer func() { stop(); _ = p.result() }()
	}
	c := r1.Connect(t)
	add := func(c *client.Client) error {
		_, err := c.Call(ctx, client.CallRequest{Procedure: "com.example.add", Payload: client.Payload{Args: []any{2, 3}}}, nil)
		return err
	}
	for range 4 {
		if err := add(c); err != nil {
			t.Fatalf("add with two callees: %v", err)
		}
	}
	ps[0].stop()
	if err := ps[0].result(); err != nil {
		t.Fatalf("the first callee's drain: %v", err)
	}
	if !strings.Contains(ps[0].out.String(), "drained in") {
		t.Errorf("output %q: want a drained line", ps[0].out.String())
	}
	for range 4 {
		if err := add(c); err != nil {
			t.Fatalf("add after one callee drained: %v", err)
		}
	}
	r1.Stop()
	waitOutput(t, ctx, ps[1].out, ps[1].done, "state: connected to "+r2.URL())
	c2 := r2.Connect(t)
	var err error
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if err = add(c2); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("add on the second router: %v", err)
	}
	if !strings.Contains(ps[1].out.String(), "state: lost "+r1.URL()) {
		t.Errorf("output %q: want the lost router named", ps[1].out.String())
	}
}
