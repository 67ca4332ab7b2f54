// Command caller is a standalone WAMP caller built with package caller. It
// calls the procedures of examples/callee (add, greet, countdown, echo.*)
// and prints the results and the progress, leaves one countdown early to
// show that this cancels the call, and shows a typed remote error. Start
// the reference router, then the callee, then this caller:
//
//	go run ./examples/router                 # terminal 1
//	go run ./examples/callee                 # terminal 2
//	go run ./examples/caller -ser msgpack    # terminal 3
//
// -url (default ws://127.0.0.1:8080/ws, where examples/router listens),
// -realm (default realm1) and -ser (json, msgpack or cbor) choose the
// router. Each call has a 5-second timeout; the program exits non-zero if a
// call fails.
//
// -load 10s instead keeps 8 calls of com.example.add in flight for that
// long, retrying only what certainly never ran (caller.RetrySafe), and
// prints how many were answered and how the others failed: run it while
// restarting callees started with -invoke roundrobin (each drains on
// Ctrl-C) and no call fails. -failover url2,url3 names routers to move to
// when the one in use is lost; the program prints the router it is on at
// every change.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/wampkit/wampkit/caller"
	"github.com/wampkit/wampkit/client"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "caller:", err)
		os.Exit(1)
	}
}

// AddIn is the two positional integers of com.example.add.
type AddIn struct {
	A int `wamp:"#0"`
	B int `wamp:"#1"`
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("caller", flag.ContinueOnError)
	url := fs.String("url", "ws://127.0.0.1:8080/ws", "router URL (ws, wss, tcp, tcps or unix)")
	realm := fs.String("realm", "realm1", "realm to join")
	ser := fs.String("ser", "json", "serialization: json, msgpack or cbor")
	failover := fs.String("failover", "", "more router URLs, comma-separated, to move to when the one in use is lost")
	load := fs.Duration("load", 0, "call com.example.add with 8 calls in flight for this long, then print what happened")
	if err := fs.Parse(args); err != nil {
		return err
	}
	s, err := client.ParseSerialization(*ser)
	if err != nil {
		return err
	}
	opts := []client.Option{client.WithRealm(*realm), client.WithSerialization(s)}
	if *failover != "" {
		opts = append(opts, client.WithFailover(strings.Split(*failover, ",")...),
			client.WithStateListener(func(ch client.StateChange) {
				if ch.State == client.Connected || ch.State == client.Reconnecting {
					fmt.Fprintf(out, "state: %s %s\n", ch.State, ch.URL)
				}
			}))
	} else {
		opts = append(opts, client.WithoutReconnect())
	}
	c, err := client.Connect(ctx, *url, opts...)
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = c.Close(cctx)
	}()
	timeout := caller.Timeout(5 * time.Second)
	if *load > 0 {
		return runLoad(ctx, c, *load, out)
	}

	add := caller.New[AddIn, int](c, "com.example.add", timeout)
	sum, err := add.Call(ctx, AddIn{2, 3})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "com.example.add(2, 3) = %d\n", sum)

	for _, kw := range []map[string]any{{"name": "Ada", "greeting": "Hi"}, {"name": "Grace"}} {
		hello, err := caller.Call[string](ctx, c, "com.example.greet", caller.Kwargs(kw), timeout)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "com.example.greet(%s) = %q\n", formatKwargs(kw), hello)
	}

	res := caller.Progressive[int, string](ctx, c, "com.example.countdown", 3, timeout)
	for n, err := range res.Progress() {
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "com.example.countdown progress: %d\n", n)
	}
	final, err := res.Result()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "com.example.countdown(3) = %q\n", final)

	if err := countdownBreak(ctx, c, out); err != nil {
		return err
	}

	echo, err := caller.Call[client.Payload](ctx, c, "com.example.echo.hello", caller.Args("hi", 42), timeout)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "com.example.echo.hello(\"hi\", 42) = %v (procedure %v)\n", echo.Args, echo.Kwargs["procedure"])

	_, err = caller.Call[int](ctx, c, "com.example.add", caller.Args("two", 3), timeout)
	fmt.Fprintf(out, "com.example.add(\"two\", 3) fails: %v\n", err)
	return nil
}

// countdownBreak leaves the progress loop early, which cancels the call
// (the callee is interrupted).
func countdownBreak(ctx context.Context, c *client.Client, out io.Writer) error {
	res := caller.Progressive[int, string](ctx, c, "com.example.countdown", 10, caller.Timeout(5*time.Second))
	for n, err := range res.Progress() {
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "com.example.countdown progress: %d\n", n)
		if n == 8 {
			break
		}
	}
	_, err := res.Result()
	fmt.Fprintf(out, "com.example.countdown(10) left at 8: canceled: %v\n", errors.Is(err, client.ErrCanceled))
	return nil
}

// formatKwargs writes keyword arguments as key=value, sorted by key.
func formatKwargs(kw map[string]any) string {
	parts := make([]string, 0, len(kw))
	for _, k := range slices.Sorted(maps.Keys(kw)) {
		parts = append(parts, fmt.Sprintf("%s=%v", k, kw[k]))
	}
	return strings.Join(parts, ", ")
}

// runLoad keeps 8 calls of com.example.add in flight for d (or until ctx
// ends) and prints how many were answered and, by error, how many failed.
func runLoad(ctx context.Context, c *client.Client, d time.Duration, out io.Writer) error {
	add := caller.New[AddIn, int](c, "com.example.add", caller.Timeout(5*time.Second), caller.RetrySafe(3, 50*time.Millisecond))
	lctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var (
		mu       sync.Mutex
		answered int
		failed   = map[string]int{}
		wg       sync.WaitGroup
	)
	start := time.Now()
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for lctx.Err() == nil {
				// Each call gets its own context: the end of the load does not
				// cancel the calls in flight.
				cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				_, err := add.Call(cctx, AddIn{2, 3})
				cancel()
				mu.Lock()
				if err == nil {
					answered++
				} else {
					failed[errorName(err)]++
				}
				mu.Unlock()
				if err != nil {
					select { // a failing caller does not spin
					case <-time.After(50 * time.Millisecond):
					case <-lctx.Done():
					}
				}
			}
		}()
	}
	wg.Wait()
	n := 0
	for _, v := range failed {
		n += v
	}
	fmt.Fprintf(out, "load: %d calls answered in %s, %d failed", answered, time.Since(start).Round(100*time.Millisecond), n)
	for _, k := range slices.Sorted(maps.Keys(failed)) {
		fmt.Fprintf(out, "; %s: %d", k, failed[k])
	}
	fmt.Fprintln(out)
	if n > 0 {
		return fmt.Errorf("%d calls failed", n)
	}
	return nil
}

// errorName is the WAMP URI of err, or its text.
func errorName(err error) string {
	if uri := client.URIOf(err); uri != "" {
		return uri
	}
	return err.Error()
}
