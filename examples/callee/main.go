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
// SIGTERM, then unregisters and closes its session cleanly.
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
	if err := fs.Parse(args); err != nil {
		return err
	}
	s, err := client.ParseSerialization(*ser)
	if err != nil {
		return err
	}
	connectCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c, err := client.Connect(connectCtx, *url, client.WithRealm(*realm), client.WithSerialization(s))
	if err != nil {
		return err
	}
	defer closeClient(c)
	if err := registerAll(connectCtx, c); err != nil {
		return err
	}
	fmt.Fprintf(out, "serving com.example.add, greet, countdown and echo.* on %s (realm %s, %s); Ctrl-C stops\n",
		*url, *realm, s)
	select {
	case <-ctx.Done():
	case <-c.Done():
		return errors.New("client closed")
	}
	fmt.Fprintln(out, "stopping")
	return nil
}

func closeClient(c *client.Client) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = c.Close(ctx)
}

func registerAll(ctx context.Context, c *client.Client) error {
	if _, err := callee.Register(ctx, c, "com.example.add", add); err != nil {
		return err
	}
	if _, err := callee.Register(ctx, c, "com.example.greet", greet); err != nil {
		return err
	}
	if _, err := callee.RegisterProgressive(ctx, c, "com.example.countdown", countdown); err != nil {
		return err
	}
	_, err := callee.Register(ctx, c, "com.example.echo.", echo, callee.MatchPrefix())
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
