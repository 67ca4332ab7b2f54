package callee_test

import (
	"context"
	"errors"
	"maps"
	"reflect"
	"testing"
	"time"

	"github.com/wampkit/wampkit/callee"
	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/router"
	"github.com/wampkit/wampkit/internal/wamptest"
)

func nop(context.Context, struct{}) (any, error) { return nil, nil }

// startReferenceRouter starts the reference router (which implements
// wamp.registration.remove_callee) for the test.
func startReferenceRouter(t *testing.T) *router.Router {
	t.Helper()
	r, err := router.Start(router.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

func connect(t *testing.T, url string, opts ...client.Option) *client.Client {
	t.Helper()
	c, err := client.Connect(wamptest.Context(t), url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { wamptest.Close(t, c) })
	return c
}

func TestRevocation(t *testing.T) {
	r := startReferenceRouter(t)
	ctx := wamptest.Context(t)
	c := connect(t, r.WebsocketURL())
	reg := mustRegister(t)(callee.Register(ctx, c, "com.example.revoked", nop))
	other := mustRegister(t)(callee.Register(ctx, c, "com.example.kept", nop))
	admin := connect(t, r.WebsocketURL(), client.WithTicket(r.AdminCredentials()))

	_, err := admin.Call(ctx, client.CallRequest{Procedure: router.ProcRemoveCallee,
		Payload: client.Payload{Args: []any{uint64(reg.ID()), uint64(c.ID()), "com.example.maintenance"}}}, nil)
	if err != nil {
		t.Fatalf("remove_callee: %v", err)
	}
	select {
	case <-reg.Done():
	case <-time.After(time.Second):
		t.Fatal("Done not closed within 1s of the revocation")
	}
	err = reg.Err()
	var re *client.RevokedError
	if !errors.Is(err, callee.ErrRevoked) || !errors.As(err, &re) || re.Reason != "com.example.maintenance" {
		t.Fatalf("Err() = %v, want ErrRevoked with reason com.example.maintenance", err)
	}
	if err := reg.Unregister(ctx); err != nil {
		t.Errorf("Unregister after revocation: %v, want nil", err)
	}
	select {
	case <-other.Done():
		t.Error("the other registration ended too")
	default:
	}
	_, err = call(t, admin, "com.example.revoked", nil, nil)
	remoteError(t, err, "wamp.error.no_such_procedure")
	mustCall(t, admin, "com.example.kept")
}

func TestUnregisterEndsCleanly(t *testing.T) {
	r := wamptest.NewRouter(t)
	c := r.Local(t)
	ctx := wamptest.Context(t)
	reg := mustRegister(t)(callee.Register(ctx, c, "com.example.gone", nop))
	if reg.Procedure() != "com.example.gone" || reg.ID() == 0 {
		t.Errorf("registration %q/%d, want procedure and ID", reg.Procedure(), reg.ID())
	}
	if err := reg.Unregister(ctx); err != nil {
		t.Fatal(err)
	}
	<-reg.Done()
	if reg.Err() != nil {
		t.Errorf("Err() = %v after Unregister, want nil", reg.Err())
	}
	if err := reg.Unregister(ctx); err != nil {
		t.Errorf("second Unregister: %v, want nil", err)
	}
}

func TestRefusedRegistration(t *testing.T) {
	r := wamptest.NewRouter(t)
	c := r.Local(t)
	ctx := wamptest.Context(t)
	mustRegister(t)(callee.Register(ctx, c, "com.example.single", nop))
	mustRegister(t)(callee.Register(ctx, c, "com.example.shared", nop, callee.Invoke(callee.RoundRobin)))
	other := r.Local(t)
	for _, tc := range []struct {
		name string
		proc string
		opts []callee.Option
		want error
	}{
		{"single taken", "com.example.single", nil, client.ErrProcedureAlreadyExists},
		{"policy mismatch", "com.example.shared", []callee.Option{callee.Invoke(callee.Random)}, client.ErrProcedureAlreadyExists},
		{"reserved wamp URI", "wamp.example", nil, client.ErrInvalidURI},
		{"malformed URI", "com.example.bad uri", nil, client.ErrInvalidURI},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reg, err := callee.Register(ctx, other, tc.proc, nop, tc.opts...)
			if reg != nil || !errors.Is(err, tc.want) {
				t.Fatalf("Register: %v, %v; want %v", reg, err, tc.want)
			}
			// The router refuses a taken URI; a malformed one is refused
			// here, before anything is sent, and is not remote.
			if remote := tc.name != "malformed URI"; client.IsRemote(err) != remote {
				t.Errorf("error %v: IsRemote %v, want %v", err, !remote, remote)
			}
		})
	}
}

