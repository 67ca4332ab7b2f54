// Command router runs wampkit's reference WAMP router (nexus plus
// wamp.registration.remove_callee and registration revocation) for
// examples and interoperability tests.
//
//	go run ./examples/router -addr 127.0.0.1:8080
//
// serves websocket on ws://127.0.0.1:8080/ws and rawsocket on
// tcp://127.0.0.1:8081 (the next port; -rawaddr chooses another), realm
// "realm1". Anonymous sessions are welcome; the admin user, the one allowed
// to call wamp.registration.remove_callee and wamp.session.kill*,
// authenticates with WAMP-Ticket as authid "admin". There is no default
// ticket: it comes from -ticket, else from the WAMPKIT_ADMIN_TICKET
// environment variable, else it is generated at start. Both URLs and the
// credentials are printed at start. SIGINT or SIGTERM stops it cleanly.
//
// Point any WAMP client at it: Autobahn|JS with
// new autobahn.Connection({url: "ws://127.0.0.1:8080/ws", realm: "realm1"}),
// wampy.js with new Wampy("ws://127.0.0.1:8080/ws", {realm: "realm1"}),
// Autobahn|Python with Component(transports="ws://127.0.0.1:8080/ws",
// realm="realm1"); browsers from another origin need -origins '*'.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/wampkit/wampkit/internal/router"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "router:", err)
		os.Exit(1)
	}
}

// ticketEnv names the environment variable that may hold the admin ticket.
const ticketEnv = "WAMPKIT_ADMIN_TICKET"

// getenv is os.Getenv; tests replace it.
var getenv = os.Getenv

// run serves until ctx ends (SIGINT or SIGTERM in main).
func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("router", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "websocket listen address (host:port)")
	rawAddr := fs.String("rawaddr", "", "rawsocket listen address (default: -addr's port + 1, or ephemeral if that is 0)")
	realm := fs.String("realm", router.DefaultRealm, "realm URI")
	ticket := fs.String("ticket", "", "admin ticket (default: $"+ticketEnv+", else a random one, printed at start)")
	origins := fs.String("origins", "", "comma-separated websocket origins to accept ('*' for any)")
	verbose := fs.Bool("v", false, "log router and nexus debug output to stderr")
	if err := fs.Parse(args); err != nil {
		return err
	}

	if *ticket == "" {
		*ticket = getenv(ticketEnv) // empty: the router generates one
	}
	if *rawAddr == "" {
		next, err := nextPort(*addr)
		if err != nil {
			return err
		}
		*rawAddr = next
	}
	cfg := router.Config{
		Realm:         *realm,
		AdminTicket:   *ticket,
		WebsocketAddr: *addr,
		RawSocketAddr: *rawAddr,
	}
	if *origins != "" {
		cfg.AllowOrigins = strings.Split(*origins, ",")
	}
	if *verbose {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	r, err := router.Start(cfg)
	if err != nil {
		return err
	}
	authid, secret := r.AdminCredentials()
	fmt.Fprintf(out, "websocket: %s\nrawsocket: %s\nrealm:     %s\nadmin:     authid %q, ticket %q (WAMP-Ticket)\n",
		r.WebsocketURL(), r.RawSocketURL(), r.Realm(), authid, secret)
	<-ctx.Done()
	fmt.Fprintln(out, "stopping")
	return r.Close()
}

// nextPort returns addr with its port plus one.
func nextPort(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("-addr %q: %w", addr, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return "", fmt.Errorf("-addr %q: bad port", addr)
	}
	if p == 0 { // ephemeral websocket port: ephemeral rawsocket port too
		return net.JoinHostPort(host, "0"), nil
	}
	return net.JoinHostPort(host, strconv.Itoa(p+1)), nil
}
