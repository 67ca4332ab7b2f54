//go:build interop

package interop

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/wampkit/wampkit/client"
)

// runCalleeCell: wampkit callers call the peer's procedures.
func runCalleeCell(t *testing.T, m *matrix, c cell, rt testRouter) {
	ctx := ctxFor(t, time.Minute)
	p := startPeer(t, peerSpec{peer: c.peer, role: roleCallee, router: rt, serializer: c.serializer, prefix: c.prefix()})
	if _, err := p.waitFor(peerReadyWait, isEvent("ready", "")); err != nil {
		// Judged one by one: a limitation may cover a peer that cannot
		// join this router at all.
		for _, sc := range calleeScenarios {
			m.judge(t, c, sc, obs{peer: p, call: goCall{err: fmt.Errorf("peer callee not ready: %w", err)}})
		}
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
		"kwargs_only": func() goCall {
			v, err := callKwargsOnly(callCtx(), cli, proc("echo"), map[string]any{"name": "Ada", "n": 2})
			return goCall{result: v, err: err}
		},
		"error_kwargs_only": func() goCall {
			v, err := callFail(callCtx(), cli, proc("fail_kw"))
			return goCall{result: v, err: err}
		},
		"binary": func() goCall {
			v, err := callBytesRaw(callCtx(), cli, proc("bytes"), binaryFixture)
			g := goCall{result: v, err: err}
			g.invoked, _ = p.waitFor(3*time.Second, isEvent("invocation", "bytes"))
			return g
		},
		"binary_typed": func() goCall {
			v, err := callBytesTyped(callCtx(), cli, proc("bytes"), binaryFixture)
			g := goCall{result: v, err: err}
			g.invoked, _ = p.waitFor(3*time.Second, isEvent("invocation", "bytes"))
			return g
		},
		"progress_invocations": func() goCall {
			// A callee of its own: a peer that does not support progressive
			// call invocations may lose its session to them (see the
			// limitations), and the other scenarios need theirs.
			sp := startPeer(t, peerSpec{peer: c.peer, role: roleCallee, router: rt, serializer: c.serializer, prefix: c.prefix() + ".stream"})
			if _, err := sp.waitFor(peerReadyWait, isEvent("ready", "")); err != nil {
				return goCall{err: fmt.Errorf("second peer callee not ready: %w", err)}
			}
			v, err := callSum(callCtx(), cli, c.prefix()+".stream.sum", 1, 2, 3, 4)
			g := goCall{result: v, err: err}
			g.invoked, _ = sp.waitFor(500*time.Millisecond, isEvent("invocation", "sum"))
			return g
		},
		"timeout": func() goCall {
			start := time.Now()
			v, err := callTimeout(callCtx(), cli, proc("hang"), callTimeoutFixture)
			g := goCall{result: v, err: err, elapsed: time.Since(start)}
			g.invoked, _ = p.waitFor(time.Second, isEvent("invocation", "hang"))
			// Wait out the peer's handler (1.5 s), so that the next
			// scenarios see whether it was interrupted or ran on.
			ended, _ := p.waitFor(2*time.Second, hangEnded)
			g.returned = ended.str("event") == "returned"
			g.interrupted = ended.str("event") == "interrupted"
			return g
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
	ended, _ := p.waitFor(3*time.Second, hangEnded)
	g.returned = ended.str("event") == "returned"
	g.interrupted = ended.str("event") == "interrupted"
	return g
}

// hangEnded matches the peer's report that its hang handler ended: it
// returned, or (Autobahn|Python) it was interrupted.
func hangEnded(e event) bool {
	return e.str("procedure") == "hang" && (e.str("event") == "returned" || e.str("event") == "interrupted")
}

// peerReadyWait bounds a peer callee's start (node or python loading its
// WAMP library, joining, registering). On a loaded 2-core machine
// Autobahn|JS alone took more than 10 s to report ready.
const peerReadyWait = 45 * time.Second
