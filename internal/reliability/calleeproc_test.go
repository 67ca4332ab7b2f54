package reliability_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/callee"
	"github.com/wampkit/wampkit/client"
)

// calleeEnv makes the test binary a callee process of the scale test (see
// TestMain): its value is "router-url,callee-id".
const calleeEnv = "WAMPKIT_RELIABILITY_CALLEE"

// calleeLifetime bounds a callee process whatever happens to its parent.
const calleeLifetime = 5 * time.Minute

// runCalleeChild registers the scale test's procedure (roundrobin) on the
// router and serves it. It tells the parent on standard output: "ready
// <session ID>" once registered; on SIGTERM "draining <invocations running>", then
// client.Drain, then "drained <µs> <error>" and exit. It also ends when
// its standard input closes (the parent died or let go), when the router
// ends its session, or after calleeLifetime. A SIGKILL ends it at once.
func runCalleeChild(spec string) int {
	url, idText, _ := strings.Cut(spec, ",")
	id, err := strconv.Atoi(idText)
	if err != nil {
		fmt.Fprintln(os.Stderr, "callee: bad id:", err)
		return 2
	}
	terms := make(chan os.Signal, 1)
	signal.Notify(terms, syscall.SIGTERM)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	c, err := client.Connect(ctx, url, client.WithoutReconnect())
	if err != nil {
		cancel()
		fmt.Fprintln(os.Stderr, "callee:", err)
		return 1
	}
	var running atomic.Int64
	_, err = callee.Register(ctx, c, scaleProcedure, func(hctx context.Context, _ int) (int, error) {
		running.Add(1)
		defer running.Add(-1)
		select {
		case <-time.After(scaleWork):
		case <-hctx.Done():
			return 0, hctx.Err()
		}
		return id, nil
	}, callee.Invoke(callee.RoundRobin))
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "callee:", err)
		return 1
	}
	stdinGone := make(chan struct{})
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); close(stdinGone) }()
	closed := make(chan struct{})
	go func() { _ = c.WaitState(context.Background(), client.Closed); close(closed) }()
	fmt.Printf("ready %d\n", uint64(c.ID()))

	closeBounded := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = c.Close(ctx)
	}
	select {
	case <-terms:
		fmt.Printf("draining %d\n", running.Load())
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := c.Drain(ctx)
		cancel()
		fmt.Printf("drained %d %v\n", time.Since(start).Microseconds(), err)
		if err != nil {
			return 1
		}
		return 0
	case <-stdinGone:
		closeBounded()
		return 0
	case <-closed:
		return 0
	case <-time.After(calleeLifetime):
		closeBounded()
		return 3
	}
}

// calleeProcess is one callee of the scale test in a child process.
type calleeProcess struct {
	id      int
	session uint64 // its session's ID on the router
	cmd     *exec.Cmd
	stdin   io.Closer
	lines   chan string   // its standard output, line by line
	gone    chan struct{} // closed once it exited and was reaped
}

// startCalleeProcess starts callee id against the router at url and
// returns once its registration is confirmed. The process is killed and
// reaped when the test ends, whatever happened.
func startCalleeProcess(t *testing.T, url string, id int) *calleeProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), calleeEnv+"="+url+","+strconv.Itoa(id))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	p := &calleeProcess{id: id, cmd: cmd, stdin: stdin, lines: make(chan string, 16), gone: make(chan struct{})}
	go func() { // the process's owner: reads its output to the end, then reaps it
		defer close(p.gone)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case p.lines <- sc.Text():
			default: // nobody reads: a bounded queue drops
			}
		}
		_ = cmd.Wait()
	}()
	t.Cleanup(p.kill)
	line, ok := p.next(30 * time.Second)
	_, err = fmt.Sscanf(line, "ready %d", &p.session)
	require.True(t, ok && err == nil, "callee process %d did not register within 30 s (%q)", id, line)
	return p
}

// next returns its next line of output, false after d or once it exited.
func (p *calleeProcess) next(d time.Duration) (string, bool) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case l := <-p.lines:
		return l, true
	case <-p.gone:
		select {
		case l := <-p.lines:
			return l, true
		default:
			return "", false
		}
	case <-timer.C:
		return "", false
	}
}

// kill ends the process with SIGKILL and reaps it. Idempotent.
func (p *calleeProcess) kill() {
	_ = p.cmd.Process.Kill() // an error means it is gone already
	_ = p.stdin.Close()
	<-p.gone
}

// drain sends SIGTERM and waits for the process to drain and exit: it
// returns how many invocations were running on it when the drain began and
// how long client.Drain took, as the process measured it.
func (p *calleeProcess) drain(t *testing.T) (running int, took time.Duration) {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	line, ok := p.next(30 * time.Second)
	require.True(t, ok, "callee process %d did not start draining", p.id)
	_, err := fmt.Sscanf(line, "draining %d", &running)
	require.NoError(t, err, "callee process %d said %q", p.id, line)
	line, ok = p.next(60 * time.Second)
	require.True(t, ok, "callee process %d did not finish draining", p.id)
	var us int64
	_, err = fmt.Sscanf(line, "drained %d", &us)
	require.NoError(t, err, "callee process %d said %q", p.id, line)
	require.True(t, strings.HasSuffix(line, " <nil>"), "callee process %d: Drain failed: %s", p.id, line)
	select {
	case <-p.gone:
	case <-time.After(30 * time.Second):
		t.Fatalf("callee process %d did not exit after draining", p.id)
	}
	require.Equal(t, 0, p.cmd.ProcessState.ExitCode(), "callee process %d exit code", p.id)
	return running, time.Duration(us) * time.Microsecond
}
