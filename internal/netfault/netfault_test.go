package netfault

import (
	"bufio"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// echoServer echoes lines; after a client's EOF it waits linger, then
// closes: a router that takes a while to end a session.
func echoServer(t *testing.T, linger time.Duration) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { _ = l.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _ = io.Copy(c, c)
				time.Sleep(linger)
				_ = c.Close()
			}()
		}
	}()
	return l.Addr().String()
}

func dialProxy(t *testing.T, target string) (*Faults, net.Conn, *bufio.Reader) {
	f := &Faults{}
	p, err := f.Listen(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(); f.Close() })
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return f, c, bufio.NewReader(c)
}

func roundTrip(t *testing.T, c net.Conn, r *bufio.Reader, line string) string {
	t.Helper()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, line+"\n"); err != nil {
		t.Fatal(err)
	}
	got, err := r.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	return got[:len(got)-1]
}

// TestDropClosesClientAfterRouter: Drop returns, and the client sees its
// connection closed, only once the router has closed its end.
func TestDropClosesClientAfterRouter(t *testing.T) {
	const linger = 200 * time.Millisecond
	f, c, r := dialProxy(t, echoServer(t, linger))
	if got := roundTrip(t, c, r, "hello"); got != "hello" {
		t.Fatalf("echo %q", got)
	}
	begin := time.Now()
	f.Drop()
	if took := time.Since(begin); took < linger {
		t.Errorf("Drop returned after %s, before the router closed (%s)", took, linger)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := r.ReadByte(); err != io.EOF {
		t.Errorf("client read after Drop: %v, want EOF", err)
	}
}

// TestStallHoldsThenDeliversInOrder, and Delay is latency, not a limit on
// throughput.
func TestStallHoldsThenDeliversInOrder(t *testing.T) {
	f, c, r := dialProxy(t, echoServer(t, 0))
	f.Stall()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	for _, s := range []string{"a\n", "b\n", "c\n"} {
		if _, err := io.WriteString(c, s); err != nil {
			t.Fatal(err)
		}
	}
	_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if b, err := r.ReadByte(); err == nil {
		t.Fatalf("read %q while stalled", b)
	}
	f.Resume()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for _, want := range []string{"a\n", "b\n", "c\n"} {
		if got, err := r.ReadString('\n'); err != nil || got != want {
			t.Fatalf("after Resume: %q, %v; want %q", got, err, want)
		}
	}

	const d = 100 * time.Millisecond
	f.SetDelay(d)
	begin := time.Now()
	for i := range 20 { // pipelined: 20 lines in flight at once
		if _, err := io.WriteString(c, "x\n"); err != nil {
			t.Fatal(i, err)
		}
	}
	for range 20 {
		if _, err := r.ReadString('\n'); err != nil {
			t.Fatal(err)
		}
	}
	if took := time.Since(begin); took < 2*d || took > 15*d {
		t.Errorf("20 pipelined lines with %s each way took %s, want about %s", d, took, 2*d)
	}
}

// TestStoppedTargetRefuses: with no target, connections are accepted and
// closed at once.
func TestStoppedTargetRefuses(t *testing.T) {
	f := &Faults{}
	p, err := f.Listen("")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	defer p.Close()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("read: %v, want EOF", err)
	}
}
