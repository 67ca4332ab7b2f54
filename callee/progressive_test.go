package callee_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/wampkit/wampkit/callee"
	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest"
)

func TestProgress(t *testing.T) {
	r := wamptest.NewRouter(t)
	for _, tr := range []wamptest.Transport{wamptest.Transports()[0], wamptest.Transports()[2]} {
		t.Run(tr.Name, func(t *testing.T) {
			c := r.Connect(t, tr)
			ctx := wamptest.Context(t)
			asked := make(chan bool, 1)
			mustRegister(t)(callee.RegisterProgressive(ctx, c, "com.example.countdown."+tr.Name,
				func(ctx context.Context, n int, progress func(int) error) (string, error) {
					inv, _ := callee.InvocationFrom(ctx)
					asked <- inv.ReceiveProgress()
					for i := n; i > 0; i-- {
						if err := progress(i); err != nil {
							return "", err
						}
					}
					return "liftoff", nil
				}))
			for _, tc := range []struct {
				name     string
				progress bool
				want     string
			}{
				{"with progress", true, "[3] [2] [1] final [liftoff]"},
				{"without progress", false, "final [liftoff]"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					var got string
					var onProgress func(client.Result) error
					if tc.progress {
						onProgress = func(r client.Result) error { got += fmt.Sprint(r.Args) + " "; return nil }
					}
					res, err := c.Call(ctx, client.CallRequest{Procedure: "com.example.countdown." + tr.Name,
						Payload: client.Payload{Args: []any{3}}}, onProgress)
					if err != nil {
						t.Fatal(err)
					}
					if got += "final " + fmt.Sprint(res.Args); got != tc.want {
						t.Errorf("results %q, want %q", got, tc.want)
					}
					if a := <-asked; a != tc.progress {
						t.Errorf("Invocation.ReceiveProgress %v, want %v", a, tc.progress)
					}
				})
			}
		})
	}
}

func TestProgressAfterCancel(t *testing.T) {
	for _, mode := range []client.CancelMode{client.CancelKill, client.CancelKillNoWait} {
		t.Run(string(mode), func(t *testing.T) {
			r := wamptest.NewRouter(t)
			c := r.Local(t)
			ctx := wamptest.Context(t)
			progressErr := make(chan error, 1)
			mustRegister(t)(callee.RegisterProgressive(ctx, c, "com.example.ticker",
				func(ctx context.Context, _ struct{}, progress func(string) error) (any, error) {
					for {
						if err := progress("tick"); err != nil {
							progressErr <- err
							return nil, err
						}
						time.Sleep(5 * time.Millisecond)
					}
				}))
			call, err := r.Local(t).StartCall(ctx, client.CallRequest{Procedure: "com.example.ticker",
				ReceiveProgress: true, CancelMode: mode})
			if err != nil {
				t.Fatal(err)
			}
			if res, err := call.Next(ctx); err != nil || !res.Progress {
				t.Fatalf("first result %+v, %v: want progress", res, err)
			}
			call.Cancel()
			select {
			case err := <-progressErr:
				if !errors.Is(err, client.ErrInvocationDone) || !errors.Is(err, context.Canceled) || client.IsRemote(err) {
					t.Errorf("progress error %v: want local ErrInvocationDone and context.Canceled", err)
				}
			case <-ctx.Done():
				t.Fatal("progress kept succeeding after the cancel")
			}
			for {
				res, err := call.Next(ctx)
				if err != nil {
					remoteError(t, err, "wamp.error.canceled")
					break
				}
				if !res.Progress {
					t.Fatalf("final result %v after cancel, want wamp.error.canceled", res.Args)
				}
			}
		})
	}
}
