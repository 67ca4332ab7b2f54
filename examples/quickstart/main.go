// Command quickstart shows the whole of wampkit on a router embedded in the
// process, with no setup:
//
//	go run ./examples/quickstart
//
// It starts the reference router in process (client/wamptest), registers typed procedures (plain,
// progressive, prefix, shared round-robin), calls them, inspects the
// registrations through the meta-API, removes a callee with remove_callee
// and watches the revocation arrive, then closes everything cleanly. Each
// step prints what happened.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/wampkit/wampkit/callee"
	"github.com/wampkit/wampkit/caller"
	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/client/wamptest"
	"github.com/wampkit/wampkit/metaclient"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := run(ctx, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// AddIn is the input of com.example.add: two positional integers, or
// keyword arguments a and b.
type AddIn struct {
	A int `wamp:"a,#0"`
	B int `wamp:"b,#1"`
}

// Greeting is the input of com.example.greet.
type Greeting struct {
	Name     string `json:"name"`
	Greeting string `json:"greeting,omitempty"`
}

// demo holds the clients of the tour.
type demo struct {
	out              io.Writer
	router           *wamptest.Router
	service, user    *client.Client
	worker1, worker2 *client.Client
	admin            *client.Client
	workerRegs       []*callee.Registration
}

func run(ctx context.Context, out io.Writer) error {
	// The test kit's router runs in this process; a real program would
	// client.Connect to a router's URL instead.
	r, err := wamptest.StartRouter()
	if err != nil {
		return err
	}
	defer r.Close()
	d := &demo{out: out, router: r}
	fmt.Fprintln(out, "== router: reference router in process, realm", r.Realm())
	if err := d.connect(ctx); err != nil {
		return err
	}
	defer d.close()
	for _, step := range []func(context.Context) error{d.typedCall, d.progressive, d.prefix, d.shared, d.inspect, d.removeCallee} {
		if err := step(ctx); err != nil {
			return err
		}
	}
	fmt.Fprintln(out, "== done: closing clients and router")
	return nil
}

func (d *demo) connect(ctx context.Context) error {
	var err error
	for _, c := range []**client.Client{&d.service, &d.user, &d.worker1, &d.worker2} {
		if *c, err = d.router.Dial(ctx); err != nil {
			return err
		}
	}
	d.admin, err = d.router.Dial(ctx, client.WithTicket(d.router.AdminCredentials()))
	return err
}

func (d *demo) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, c := range []*client.Client{d.service, d.user, d.worker1, d.worker2, d.admin} {
		if c != nil {
			_ = c.Close(ctx)
		}
	}
}

func (d *demo) typedCall(ctx context.Context) error {
	fmt.Fprintln(d.out, "== typed call")
	_, err := callee.Register(ctx, d.service, "com.example.add", func(_ context.Context, in AddIn) (int, error) {
		return in.A + in.B, nil
	})
	if err != nil {
		return err
	}
	sum, err := caller.Call[int](ctx, d.user, "com.example.add", caller.Args(2, 3))
	if err != nil {
		return err
	}
	fmt.Fprintf(d.out, "com.example.add(2, 3) = %d\n", sum)

	_, err = callee.Register(ctx, d.service, "com.example.greet", func(_ context.Context, g Greeting) (string, error) {
		if g.Greeting == "" {
			g.Greeting = "Hello"
		}
		return g.Greeting + ", " + g.Name + "!", nil
	})
	if err != nil {
		return err
	}
	hello, err := caller.Call[string](ctx, d.user, "com.example.greet", Greeting{Name: "Ada"})
	if err != nil {
		return err
	}
	fmt.Fprintf(d.out, "com.example.greet{name: Ada} = %q\n", hello)

	_, err = caller.Call[int](ctx, d.user, "com.example.add", caller.Args("two", 3))
	fmt.Fprintf(d.out, "com.example.add(\"two\", 3) fails: %v\n", err)
	return nil
}

func (d *demo) progressive(ctx context.Context) error {
	fmt.Fprintln(d.out, "== progressive results")
	_, err := callee.RegisterProgressive(ctx, d.service, "com.example.countdown",
		func(_ context.Context, n int, progress func(int) error) (string, error) {
			for i := n; i > 0; i-- {
				if err := progress(i); err != nil {
					return "", err
				}
			}
			return "liftoff", nil
		})
	if err != nil {
		return err
	}
	results := caller.Progressive[int, string](ctx, d.user, "com.example.countdown", 3)
	var got []string
	for n, err := range results.Progress() {
		if err != nil {
			return err
		}
		got = append(got, fmt.Sprint(n))
	}
	final, err := results.Result()
	if err != nil {
		return err
	}
	fmt.Fprintf(d.out, "com.example.countdown(3): progress %s, result %q\n", strings.Join(got, " "), final)
	return nil
}

