package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/router"
	"github.com/wampkit/wampkit/internal/wamptest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestInspectTableWatchAndRemove(t *testing.T) {
	r := wamptest.NewRouter(t)
	ctx := wamptest.Context(t)
	a, b := r.Local(t), r.Local(t)
	nop := func(context.Context, *client.Invocation) (client.Payload, error) { return client.Payload{}, nil }
	regA, err := a.Register(ctx, "com.example.work", nop, client.RegisterOptions{Invoke: client.InvokeRoundRobin})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Register(ctx, "com.example.work", nop, client.RegisterOptions{Invoke: client.InvokeRoundRobin}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Register(ctx, "com.example.echo.", nop, client.RegisterOptions{Match: client.MatchPrefix}); err != nil {
		t.Fatal(err)
	}

	var out bytes.Buffer
	if err := run(ctx, []string{"-url", r.WebsocketURL()}, &out); err != nil {
		t.Fatal(err)
	}
	table := out.String()
	for _, want := range []string{"URI", "com.example.echo.", "prefix", "com.example.work", "roundrobin",
		fmt.Sprintf("%d,%d", a.ID(), b.ID())} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	if strings.Contains(table, "wamp.registration") {
		t.Errorf("table shows the router's own procedures:\n%s", table)
	}

	// -watch prints events until its context ends.
	wctx, stop := context.WithCancel(ctx)
	var events wamptest.Buffer
	done := make(chan error, 1)
	go func() { done <- run(wctx, []string{"-url", r.WebsocketURL(), "-watch"}, &events) }()
	wamptest.Eventually(t, func() bool { return strings.Contains(events.String(), "watching") })
	reg, err := b.Register(ctx, "com.example.new", nop, client.RegisterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wamptest.Eventually(t, func() bool { return strings.Contains(events.String(), "com.example.new") })

	// -remove, as admin.
	authid, ticket := r.AdminCredentials()
	out.Reset()
	spec := fmt.Sprintf("%d:%d", regA.ID(), a.ID())
	if err := run(ctx, []string{"-url", r.WebsocketURL(), "-authid", authid, "-ticket", ticket, "-remove", spec}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "removed callee") {
		t.Errorf("no confirmation:\n%s", out.String())
	}
	select {
	case <-regA.Done():
	case <-time.After(2 * time.Second):
		t.Fatal("the removed callee's registration did not end")
	}
	wamptest.Eventually(t, func() bool {
		return strings.Contains(events.String(), fmt.Sprintf("unregistered %d com.example.work: callee session %d (revoked: wamp.error.removed_by_inspect)", regA.ID(), a.ID()))
	}, "the removal shows with its URI and the reason the reference router gives")
	_ = reg
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestInspectFlags(t *testing.T) {
	r := wamptest.NewRouter(t)
	ctx := wamptest.Context(t)
	nop := func(context.Context, *client.Invocation) (client.Payload, error) { return client.Payload{}, nil }
	if _, err := r.Local(t).Register(ctx, "com.example.msgpack", nop, client.RegisterOptions{}); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(ctx, []string{"-url", r.RawSocketURL(), "-ser", "msgpack"}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "com.example.msgpack") || !strings.Contains(out.String(), "single") {
		t.Errorf("rawsocket+msgpack table:\n%s", out.String())
	}
	for _, args := range [][]string{
		{"-remove", "12"},
		{"-remove", "x:1"},
		{"-ser", "xml"},
	} {
		err := run(ctx, append([]string{"-url", r.WebsocketURL()}, args...), &out)
		if err == nil {
			t.Errorf("%v: no error", args)
		}
	}
	// remove_callee without the admin role: refused, and said so.
	err := run(ctx, []string{"-url", r.WebsocketURL(), "-remove", "1:2"}, &out)
	if err == nil || !strings.Contains(err.Error(), "metaclient: remove_callee: this session's role may not call") {
		t.Errorf("anonymous -remove: %v", err)
	}
}

// inspect -watch through a router restart: it reconnects, then prints what
// changed while it was away (the callee that did not come back, the one
// that registered again) and that it resynchronised; then it is live again.
func TestInspectWatchThroughRouterRestart(t *testing.T) {
	r := wamptest.NewRestartable(t, router.Config{})
	ctx := wamptest.Context(t)
	nop := func(context.Context, *client.Invocation) (client.Payload, error) { return client.Payload{}, nil }
	connect := func(opts ...client.Option) *client.Client {
		c, err := client.Connect(ctx, r.WebsocketURL(), opts...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { wamptest.Close(t, c) })
		return c
	}
	stay := connect(client.WithReconnect(wamptest.FastBackoff))
	gone := connect(client.WithoutReconnect())
	if _, err := stay.Register(ctx, "com.example.stay", nop, client.RegisterOptions{}); err != nil {
		t.Fatal(err)
	}
	goneReg, err := gone.Register(ctx, "com.example.gone", nop, client.RegisterOptions{})
	if err != nil {
		t.Fatal(err)
	}

	wctx, stop := context.WithCancel(ctx)
	var events wamptest.Buffer
	done := make(chan error, 1)
	go func() { done <- run(wctx, []string{"-url", r.WebsocketURL(), "-watch"}, &events) }()
	wamptest.Eventually(t, func() bool { return strings.Contains(events.String(), "watching") })

	r.Stop()
	if err := stay.WaitState(ctx, client.Reconnecting); err != nil {
		t.Fatal(err)
	}
	r.Start()
	if err := stay.WaitState(ctx, client.Connected); err != nil {
		t.Fatal(err)
	}
	wamptest.Eventually(t, func() bool { return strings.Contains(events.String(), "resynchronised") },
		"inspect says it resynchronised")
	// Changes the old router published before it cut the watcher, or the
	// callee's registering again after the watcher's rebuild, print live
	// (so possibly after "resynchronised"); the rest print "(while away)".
	for _, want := range []string{
		fmt.Sprintf("deleted      %d com.example.gone", goneReg.ID()),
		fmt.Sprintf("com.example.stay: callee session %d", stay.ID()),
	} {
		wamptest.Eventually(t, func() bool { return strings.Contains(events.String(), want) },
			"-watch output lacks %q:\n%s", want, &events)
	}
	t.Logf("inspect -watch:\n%s", events.String())
	late, err := stay.Register(ctx, "com.example.late", nop, client.RegisterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wamptest.Eventually(t, func() bool {
		return strings.Contains(events.String(), fmt.Sprintf("created      %d com.example.late", late.ID()))
	}, "live again after the restart")
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
