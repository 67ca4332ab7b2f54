package wamptest_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/wampkit/wampkit/callee"
	"github.com/wampkit/wampkit/caller"
	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/client/wamptest"
	"github.com/wampkit/wampkit/metaclient"
)

// A callee tested through a caller. In a test function, the router is
// wamptest.NewRouter(t) and each client r.Connect(t): both are closed at
// cleanup. An Example has no t, so it starts and closes them itself.
func Example() {
	ctx := context.Background()
	r, err := wamptest.StartRouter()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()

	svc, _ := r.Dial(ctx)
	defer svc.Close(ctx)
	_, err = callee.Register(ctx, svc, "com.example.add", func(_ context.Context, in [2]int) (int, error) {
		return in[0] + in[1], nil
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	user, _ := r.Dial(ctx)
	defer user.Close(ctx)
	sum, err := caller.Call[int](ctx, user, "com.example.add", caller.Args(2, 3))
	fmt.Println(sum, err)
	_, err = caller.Call[int](ctx, user, "com.example.add", caller.Args("two", 3))
	fmt.Println(errors.Is(err, client.ErrInvalidArgument))
	// Output:
	// 5 <nil>
	// true
}

// The router removes a callee (wamp.registration.remove_callee, called by
// a session with the admin credentials: r.Admin(t) in a test), and the
// callee sees its registration revoked on the handle.
func Example_revocation() {
	ctx := context.Background()
	r, err := wamptest.StartRouter()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()

	svc, _ := r.Dial(ctx)
	defer svc.Close(ctx)
	reg, err := callee.Register(ctx, svc, "com.example.add", func(_ context.Context, in [2]int) (int, error) {
		return in[0] + in[1], nil
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	admin, _ := r.Dial(ctx, client.WithTicket(r.AdminCredentials()))
	defer admin.Close(ctx)
	err = metaclient.New(admin).RemoveCallee(ctx, reg.ID(), svc.ID(), "com.example.maintenance")
	fmt.Println("remove_callee:", err)

	<-reg.Done()
	var revoked *client.RevokedError
	fmt.Println("revoked:", errors.Is(reg.Err(), callee.ErrRevoked), errors.As(reg.Err(), &revoked) && revoked.Reason == "com.example.maintenance")
	_, err = caller.Call[int](ctx, admin, "com.example.add", caller.Args(2, 3))
	fmt.Println(errors.Is(err, client.ErrNoSuchProcedure))
	// Output:
	// remove_callee: <nil>
	// revoked: true true
	// true
}

// A client's reconnect, under a drop injected by the router: the client
// comes back with a new session and its registrations.
func ExampleRouter_Drop() {
	ctx := context.Background()
	r, err := wamptest.StartRouter()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()

	states := make(chan client.State, 8)
	svc, _ := r.Dial(ctx, client.WithStateCallback(func(s client.State) { states <- s }))
	defer svc.Close(ctx)
	_, err = callee.Register(ctx, svc, "com.example.add", func(_ context.Context, in [2]int) (int, error) {
		return in[0] + in[1], nil
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(<-states)

	r.Drop() // every connection is cut, as by a network failure
	fmt.Println(<-states)
	fmt.Println(<-states) // back, with the registration restored

	sum, err := caller.Call[int](ctx, svc, "com.example.add", caller.Args(2, 3))
	fmt.Println(sum, err)
	// Output:
	// connected
	// reconnecting
	// connected
	// 5 <nil>
}
