//go:build interop

package interop

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

// The independent peers: node scripts in js/ and a Python script in py/.
const (
	autobahnJS = "autobahn"
	wampyJS    = "wampy"
	autobahnPy = "autobahn-py"
)

// peerDeadline bounds every node process (the script exits by itself, and
// the Go side kills it when the test ends).
const peerDeadline = 30 * time.Second

// event is one JSON line a peer reported.
type event map[string]any

func (e event) str(key string) string {
	s, _ := e[key].(string)
	return s
}

// peerProc is a running peer process.
type peerProc struct {
	t      *testing.T
	name   string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr *syncBuffer
	done   chan struct{} // closed once the process has exited
	err    error         // exit status, after done

	mu      sync.Mutex
	events  []event
	next    int           // cursor of waitFor
	changed chan struct{} // closed and replaced on every new event
}

// peerSpec says what to run.
type peerSpec struct {
	peer       string // autobahnJS, wampyJS or autobahnPy
	role       string // caller, callee or meta
	router     testRouter
	serializer string
	prefix     string            // procedure prefix
	env        map[string]string // extra WAMP_* variables
}

// startPeer starts a node peer; it is killed, if still running, when the
// test ends.
func startPeer(t *testing.T, s peerSpec) *peerProc {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var cmd *exec.Cmd
	if s.peer == autobahnPy {
		cmd = exec.CommandContext(ctx, env.python, filepath.Join(env.pyDir, "autobahn_peer.py"))
	} else {
		args := []string{filepath.Join(env.jsDir, s.peer+".mjs")}
		if s.peer == autobahnJS {
			args = slices.Concat(env.nodeArgs, args)
		}
		cmd = exec.CommandContext(ctx, env.node, args...)
	}
	cmd.Dir = filepath.Dir(env.jsDir)
	cmd.Env = append(os.Environ(),
		"WAMP_URL="+s.router.url,
		"WAMP_REALM=realm1",
		"WAMP_SERIALIZER="+s.serializer,
		"WAMP_ROLE="+s.role,
		"WAMP_PREFIX="+s.prefix,
		"WAMP_BYTES="+hex.EncodeToString(binaryFixture),
		fmt.Sprintf("WAMP_DEADLINE_MS=%d", peerDeadline.Milliseconds()),
	)
	for k, v := range s.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &peerProc{t: t, name: s.peer, cmd: cmd, stderr: &syncBuffer{}, done: make(chan struct{}), changed: make(chan struct{})}
	cmd.Stderr = p.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start %s: %v", s.peer, err)
	}
	go p.read(stdout)
	t.Cleanup(func() {
		_ = p.stdin.Close()
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
		}
		cancel() // kills the process if it is still there
		<-p.done
		if t.Failed() {
			t.Logf("%s %s stderr:\n%s", s.peer, s.role, lastLines(p.stderr.String(), 30))
		}
	})
	return p
}

// read collects the peer's report lines until it exits.
func (p *peerProc) read(stdout io.Reader) {
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			e = event{"event": "unparsed", "line": sc.Text()}
		}
		p.mu.Lock()
		p.events = append(p.events, e)
		close(p.changed)
		p.changed = make(chan struct{})
		p.mu.Unlock()
	}
	_, _ = io.Copy(io.Discard, stdout)
	p.err = p.cmd.Wait()
	close(p.done)
}

// waitFor returns the next event (after the last one waitFor returned)
// that matches, waiting up to d.
func (p *peerProc) waitFor(d time.Duration, match func(event) bool) (event, error) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		e, ok, changed := p.take(match)
		if ok {
			return e, nil
		}
		select {
		case <-changed:
		case <-p.done:
			// The last lines may have arrived with the exit: look once more.
			if e, ok, _ := p.take(match); ok {
				return e, nil
			}
			return nil, fmt.Errorf("%s exited (%v) before the expected report; stderr: %s", p.name, p.err, lastLines(p.stderr.String(), 5))
		case <-timer.C:
			return nil, fmt.Errorf("%s: no expected report within %s", p.name, d)
		}
	}
}

// take consumes the first unread event that matches; otherwise it returns
// the channel that closes when more events arrive.
func (p *peerProc) take(match func(event) bool) (event, bool, <-chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := p.next; i < len(p.events); i++ {
		if match(p.events[i]) {
			p.next = i + 1
			return p.events[i], true, nil
		}
	}
	return nil, false, p.changed
}

// isEvent matches events by kind and, optionally, procedure.
func isEvent(kind, procedure string) func(event) bool {
	return func(e event) bool {
		return e.str("event") == kind && (procedure == "" || e.str("procedure") == procedure)
	}
}

// finish closes the peer's stdin (a callee leaves then) and waits for it
// to exit.
func (p *peerProc) finish(d time.Duration) error {
	_ = p.stdin.Close()
	select {
	case <-p.done:
		return p.err
	case <-time.After(d):
		return fmt.Errorf("%s did not exit within %s", p.name, d)
	}
}

// scenarios returns the scenario reports by name.
func (p *peerProc) scenarios() map[string]event {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]event{}
	for _, e := range p.events {
		if e.str("event") == "scenario" {
			out[e.str("scenario")] = e
		}
	}
	return out
}

// all returns every event reported so far.
func (p *peerProc) all() []event {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]event(nil), p.events...)
}
