package callee_test

import (
	"context"
	"fmt"
	"iter"
	"log"
	"time"

	"github.com/wampkit/wampkit/callee"
	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/client/wamptest"
)

// exampleSetup starts an in-process router and connects a callee and a
// caller to it over websocket. stop closes everything. (In a test function,
// wamptest.NewRouter(t) and r.Connect(t) close them at cleanup.)
func exampleSetup() (c, caller *client.Client, stop func()) {
	r, err := wamptest.StartRouter()
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if c, err = client.Connect(ctx, r.URL()); err != nil {
		log.Fatal(err)
	}
	if caller, err = client.Connect(ctx, r.URL()); err != nil {
		log.Fatal(err)
	}
	return c, caller, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = caller.Close(ctx)
		_ = c.Close(ctx)
		_ = r.Close()
	}
}

func ExampleRegister() {
	c, caller, stop := exampleSetup()
	defer stop()
	ctx := context.Background()

	type AddIn struct {
		A int `wamp:"#0"`
		B int `wamp:"#1"`
	}
	_, err := callee.Register(ctx, c, "com.example.add", func(_ context.Context, in AddIn) (int, error) {
		return in.A + in.B, nil
	})
	if err != nil {
		log.Fatal(err)
	}

	res, err := caller.Call(ctx, client.CallRequest{Procedure: "com.example.add",
		Payload: client.Payload{Args: []any{2, 3}}}, nil)
	fmt.Println(res.Args, err)
	// Output: [5] <nil>
}

func ExampleRegister_kwargs() {
	c, caller, stop := exampleSetup()
	defer stop()
	ctx := context.Background()

	type Greeting struct {
		Name     string `json:"name"`
		Greeting string `json:"greeting"`
	}
	_, err := callee.Register(ctx, c, "com.example.greet", func(_ context.Context, in Greeting) (string, error) {
		if in.Name == "" {
			return "", client.NewError("com.example.error.no_name", "who is there?")
		}
		if in.Greeting == "" {
			in.Greeting = "Hello"
		}
		return in.Greeting + ", " + in.Name + "!", nil
	})
	if err != nil {
		log.Fatal(err)
	}

	for _, kw := range []map[string]any{{"name": "Ada"}, {"name": "Bob", "greeting": "Hi"}, {"name": true}, {}} {
		res, err := caller.Call(ctx, client.CallRequest{Procedure: "com.example.greet",
			Payload: client.Payload{Kwargs: kw}}, nil)
		fmt.Println(res.Args, err)
	}
	// Output:
	// [Hello, Ada!] <nil>
	// [Hi, Bob!] <nil>
	// [] client: call com.example.greet: wamp.error.invalid_argument: callee: decode argument "name": want string, got true (bool) map[got:true path:name want:string]
	// [] client: call com.example.greet: com.example.error.no_name: who is there?
}

func ExampleRegisterProgressive() {
	c, caller, stop := exampleSetup()
	defer stop()
	ctx := context.Background()

	_, err := callee.RegisterProgressive(ctx, c, "com.example.countdown",
		func(_ context.Context, n int, progress func(int) error) (string, error) {
			for i := n; i > 0; i-- {
				if err := progress(i); err != nil {
					return "", err // the call was canceled
				}
			}
			return "liftoff", nil
		})
	if err != nil {
		log.Fatal(err)
	}

	res, err := caller.Call(ctx, client.CallRequest{Procedure: "com.example.countdown",
		Payload: client.Payload{Args: []any{3}}}, func(r client.Result) error {
		fmt.Println("progress", r.Args)
		return nil
	})
	fmt.Println(res.Args, err)
	// Output:
	// progress [3]
	// progress [2]
	// progress [1]
	// [liftoff] <nil>
}

func ExampleRegisterStream() {
	c, caller, stop := exampleSetup()
	defer stop()
	ctx := context.Background()

	_, err := callee.RegisterStream(ctx, c, "com.example.sum",
		func(_ context.Context, in iter.Seq2[int, error]) (int, error) {
			total := 0
			for n, err := range in {
				if err != nil {
					return 0, err
				}
				total += n
			}
			return total, nil
		})
	if err != nil {
		log.Fatal(err)
	}

	call, err := caller.StartCall(ctx, client.CallRequest{Procedure: "com.example.sum",
		Payload: client.Payload{Args: []any{1}}, Stream: true})
	if err != nil {
		log.Fatal(err)
	}
	_ = call.Send(ctx, client.Payload{Args: []any{2}})
	_ = call.SendFinal(ctx, client.Payload{Args: []any{3}})
	res, err := call.Next(ctx)
	fmt.Println(res.Args, err)
	// Output: [6] <nil>
}

func ExampleInvocationFrom() {
	c, caller, stop := exampleSetup()
	defer stop()
	ctx := context.Background()

	_, err := callee.Register(ctx, c, "com.example.echo.", func(ctx context.Context, in client.Payload) (client.Payload, error) {
		inv, _ := callee.InvocationFrom(ctx)
		return client.Payload{Args: in.Args, Kwargs: map[string]any{"procedure": inv.Procedure}}, nil
	}, callee.MatchPrefix())
	if err != nil {
		log.Fatal(err)
	}

	res, err := caller.Call(ctx, client.CallRequest{Procedure: "com.example.echo.hello",
		Payload: client.Payload{Args: []any{"hi"}}}, nil)
	fmt.Println(res.Args, res.Kwargs, err)
	// Output: [hi] map[procedure:com.example.echo.hello] <nil>
}
