// Command caller is a standalone WAMP caller built with package caller. It
// calls the procedures of examples/callee and prints the results and the
// progress:
//
//	go run ./examples/router                 # terminal 1
//	go run ./examples/callee                 # terminal 2
//	go run ./examples/caller -ser msgpack    # terminal 3
//
// -url (default ws://127.0.0.1:8080/ws, where examples/router listens),
// -realm (default realm1) and -ser (json, msgpack or cbor) choose the
// router. Each call has a 5-second timeout; the program exits non-zero if a
// call fails.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
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

// GreetIn is the keyword arguments of com.example.greet.
type GreetIn struct {
	Name     string `json:"name"`
	Greeting string `json:"greeting,omitempty"`
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("caller", flag.ContinueOnError)
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
	c, err := client.Connect(ctx, *url, client.WithRealm(*realm), client.WithSerialization(s), client.WithoutReconnect())
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = c.Close(cctx)
	}()
	timeout := caller.Timeout(5 * time.Second)

	add := caller.New[AddIn, int](c, "com.example.add", timeout)
	sum, err := add.Call(ctx, AddIn{2, 3})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "com.example.add(2, 3) = %d\n", sum)

	hello, err := caller.Call[string](ctx, c, "com.example.greet", GreetIn{Name: "Ada", Greeting: "Hi"}, timeout)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "com.example.greet{name: Ada, greeting: Hi} = %q\n", hello)

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

	echo, err := caller.Call[client.Payload](ctx, c, "com.example.echo.hello", caller.Args("hi", 42), timeout)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "com.example.echo.hello(\"hi\", 42) = %v (procedure %v)\n", echo.Args, echo.Kwargs["procedure"])

	_, err = caller.Call[int](ctx, c, "com.example.add", caller.Args("two", 3), timeout)
	fmt.Fprintf(out, "com.example.add(\"two\", 3) fails: %v\n", err)
	return nil
}
