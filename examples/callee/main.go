// Command callee is a standalone WAMP callee built with package callee. It
// registers four procedures:
//
//   - com.example.add: two positional integers, answers their sum;
//   - com.example.greet: keyword arguments {name, greeting?}, answers a
//     greeting string;
//   - com.example.countdown: one integer n, sends n, n-1, ... 1 as
//     progressive results (when the caller asks for them), answers
//     "liftoff";
//   - com.example.echo. (prefix): any com.example.echo.* call answers its
//     positional arguments back, with the URI called in the "procedure"
//     keyword argument.
//
// Start the reference router in one terminal and this callee in another:
//
//	go run ./examples/router
//	go run ./examples/callee -ser msgpack
//
// The router listens on ws://127.0.0.1:8080/ws (realm "realm1"), which is
// where -url and -realm point by default; -ser chooses json (default),
// msgpack or cbor. Then call the procedures from any WAMP client, such as
// Autobahn|JS, or the example caller. The callee runs until SIGINT or
// SIGTERM, then drains (client.Drain: it unregisters, so the router sends
// new calls to the other callees, lets the calls in flight finish) and
// closes its session cleanly.
//
// Running several callees behind several routers:
//
//   - -invoke roundrobin (or random, first, last) registers every procedure
//     as a shared registration, so several callee processes can serve it;
//     stopping one with Ctrl-C (a rolling restart) fails no call;
//   - -failover url2,url3 names routers to move to when the one in use is
//     lost (registrations are restored there); the program prints the
//     router it is on at every change;
//   - -wait makes the first connect wait for a router (until Ctrl-C)
//     instead of failing when none is up yet.
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
	"strings"
	"syscall"
	"time"

	"github.com/wampkit/wampkit/callee"
	"github.com/wampkit/wampkit/client"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "callee:", err)
		os.Exit(1)
	}
}

// run connects, registers the procedures and serves until ctx ends.
func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("callee", flag.ContinueOnError)
	url := fs.String("url", "ws://127.0.0.1:8080/ws", "router URL (ws, wss, tcp, tcps or unix)")
	realm := fs.String("realm", "realm1", "realm to join")
	ser := fs.String("ser", "json", "serialization: json, msgpack or cbor")
	failover := fs.String("failover", "", "more router URLs, comma-separated, to move to when the one in use is lost")
	wait := fs.Bool("wait", false, "wait for a router at start (until Ctrl-C) instead of failing")
	invoke := fs.String("invoke", "single", "invocation policy: single, or roundrobin, random, first, last to share the procedures with other callees")
	if err := fs.Parse(args); err != nil {
		return err
	}
	s, err := client.ParseSerialization(*ser)
	if err != nil {
		return err
	}
	policy := callee.Policy(*invoke)
	if !policy.Valid() {
		return fmt.Errorf("-invoke %q: want single, roundrobin, random, first or last", *invoke)
	}
	opts := []client.Option{client.WithRealm(*realm), client.WithSerialization(s),
		client.WithStateListener(func(ch client.StateChange) { printChange(out, ch) })}
	if *failover != "" {
		opts = append(opts, client.WithFailover(strings.Split(*failover, ",")...))
	}
	connectCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if *wait {
		connectCtx = ctx // until a router answers or Ctrl-C
		opts = append(opts, client.WithConnectRetry())
	}
	c, err := client.Connect(connectCtx, *url, opts...)
	if err != nil {
		return err
	}
	defer closeClient(c)
	if err := registerAll(connectCtx, c, callee.Invoke(policy)); err != nil {
		return err
	}
	fmt.Fprintf(out, "serving com.example.add, greet, countdown and echo.* (invoke %s) on %s (realm %s, %s); Ctrl-C drains and stops\n",
		policy, c.URL(), *realm, s)
	select {
	case <-ctx.Done():
	case <-c.Done():
		return errors.New("client closed")
	}
	fmt.Fprintln(out, "stopping: draining")
	start := time.Now()
	dctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.Drain(dctx); err != nil {
		return err
	}
	fmt.Fprintf(out, "drained in %s\n", time.Since(start).Round(time.Millisecond))
	return nil
}

// printChange prints the router in use at every state change.
func printChange(out io.Writer, ch client.StateChange) {
	switch ch.State {
	case client.Connected:
		fmt.Fprintf(out, "state: connected to %s\n", ch.URL)
	case client.Reconnecting:
		fmt.Fprintf(out, "state: lost %s, reconnecting\n", ch.URL)
	default:
		fmt.Fprintf(out, "state: %s\n", ch.State)
	}
}

func closeClient(c *client.Client) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = c.Close(ctx)
}

func registerAll(ctx context.Context, c *client.Client, invoke callee.Option) error {
	if _, err := callee.Register(ctx, c, "com.example.add", add, invoke); err != nil {
		return err
	}
	if _, err := callee.Register(ctx, c, "com.example.greet", greet, invoke); err != nil {
		return err
	}
	if _, err := callee.RegisterProgressive(ctx, c, "com.example.countdown", countdown, invoke); err != nil {
		return err
	}
	_, err := callee.Register(ctx, c, "com.example.echo.", echo, callee.MatchPrefix(), invoke)
	return err
}

// AddIn is two positional integers.
type AddIn struct {
	A int `wamp:"#0,required"`
	B int `wamp:"#1,required"`
}

func add(_ context.Context, in AddIn) (int, error) { return in.A + in.B, nil }

// GreetIn is the keyword arguments of com.example.greet.
type GreetIn struct {
	Name     string `json:"name,required"`
	Greeting string `json:"greeting"`
}

func greet(_ context.Context, in GreetIn) (string, error) {
	if in.Greeting == "" {
		in.Greeting = "Hello"
	}
	return fmt.Sprintf("%s, %s!", in.Greeting, in.Name), nil
}

// countdownStep is the pause between two progressive results.
var countdownStep = 200 * time.Millisecond

func countdown(ctx context.Context, n int, progress func(int) error) (string, error) {
	if n < 0 || n > 60 {
		return "", client.NewError("wamp.error.invalid_argument", "countdown: n must be between 0 and 60")
	}
	for i := n; i > 0; i-- {
		if err := progress(i); err != nil {
			return "", err
		}
		select {
		case <-time.After(countdownStep):
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	return "liftoff", nil
}

func echo(ctx context.Context, in client.Payload) (client.Payload, error) {
	inv, _ := callee.InvocationFrom(ctx)
	kwargs := maps.Clone(in.Kwargs)
	if kwargs == nil {
		kwargs = map[string]any{}
	}
	kwargs["procedure"] = inv.Procedure
	return client.Payload{Args: in.Args, Kwargs: kwargs}, nil
}