func TestInvalidOptions(t *testing.T) {
	r := wamptest.NewRouter(t)
	c := r.Local(t)
	// Invalid options fail before anything is sent: on a closed client the
	// error is still ErrInvalidOption, not ErrClosed.
	wamptest.Close(t, c)
	ctx := wamptest.Context(t)
	for _, tc := range []struct {
		name string
		opts []callee.Option
	}{
		{"zero concurrency", []callee.Option{callee.Concurrency(0)}},
		{"negative concurrency", []callee.Option{callee.Concurrency(-1)}},
		{"unknown policy", []callee.Option{callee.Invoke("sometimes")}},
		{"empty policy", []callee.Option{callee.Invoke("")}},
		{"conflicting policies", []callee.Option{callee.Invoke(callee.First), callee.Invoke(callee.Last)}},
		{"prefix and wildcard", []callee.Option{callee.MatchPrefix(), callee.MatchWildcard()}},
		{"raw match invalid", []callee.Option{callee.WithOptions(map[string]any{"match": "fuzzy"})}},
		{"raw match conflicts", []callee.Option{callee.MatchPrefix(), callee.WithOptions(map[string]any{"match": "exact"})}},
		{"raw invoke invalid", []callee.Option{callee.WithOptions(map[string]any{"invoke": 3})}},
		{"raw invoke conflicts", []callee.Option{callee.Invoke(callee.First), callee.WithOptions(map[string]any{"invoke": "last"})}},
		{"raw disclose not bool", []callee.Option{callee.WithOptions(map[string]any{"disclose_caller": "yes"})}},
		{"raw disclose conflicts", []callee.Option{callee.DiscloseCaller(), callee.WithOptions(map[string]any{"disclose_caller": false})}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := callee.Register(ctx, c, "com.example.opts", nop, tc.opts...)
			if !errors.Is(err, client.ErrInvalidOption) {
				t.Errorf("Register: %v, want ErrInvalidOption", err)
			}
		})
	}
	for name, err := range map[string]error{
		"nil handler": func() error {
			_, err := callee.Register[struct{}, any](ctx, c, "com.example.opts", nil)
			return err
		}(),
		"nil client": func() error { _, err := callee.Register(ctx, nil, "com.example.opts", nop); return err }(),
	} {
		if !errors.Is(err, client.ErrInvalidOption) {
			t.Errorf("%s: %v, want ErrInvalidOption", name, err)
		}
	}
	if _, err := callee.Register(ctx, c, "com.example.opts", nop, callee.Concurrency(1)); errors.Is(err, client.ErrInvalidOption) || err == nil {
		t.Errorf("valid options on a closed client: %v, want a closed-client error", err)
	}
}

func TestRegisterOptionsSent(t *testing.T) {
	r := wamptest.NewRouter(t)
	c := r.Local(t)
	ctx := wamptest.Context(t)
	extra := map[string]any{"x_custom": "v", "invoke": "roundrobin"}
	before := maps.Clone(extra)
	opt := callee.WithOptions(extra)
	extra["x_late"] = true // changes after the option was made do not count
	reg := mustRegister(t)(callee.Register(ctx, c, "com.example.", nop,
		opt, callee.MatchPrefix(), callee.DiscloseCaller(), callee.ForwardTimeout()))
	want := client.RegisterOptions{Match: client.MatchPrefix, Invoke: client.InvokeRoundRobin,
		DiscloseCaller: true, ForwardTimeout: true, Extra: map[string]any{"x_custom": "v"}}
	if got := reg.Options(); !reflect.DeepEqual(got, want) {
		t.Errorf("REGISTER options %v, want %v", got, want)
	}
	delete(extra, "x_late")
	if !maps.Equal(extra, before) {
		t.Errorf("caller's map changed to %v", extra)
	}
}
