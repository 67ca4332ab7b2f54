//go:build interop

package interop

import (
	"context"
	"testing"
	"time"

	"github.com/wampkit/wampkit/client"
)

// runCalleeCell: wampkit callers call the peer's procedures.
func runCalleeCell(t *testing.T, m *matrix, c cell, rt testRouter) {
	ctx := ctxFor(t, time.Minute)
	p := startPeer(t, peerSpec{peer: c.peer, role: roleCallee, router: rt, serializer: c.serializer, prefix: c.prefix()})
	if _, err := p.waitFor(10*time.Second, isEvent("ready", "")); err != nil {
		m.failAll(t, c, calleeScenarios, "peer callee not ready: "+err.Error())
		return
	}
	cli, err := connect(ctx, t, rt, c.serializer)
	if err != nil {
		m.failAll(t, c, calleeScenarios, "wampkit client: "+err.Error())
		return
	}
	proc := func(name string) string { return c.prefix() + "." + name }
	callCtx := func() context.Context { return ctxFor(t, 5*time.Second) }

	observe := map[string]func() goCall{
		"add": func() goCall {
			v, err := callAdd(callCtx(), cli, proc("add"), 2, 3)
			return goCall{result: v, err: err}
		},
		"greet": func() goCall {
			v, err := callGreet(callCtx(), cli, proc("greet"), "Ada", "Hello")
			return goCall{result: v, err: err}
		},
		"echo": func() goCall {
			v, err := callEcho(callCtx(), cli, proc("echo"), echoFixture)
			return goCall{result: v, err: err}
		},
		"progress": func() goCall {
			progress, v, err := callCountdown(callCtx(), cli, proc("countdown"), 3)
			g := goCall{result: v, err: err}
			for _, n := range progress {
				g.progress = append(g.progress, n)
			}
			g.invoked, _ = p.waitFor(3*time.Second, isEvent("invocation", "countdown"))
			return g
		},
		"error": func() goCall {
			v, err := callFail(callCtx(), cli, proc("fail"))
			return goCall{result: v, err: err}
		},
		"cancel_killnowait": func() goCall { return cancelHang(t, cli, p, proc("hang"), client.CancelKillNoWait) },
		"cancel_kill":       func() goCall { return cancelHang(t, cli, p, proc("hang"), client.CancelKill) },
		"after_cancel": func() goCall {
			v, err := callAdd(callCtx(), cli, proc("add"), 1, 1)
			return goCall{result: v, err: err}
		},
		"leave": func() goCall {
			if err := p.finish(10 * time.Second); err != nil {
				return goCall{err: err}
			}
			final, err := p.waitFor(time.Second, isEvent("final", ""))
			if err != nil {
				return goCall{err: err}
			}
			return goCall{result: final["session_open"]}
		},
	}
	for _, sc := range calleeScenarios {
		m.judge(t, c, sc, obs{call: observe[sc.name]()})
	}
}

// cancelHang calls the peer's hang procedure, cancels the call's context
// (cancel mode mode) once the peer reports the invocation running, and
// records how the call ended and whether the peer's handler ran to
// completion anyway.
func cancelHang(t *testing.T, cli *client.Client, p *peerProc, procedure string, mode client.CancelMode) goCall {
	ctx, cancel := context.WithCancel(ctxFor(t, 10*time.Second))
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := callHang(ctx, cli, procedure, mode)
		done <- err
	}()
	var g goCall
	inv, err := p.waitFor(5*time.Second, isEvent("invocation", "hang"))
	if err != nil {
		cancel()
		<-done
		return goCall{err: err}
	}
	g.invoked = inv
	start := time.Now()
	cancel()
	select {
	case g.err = <-done:
		g.elapsed = time.Since(start)
	case <-time.After(5 * time.Second):
		g.err = context.DeadlineExceeded
		g.elapsed = 5 * time.Second
		<-done
	}
	_, err = p.waitFor(3*time.Second, isEvent("returned", "hang"))
	g.returned = err == nil
	return g
}
