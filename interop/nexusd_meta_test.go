//go:build interop

package interop

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/metaclient"
)

// nexusdProc is a nexusd process on a fixed address that a test can stop
// and start again there (a router restart).
type nexusdProc struct {
	t    *testing.T
	addr string
	cmd  *exec.Cmd
	out  *syncBuffer
	exit chan error
}

// runNexusd starts nexusd on a free loopback address; it is stopped when
// the test ends.
func runNexusd(t *testing.T) *nexusdProc {
	t.Helper()
	addr, err := freeAddr()
	if err != nil {
		t.Fatal(err)
	}
	p := &nexusdProc{t: t, addr: addr}
	p.start()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("nexusd output:\n%s", lastLines(p.out.String(), 40))
		}
	})
	return p
}

func (p *nexusdProc) url() string { return "ws://" + p.addr + "/" }

// start runs nexusd and waits until it listens (for up to 10 s, retrying
// while the port is still held by the previous process).
func (p *nexusdProc) start() {
	p.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		p.out = &syncBuffer{}
		p.cmd = exec.Command(env.nexusd, "-ws", p.addr, "-realm", "realm1")
		p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
		if err := p.cmd.Start(); err != nil {
			p.t.Fatalf("start nexusd: %v", err)
		}
		p.exit = make(chan error, 1)
		go func(cmd *exec.Cmd, exit chan error) { exit <- cmd.Wait() }(p.cmd, p.exit)
		for {
			if c, err := net.DialTimeout("tcp", p.addr, 200*time.Millisecond); err == nil {
				_ = c.Close()
				if strings.Contains(p.out.String(), "Listening") {
					return
				}
			}
			select {
			case err := <-p.exit:
				if time.Now().After(deadline) {
					p.t.Fatalf("nexusd exited (%v): %s", err, p.out.String())
				}
				p.cmd = nil
			case <-time.After(50 * time.Millisecond):
			}
			if p.cmd == nil {
				break // exited (port still taken?): try again
			}
			if time.Now().After(deadline) {
				p.stop()
				p.t.Fatalf("nexusd did not listen within 10s: %s", p.out.String())
			}
		}
	}
}

// stop ends nexusd (SIGTERM, then SIGKILL after 5 s); every session is cut.
func (p *nexusdProc) stop() {
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exit:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exit
	}
	p.cmd = nil
}

func fastBackoff() backoff.BackOff {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval, b.MaxInterval, b.MaxElapsedTime = 10*time.Millisecond, 100*time.Millisecond, 0
	return b
}

func connectTo(t *testing.T, ctx context.Context, url string, opts ...client.Option) *client.Client {
	t.Helper()
	c, err := client.Connect(ctx, url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = c.Close(cctx)
	})
	return c
}

func nop(context.Context, *client.Invocation) (client.Payload, error) { return client.Payload{}, nil }

// eventually polls cond every 20 ms for up to d.
func eventually(t *testing.T, d time.Duration, cond func() bool, what string) {
	t.Helper()
	for deadline := time.Now().Add(d); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("within %v: %s", d, what)
		}
	}
}

