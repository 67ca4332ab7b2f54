// Command inspect prints the registrations of a WAMP realm as a table (URI,
// match, invoke, callees, created), using package metaclient:
//
//	go run ./examples/router                     # terminal 1
//	go run ./examples/callee                     # terminal 2
//	go run ./examples/inspect                    # the table
//	go run ./examples/inspect -watch             # then lifecycle events as they happen
//	go run ./examples/inspect -remove 12:3456    # remove callee session 3456 from registration 12
//
// -url (default ws://127.0.0.1:8080/ws), -realm and -ser choose the router;
// -authid and -ticket authenticate (remove_callee needs the admin role:
// examples/router prints its admin credentials at start: authid "admin" and
// a ticket it generates unless given one). -watch runs until SIGINT.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/metaclient"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "inspect:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("inspect", flag.ContinueOnError)
	url := fs.String("url", "ws://127.0.0.1:8080/ws", "router URL")
	realm := fs.String("realm", "realm1", "realm")
	ser := fs.String("ser", "json", "serialization: json, msgpack or cbor")
	authid := fs.String("authid", "", "authid for ticket authentication")
	ticket := fs.String("ticket", "", "ticket for ticket authentication")
	watch := fs.Bool("watch", false, "print lifecycle events as they happen (until SIGINT)")
	remove := fs.String("remove", "", "REG:SESSION: remove callee SESSION from registration REG")
	if err := fs.Parse(args); err != nil {
		return err
	}
	s, err := client.ParseSerialization(*ser)
	if err != nil {
		return err
	}
	opts := []client.Option{client.WithRealm(*realm), client.WithSerialization(s)}
	if *authid != "" {
		opts = append(opts, client.WithTicket(*authid, *ticket))
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c, err := client.Connect(cctx, *url, opts...)
	if err != nil {
		return err
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = c.Close(closeCtx)
	}()
	m := metaclient.New(c)
	if *remove != "" {
		if err := removeCallee(cctx, m, *remove, out); err != nil {
			return err
		}
	}
	regs, err := printTable(cctx, m, out)
	if err != nil {
		return err
	}
	if *watch {
		uris := make(map[client.ID]string, len(regs))
		for _, reg := range regs {
			uris[reg.ID] = reg.URI
		}
		return watchEvents(ctx, m, uris, out)
	}
	return nil
}

func removeCallee(ctx context.Context, m *metaclient.Client, spec string, out io.Writer) error {
	regStr, sessStr, ok := strings.Cut(spec, ":")
	reg, err1 := strconv.ParseUint(regStr, 10, 64)
	sess, err2 := strconv.ParseUint(sessStr, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return fmt.Errorf("-remove %q: want REG:SESSION, two IDs", spec)
	}
	if err := m.RemoveCallee(ctx, client.ID(reg), client.ID(sess), "wamp.error.removed_by_inspect"); err != nil {
		return err
	}
	fmt.Fprintf(out, "removed callee %d from registration %d\n", sess, reg)
	return nil
}

// printTable prints every registration but the router's own, and returns
// them.
func printTable(ctx context.Context, m *metaclient.Client, out io.Writer) ([]metaclient.Registration, error) {
	regs, err := m.UserRegistrations(ctx)
	if err != nil {
		return nil, err
	}
	sort.Slice(regs, func(i, j int) bool { return regs[i].URI < regs[j].URI })
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tURI\tMATCH\tINVOKE\tCALLEES\tCREATED")
	for _, reg := range regs {
		callees, err := m.ListCallees(ctx, reg.ID)
		if errors.Is(err, client.ErrNoSuchRegistration) {
			continue
		}
		if err != nil {
			return nil, err
		}
		ids := make([]string, len(callees))
		for i, id := range callees {
			ids[i] = strconv.FormatUint(uint64(id), 10)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", reg.ID, reg.URI, reg.Match, reg.Invoke,
			strings.Join(ids, ","), reg.Created.Local().Format(time.DateTime))
	}
	return regs, tw.Flush()
}

// watchEvents prints lifecycle events until ctx ends. uris names the
// registrations known so far; the handler runs on the subscription's one
// goroutine, so it owns the map.
func watchEvents(ctx context.Context, m *metaclient.Client, uris map[client.ID]string, out io.Writer) error {
	sub, err := m.OnEvents(ctx, func(e metaclient.Event) {
		id := e.Registration.ID
		switch e.Kind {
		case metaclient.Created:
			uris[id] = e.Registration.URI
			fmt.Fprintf(out, "created      %d %s (match %s, invoke %s) by session %d\n",
				id, e.Registration.URI, e.Registration.Match, e.Registration.Invoke, e.Session)
		case metaclient.CalleeAdded:
			fmt.Fprintf(out, "registered   %d %s: callee session %d\n", id, uris[id], e.Session)
		case metaclient.CalleeRemoved:
			fmt.Fprintf(out, "unregistered %d %s: callee session %d\n", id, uris[id], e.Session)
		case metaclient.Deleted:
			fmt.Fprintf(out, "deleted      %d %s\n", id, uris[id])
			delete(uris, id)
		}
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "watching lifecycle events (Ctrl-C to stop)")
	<-ctx.Done()
	uctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return sub.Unsubscribe(uctx)
}
