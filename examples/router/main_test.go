package main

import (
	"context"
	"os"
	"regexp"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// serve runs the program with args until the test ends, and returns its
// URLs and the admin ticket it printed.
func serve(t *testing.T, args ...string) (urls []string, ticket string, stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var out wamptest.Buffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, append([]string{"-addr", "127.0.0.1:0"}, args...), &out) }()
	printed := regexp.MustCompile(`websocket: (ws://\S+)\nrawsocket: (tcp://\S+)\n.*\nadmin: +authid "admin", ticket "([^"]*)"`)
	wamptest.Eventually(t, func() bool { return printed.MatchString(out.String()) }, "the program prints its URLs and credentials")
	m := printed.FindStringSubmatch(out.String())
	stop = func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("router did not stop")
		}
	}
	return m[1:3], m[3], stop
}

// Without -ticket or the environment variable, the ticket is random: two
// runs print different ones, and neither is the old well-known default.
func TestRouterProgramGeneratesTicket(t *testing.T) {
	getenv = func(string) string { return "" }
	t.Cleanup(func() { getenv = os.Getenv })
	_, first, stop := serve(t)
	stop()
	_, second, stop := serve(t)
	stop()
	if len(first) < 16 || first == second || first == "admin-secret" {
		t.Errorf("tickets %q and %q: want two random ones", first, second)
	}
}

// -ticket wins over the environment, which wins over generating one.
func TestRouterProgramTicketFromFlagOrEnvironment(t *testing.T) {
	getenv = func(k string) string {
		if k == ticketEnv {
			return "from-env"
		}
		return ""
	}
	t.Cleanup(func() { getenv = os.Getenv })
	_, ticket, stop := serve(t)
	stop()
	if ticket != "from-env" {
		t.Errorf("ticket %q, want the environment's", ticket)
	}
	_, ticket, stop = serve(t, "-ticket", "from-flag")
	stop()
	if ticket != "from-flag" {
		t.Errorf("ticket %q, want the flag's", ticket)
	}
}

func TestRouterProgramServesAndStops(t *testing.T) {
	urls, ticket, stop := serve(t)
	for _, url := range urls {
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		c, err := client.Connect(cctx, url, client.WithTicket("admin", ticket))
		if err != nil {
			t.Fatalf("connect %s: %v", url, err)
		}
		if role := c.RouterDetails()["authrole"]; role != "admin" {
			t.Errorf("printed admin credentials give role %v", role)
		}
		_ = c.Close(cctx)
		cancel()
	}
	stop()
}