func (d *demo) prefix(ctx context.Context) error {
	fmt.Fprintln(d.out, "== prefix registration")
	_, err := callee.Register(ctx, d.service, "com.example.echo.", func(ctx context.Context, p client.Payload) (string, error) {
		inv, _ := callee.InvocationFrom(ctx)
		return fmt.Sprintf("%s%v", inv.Procedure, p.Args), nil
	}, callee.MatchPrefix())
	if err != nil {
		return err
	}
	s, err := caller.Call[string](ctx, d.user, "com.example.echo.anything", caller.Args("hi"))
	if err != nil {
		return err
	}
	fmt.Fprintf(d.out, "com.example.echo.anything(\"hi\") answered by the prefix registration: %s\n", s)
	return nil
}

// worker is the handler of the shared registration: it says who answered.
func worker(name string) func(context.Context, struct{}) (string, error) {
	return func(context.Context, struct{}) (string, error) { return name, nil }
}

func (d *demo) shared(ctx context.Context) error {
	fmt.Fprintln(d.out, "== shared registration, round robin over two callees")
	for i, c := range []*client.Client{d.worker1, d.worker2} {
		reg, err := callee.Register(ctx, c, "com.example.work", worker(fmt.Sprintf("worker%d", i+1)),
			callee.Invoke(callee.RoundRobin))
		if err != nil {
			return err
		}
		d.workerRegs = append(d.workerRegs, reg)
	}
	var who []string
	for range 4 {
		w, err := caller.Call[string](ctx, d.user, "com.example.work", nil)
		if err != nil {
			return err
		}
		who = append(who, w)
	}
	fmt.Fprintf(d.out, "4 calls answered by: %s\n", strings.Join(who, ", "))
	return nil
}

func (d *demo) inspect(ctx context.Context) error {
	fmt.Fprintln(d.out, "== registrations, seen through the meta-API")
	meta := metaclient.New(d.user)
	lists, err := meta.List(ctx)
	if err != nil {
		return err
	}
	var rows []string
	for _, id := range append(append(lists.Exact, lists.Prefix...), lists.Wildcard...) {
		reg, err := meta.Get(ctx, id)
		if err != nil {
			return err
		}
		if strings.HasPrefix(reg.URI, "wamp.") {
			continue // the router's own meta procedures
		}
		n, err := meta.CountCallees(ctx, id)
		if err != nil {
			return err
		}
		rows = append(rows, fmt.Sprintf("%s\t%s\t%s\t%d", reg.URI, reg.Match, reg.Invoke, n))
	}
	sort.Strings(rows)
	tw := tabwriter.NewWriter(d.out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "URI\tMATCH\tINVOKE\tCALLEES")
	for _, row := range rows {
		fmt.Fprintln(tw, row)
	}
	return tw.Flush()
}

func (d *demo) removeCallee(ctx context.Context) error {
	fmt.Fprintln(d.out, "== remove_callee: the router revokes worker1's registration")
	meta := metaclient.New(d.admin)
	id, found, err := meta.Lookup(ctx, "com.example.work", metaclient.Exact)
	if err != nil || !found {
		return fmt.Errorf("lookup com.example.work: found %v, %w", found, err)
	}
	if err := meta.RemoveCallee(ctx, id, d.worker1.ID(), "com.example.maintenance"); err != nil {
		return err
	}
	select {
	case <-d.workerRegs[0].Done():
		fmt.Fprintf(d.out, "worker1's registration ended: %v (revoked: %v)\n",
			d.workerRegs[0].Err(), errors.Is(d.workerRegs[0].Err(), callee.ErrRevoked))
	case <-time.After(2 * time.Second):
		return errors.New("no revocation within 2s")
	}
	n, err := meta.CountCallees(ctx, id)
	if err != nil {
		return err
	}
	w, err := caller.Call[string](ctx, d.user, "com.example.work", nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(d.out, "com.example.work now has %d callee; the next call is answered by %s\n", n, w)
	return nil
}
