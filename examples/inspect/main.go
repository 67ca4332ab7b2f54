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
// a ticket it generates unless given one). -watch runs until SIGINT; it
// follows the router through reconnects and restarts, and then prints what
// changed while it was away.
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
	if _, err := printTable(cctx, m, out); err != nil {
		return err
	}
	if *watch {
		return watchEvents(ctx, m, out)
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

// watchEvents prints the registry's changes until ctx ends: the lifecycle
// events as they happen and, after a reconnect or a router restart, what
// changed while the watcher was away (marked "while away"), then a
// "resynchronised" line. The router's own wamp.* procedures are left out.
func watchEvents(ctx context.Context, m *metaclient.Client, out io.Writer) error {
	reg, err := m.Watch(ctx)
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = reg.Close(cctx)
	}()
	fmt.Fprintln(out, "watching lifecycle events (Ctrl-C to stop)")
	initial, away := true, 0
	for {
		var c metaclient.Change
		select {
		case c = <-reg.Changes():
		case <-ctx.Done():
			return nil
		}
		switch {
		case c.Kind == metaclient.Resynced && initial:
			initial = false
			continue
		case c.Kind == metaclient.Resynced:
			fmt.Fprintf(out, "resynchronised with the router: %d changes while away\n", away)
			away = 0
			continue
		case c.Kind == metaclient.Repaired || strings.HasPrefix(c.URI, "wamp."):
			continue
		}
		tag := ""
		if c.Resync {
			tag, away = " (while away)", away+1
		}
		printChange(out, reg, c, tag)
	}
}

func printChange(out io.Writer, reg *metaclient.Registry, c metaclient.Change, tag string) {
	id := c.Registration
	switch c.Kind {
	case metaclient.Created:
		if info, ok := reg.Get(id); ok {
			fmt.Fprintf(out, "created      %d %s (match %s, invoke %s)%s\n", id, c.URI, info.Match, info.Invoke, tag)
		} else {
			fmt.Fprintf(out, "created      %d %s%s\n", id, c.URI, tag)
		}
	case metaclient.CalleeAdded:
		fmt.Fprintf(out, "registered   %d %s: callee session %d%s\n", id, c.URI, c.Session, tag)
	case metaclient.CalleeRemoved:
		reason := ""
		if c.Reason != "" {
			reason = " (revoked: " + c.Reason + ")"
		}
		fmt.Fprintf(out, "unregistered %d %s: callee session %d%s%s\n", id, c.URI, c.Session, reason, tag)
	case metaclient.Deleted:
		fmt.Fprintf(out, "deleted      %d %s%s\n", id, c.URI, tag)
	}
}
