package main

import (
	"context"
	"regexp"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRouterProgramServesAndStops(t *testing.T) {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var out wamptest.Buffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"-addr", "127.0.0.1:0"}, &out) }()
	urls := regexp.MustCompile(`websocket: (ws://\S+)\nrawsocket: (tcp://\S+)`)
	wamptest.Eventually(t, func() bool { return urls.MatchString(out.String()) }, "the program prints its URLs")
	m := urls.FindStringSubmatch(out.String())
	for _, url := range m[1:] {
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		c, err := client.Connect(cctx, url, client.WithTicket("admin", "admin-secret"))
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
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("router did not stop")
	}
}