// nexusd's lifecycle events reach the four handlers (four subscriptions)
// of one client in the order nexusd published them, and two metaclients on
// that client (OnEvents beside a Watch) share the router subscription: both
// see every event, and closing the registry leaves OnEvents working.
func TestNexusdMetaEventsOrderAndSharing(t *testing.T) {
	nx := runNexusd(t)
	ctx := ctxFor(t, 30*time.Second)
	watcher := connectTo(t, ctx, nx.url())
	m := metaclient.New(watcher)

	var mu sync.Mutex
	per := map[client.ID][]string{}
	add := func(id client.ID, kind string) { mu.Lock(); per[id] = append(per[id], kind); mu.Unlock() }
	if _, err := m.OnCreate(ctx, func(e metaclient.CreateEvent) {
		time.Sleep(2 * time.Millisecond) // the slow one
		add(e.Registration.ID, "create")
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.OnRegister(ctx, func(e metaclient.RegisterEvent) { add(e.RegistrationID, "register") }); err != nil {
		t.Fatal(err)
	}
	if _, err := m.OnUnregister(ctx, func(e metaclient.UnregisterEvent) {
		time.Sleep(2 * time.Millisecond)
		add(e.RegistrationID, "unregister")
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.OnDelete(ctx, func(e metaclient.DeleteEvent) { add(e.RegistrationID, "delete") }); err != nil {
		t.Fatal(err)
	}
	reg, err := metaclient.New(watcher).Watch(ctx) // a second metaclient, same client
	if err != nil {
		t.Fatal(err)
	}
	var seen sync.Map // OnEvents of a third one
	if _, err := metaclient.New(watcher).OnEvents(ctx, func(e metaclient.Event) { seen.Store(e.Registration.ID, true) }); err != nil {
		t.Fatal(err)
	}

	callee := connectTo(t, ctx, nx.url())
	const n = 10
	var ids []client.ID
	for i := range n {
		r, err := callee.Register(ctx, fmt.Sprintf("com.nexusd.order.p%d", i), nop, client.RegisterOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID())
		if err := r.Unregister(ctx); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 10*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, id := range ids {
			if len(per[id]) < 4 {
				return false
			}
		}
		return true
	}, "four lifecycle events per registration")
	mu.Lock()
	for _, id := range ids {
		if want := []string{"create", "register", "unregister", "delete"}; !slices.Equal(per[id], want) {
			t.Errorf("registration %d: handlers saw %v, want %v", id, per[id], want)
		}
	}
	mu.Unlock()
	for _, id := range ids {
		if _, ok := seen.Load(id); !ok {
			t.Errorf("OnEvents beside the registry missed registration %d", id)
		}
	}

	if err := reg.Close(ctx); err != nil {
		t.Fatal(err)
	}
	r, err := callee.Register(ctx, "com.nexusd.after", nop, client.RegisterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, func() bool { _, ok := seen.Load(r.ID()); return ok },
		"OnEvents still receives after the registry on the same client closed")
}

// nexusd restarts in the middle of a watch: the registry rejoins, rebuilds
// itself, reports what changed while it was away, and agrees with the new
// nexusd, the callee that came back included and the one that did not
// excluded.
func TestNexusdRestartMidWatch(t *testing.T) {
	nx := runNexusd(t)
	ctx := ctxFor(t, 40*time.Second)
	watcher := connectTo(t, ctx, nx.url(), client.WithReconnect(fastBackoff))
	stay := connectTo(t, ctx, nx.url(), client.WithReconnect(fastBackoff))
	gone := connectTo(t, ctx, nx.url(), client.WithoutReconnect())
	m := metaclient.New(watcher)
	reg, err := m.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = reg.Close(context.Background()) }()
	var mu sync.Mutex
	var changes []metaclient.Change
	go func() {
		for c := range reg.Changes() {
			mu.Lock()
			changes = append(changes, c)
			mu.Unlock()
		}
	}()
	if _, err := stay.Register(ctx, "com.nexusd.stay", nop, client.RegisterOptions{}); err != nil {
		t.Fatal(err)
	}
	goneReg, err := gone.Register(ctx, "com.nexusd.gone", nop, client.RegisterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, func() bool { _, ok := reg.Get(goneReg.ID()); return ok }, "the registry sees the registrations")

	nx.stop()
	if err := watcher.WaitState(ctx, client.Reconnecting); err != nil {
		t.Fatal(err)
	}
	nx.start()
	if err := stay.WaitState(ctx, client.Connected); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, func() bool {
		want, err := routerRegistrations(ctx, m)
		return err == nil && sameView(want, reg.Snapshot())
	}, "the registry equals the restarted nexusd's registrations")
	info, ok := reg.Lookup("com.nexusd.stay", metaclient.Exact)
	if !ok || !slices.Equal(info.Callees, []client.ID{stay.ID()}) {
		t.Errorf("restored registration: %+v, %v; want callee %d", info, ok, stay.ID())
	}
	if _, ok := reg.Lookup("com.nexusd.gone", metaclient.Exact); ok {
		t.Error("the callee that did not come back is still in the view")
	}
	mu.Lock()
	var deleted, restored bool
	for _, c := range changes {
		// Live (nexusd published it before cutting the watcher) or found
		// by the rebuild (Resync): either way in the log.
		deleted = deleted || c.Kind == metaclient.Deleted && c.Registration == goneReg.ID()
		// nexus numbers registrations from 1: the restored one may come
		// back under its old ID (a new callee) or a new one (created).
		restored = restored || c.Kind == metaclient.CalleeAdded && c.Registration == info.ID && c.Session == stay.ID()
	}
	mu.Unlock()
	if !deleted || !restored {
		t.Errorf("changes while away: deleted %v (want the gone registration), restored %v (want the new callee)", deleted, restored)
	}
}

// routerRegistrations reads every registration with its callees.
func routerRegistrations(ctx context.Context, m *metaclient.Client) (map[client.ID]metaclient.RegistrationInfo, error) {
	l, err := m.List(ctx)
	if err != nil {
		return nil, err
	}
	out := map[client.ID]metaclient.RegistrationInfo{}
	for _, id := range l.All() {
		r, err := m.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		callees, err := m.ListCallees(ctx, id)
		if err != nil {
			return nil, err
		}
		out[id] = metaclient.RegistrationInfo{Registration: r, Callees: callees}
	}
	return out, nil
}

func sameView(want map[client.ID]metaclient.RegistrationInfo, got []metaclient.RegistrationInfo) bool {
	if len(want) != len(got) {
		return false
	}
	for _, g := range got {
		w, ok := want[g.ID]
		if !ok || w.URI != g.URI || !slices.Equal(w.Callees, g.Callees) {
			return false
		}
	}
	return true
}
