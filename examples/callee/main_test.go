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
			select {
			case <-out.wrote:
			case err := <-done:
				t.Fatalf("run: %v", err)
			}

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
			if !strings.Contains(out.String(), "stopping") {
				t.Errorf("output %q: want a stopping line", out.String())
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
