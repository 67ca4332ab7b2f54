//go:build interop

package interop

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wampkit/wampkit/internal/router"
)

// testRouter is one router the matrix runs through.
type testRouter struct {
	name string // "ref", "nexusd" or "nxt"
	url  string // websocket URL
	// admin credentials (ticket auth), reference router only
	adminAuthID, adminTicket string
}

// startReference starts the reference router in process on a loopback
// ephemeral port; it is closed when the test ends.
func startReference(t *testing.T) testRouter {
	t.Helper()
	r, err := router.Start(router.Config{})
	if err != nil {
		t.Fatalf("start reference router: %v", err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("close reference router: %v", err)
		}
	})
	authid, ticket := r.AdminCredentials()
	return testRouter{name: "ref", url: r.WebsocketURL(), adminAuthID: authid, adminTicket: ticket}
}

// startNexusd runs the nexusd binary built by TestMain as a separate
// process: realm1, anonymous sessions, websocket on 127.0.0.1 (JSON,
// MsgPack and CBOR are all nexus's websocket server accepts by default).
// It is stopped when the test ends.
func startNexusd(t *testing.T) testRouter {
	t.Helper()
	return startProcess(t, "nexusd", func(addr string) (*exec.Cmd, error) {
		return exec.Command(env.nexusd, "-ws", addr, "-realm", "realm1"), nil
	}, "Listening")
}

// nxtConfig is the configuration nxt (xconn-go's router) runs with, in the
// format of its "nxt init" sample (cmd/nxt/config.yaml.in): realm1, whose
// anonymous role may call, register, publish and subscribe anything
// (permission uri "" with match prefix), anonymous authentication, and one
// websocket transport on %s with every serializer nxt and wampkit share.
// The management realm is off: the suite does not use it.
const nxtConfig = `version: '1'
config:
  loglevel: info
  management: false
realms:
  - name: realm1
    roles:
      - name: anonymous
        permissions:
          - uri: ""
            match: prefix
            allow_call: true
            allow_register: true
            allow_publish: true
            allow_subscribe: true
transports:
  - type: websocket
    listener: tcp
    address: %s
    serializers:
      - json
      - cbor
      - msgpack
authenticators:
  anonymous:
    - authid: interop
      realm: realm1
      role: anonymous
`

// startNxt runs the nxt binary built by TestMain as a separate process
// ("nxt start -c DIR" reads DIR/.nxt/config.yaml). It is stopped when the
// test ends.
func startNxt(t *testing.T) testRouter {
	t.Helper()
	return startProcess(t, "nxt", func(addr string) (*exec.Cmd, error) {
		dir := t.TempDir()
		if err := os.MkdirAll(filepath.Join(dir, ".nxt"), 0o755); err != nil {
			return nil, err
		}
		conf := fmt.Sprintf(nxtConfig, addr)
		if err := os.WriteFile(filepath.Join(dir, ".nxt", "config.yaml"), []byte(conf), 0o600); err != nil {
			return nil, err
		}
		return exec.Command(env.nxt, "start", "-c", dir), nil
	}, "listening websocket on")
}

// startProcess runs a router binary listening on a free loopback address
// (command builds its command line for that address) and waits until it
// accepts connections and has printed ready. It is stopped when the test
// ends; its output is logged if the test failed.
func startProcess(t *testing.T, name string, command func(addr string) (*exec.Cmd, error), ready string) testRouter {
	t.Helper()
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		r, err := tryProcess(t, name, command, ready)
		if err == nil {
			return r
		}
		lastErr = err // most likely the port was taken between probe and bind
	}
	t.Fatalf("start %s: %v", name, lastErr)
	return testRouter{}
}

func tryProcess(t *testing.T, name string, command func(addr string) (*exec.Cmd, error), ready string) (testRouter, error) {
	addr, err := freeAddr()
	if err != nil {
		return testRouter{}, err
	}
	cmd, err := command(addr)
	if err != nil {
		return testRouter{}, err
	}
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return testRouter{}, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			_ = c.Close()
			if strings.Contains(out.String(), ready) {
				break
			}
		}
		select {
		case err := <-exited:
			exited <- err
			stop()
			return testRouter{}, fmt.Errorf("%s exited (%v): %s", name, err, out.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			stop()
			return testRouter{}, fmt.Errorf("%s did not listen within 10s: %s", name, out.String())
		}
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("%s output:\n%s", name, lastLines(out.String(), 40))
		}
	})
	return testRouter{name: name, url: "ws://" + addr + "/"}, nil
}

// freeAddr returns a loopback address with a port that was free a moment
// ago.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// syncBuffer is a bytes.Buffer safe for a writer and readers at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// ctxFor returns a context bounded by d and by the test.
func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
