package callee_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/wampkit/wampkit/callee"
	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest"
)

// logRecorder keeps the messages of warnings and errors.
type logRecorder struct {
	mu   sync.Mutex
	msgs []string
}

func (l *logRecorder) Enabled(_ context.Context, lv slog.Level) bool { return lv >= slog.LevelWarn }
func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler            { return l }
func (l *logRecorder) WithGroup(string) slog.Handler                 { return l }
func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.msgs = append(l.msgs, r.Message)
	return nil
}

func (l *logRecorder) messages() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.msgs...)
}

func TestCancelReachesHandler(t *testing.T) {
	for _, tc := range []struct {
		mode client.CancelMode
		// the handler's answer after its context ended
		answer func(ctx context.Context) (string, error)
	}{
		{client.CancelKill, func(ctx context.Context) (string, error) { return "", ctx.Err() }},
		{client.CancelKillNoWait, func(context.Context) (string, error) { return "too late", nil }},
	} {
		t.Run(string(tc.mode), func(t *testing.T) {
			r := wamptest.NewRouter(t)
			logs := &logRecorder{}
			c := r.Local(t, client.WithLogger(slog.New(logs)))
			ctx := wamptest.Context(t)
			started, ended := make(chan struct{}, 1), make(chan error, 1)
			mustRegister(t)(callee.Register(ctx, c, "com.example.wait", func(ctx context.Context, wait bool) (string, error) {
				if !wait {
					return "quick", nil
				}
				started <- struct{}{}
				<-ctx.Done()
				if _, ok := callee.InvocationFrom(ctx); !ok {
					t.Error("InvocationFrom lost after cancel")
				}
				ended <- ctx.Err()
				return tc.answer(ctx)
			}))
			caller := r.Local(t)
			callCtx, cancel := context.WithCancel(ctx)
			errc := make(chan error, 1)
			go func() {
				_, err := caller.Call(callCtx, client.CallRequest{Procedure: "com.example.wait",
					Payload: client.Payload{Args: []any{true}}, CancelMode: tc.mode, KillWait: 3 * time.Second}, nil)
				errc <- err
			}()
			<-started
			cancel()
			if err := <-ended; !errors.Is(err, context.Canceled) {
				t.Errorf("handler context ended with %v, want context.Canceled", err)
			}
			if err := <-errc; !errors.Is(err, client.ErrCanceled) {
				t.Errorf("call: %v, want canceled", err)
			}
			// The callee keeps serving, and dropping the late answer made no noise.
			if res := mustCall(t, caller, "com.example.wait", false); len(res.Args) != 1 || res.Args[0] != "quick" {
				t.Errorf("next call: %v, want [quick]", res.Args)
			}
			if msgs := logs.messages(); len(msgs) > 0 {
				t.Errorf("callee logged %q, want nothing", msgs)
			}
		})
	}
}

func TestForwardedTimeout(t *testing.T) {
	r := wamptest.NewRouter(t)
	c := r.Local(t)
	ctx := wamptest.Context(t)
	got := make(chan callee.Invocation, 1)
	mustRegister(t)(callee.Register(ctx, c, "com.example.timeout", func(ctx context.Context, _ struct{}) (any, error) {
		inv, _ := callee.InvocationFrom(ctx)
		got <- inv
		<-ctx.Done()
		return nil, ctx.Err()
	}, callee.ForwardTimeout()))
	_, err := r.Local(t).Call(ctx, client.CallRequest{Procedure: "com.example.timeout", Timeout: 50 * time.Millisecond}, nil)
	remoteError(t, err, "wamp.error.timeout")
	if inv := <-got; inv.Timeout() != 50*time.Millisecond {
		t.Errorf("Invocation.Timeout %s, want 50ms", inv.Timeout())
	}
}
