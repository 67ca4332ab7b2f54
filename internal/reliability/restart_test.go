package reliability_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/router"
)

// childEnv makes the test binary a router process (see TestMain): its value
// is "websocket-addr,rawsocket-addr".
const childEnv = "WAMPKIT_RELIABILITY_ROUTER"

// runRouterChild serves the reference router on the given addresses until
// its standard input closes (the parent died or let go) or it is killed.
func runRouterChild(addrs string) int {
	ws, raw, _ := strings.Cut(addrs, ",")
	var (
		r   *router.Router
		err error
	)
	for range 100 { // the ports may still be held for a moment after a kill
		if r, err = router.Start(router.Config{WebsocketAddr: ws, RawSocketAddr: raw}); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin)
	_ = r.Close()
	return 0
}

// routerProcess is the reference router in a child process.
type routerProcess struct {
	cmd   *exec.Cmd
	stdin io.Closer
}

// startRouterProcess starts the router process on ws and raw and returns
// once it is listening.
func startRouterProcess(t *testing.T, ws, raw string) *routerProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+ws+","+raw)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	p := &routerProcess{cmd: cmd, stdin: stdin}
	t.Cleanup(p.kill)
	ready := make(chan bool, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		ready <- line == "ready\n"
	}()
	select {
	case ok := <-ready:
		require.True(t, ok, "the router process did not start")
	case <-time.After(15 * time.Second):
		t.Fatal("the router process did not start within 15 s")
	}
	return p
}

// kill kills the process with SIGKILL and reaps it. Idempotent.
func (p *routerProcess) kill() {
	if p.cmd.ProcessState != nil {
		return
	}
	_ = p.cmd.Process.Kill()
	_ = p.stdin.Close()
	_ = p.cmd.Wait()
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().String()
}

// The router process is killed with SIGKILL (no GOODBYE, no closing
// handshake: the kernel resets the connections) and started again on the
// same addresses. The client, on its default reconnect policy, notices,
// rejoins, restores its registration, and calls succeed again.
func TestRouterKillRecovery(t *testing.T) {
	for _, down := range []time.Duration{0, 2 * time.Second} {
		t.Run(fmt.Sprintf("down %s", down), func(t *testing.T) {
			ws, raw := freeAddr(t), freeAddr(t)
			p := startRouterProcess(t, ws, raw)
			ctx := ctxFor(t, 60*time.Second)
			c, err := client.Connect(ctx, "ws://"+ws+"/ws")
			require.NoError(t, err)
			t.Cleanup(func() {
				cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_ = c.Close(cctx)
			})
			_, err = c.Register(ctx, "com.example.alive", func(context.Context, *client.Invocation) (client.Payload, error) {
				return client.Payload{Args: []any{"yes"}}, nil
			}, client.RegisterOptions{})
			require.NoError(t, err)
			call := func() error {
				cctx, cancel := context.WithTimeout(ctx, time.Second)
				defer cancel()
				_, err := c.Call(cctx, client.CallRequest{Procedure: "com.example.alive"}, nil)
				return err
			}
			require.NoError(t, call())

			killed := time.Now()
			p.kill()
			require.True(t, waitState(c, client.Reconnecting, 10*time.Second), "the client notices the kill")
			detected := time.Since(killed)
			time.Sleep(down)
			startRouterProcess(t, ws, raw)
			ready := time.Now()
			require.True(t, waitState(c, client.Connected, 30*time.Second), "the client rejoins")
			rejoined := time.Since(ready)
			for call() != nil {
				require.Less(t, time.Since(ready), 30*time.Second, "calls succeed again")
				time.Sleep(5 * time.Millisecond)
			}
			restored := time.Since(ready)
			figure(t, "router SIGKILLed, restarted after %s (process start %s): loss detected after %s; "+
				"rejoined %s and registration restored (a call answered) %s after the new router listened; outage %s",
				down, ready.Sub(killed.Add(detected).Add(down)).Round(time.Millisecond), detected.Round(time.Millisecond),
				rejoined.Round(time.Millisecond), restored.Round(time.Millisecond), time.Since(killed).Round(time.Millisecond))
		})
	}
}
