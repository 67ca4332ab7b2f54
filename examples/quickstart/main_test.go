package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestQuickstartRuns(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out bytes.Buffer
	if err := run(ctx, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		"com.example.add(2, 3) = 5",
		`com.example.greet{name: Ada} = "Hello, Ada!"`,
		`wamp.error.invalid_argument`,
		`progress 3 2 1, result "liftoff"`,
		"com.example.echo.anything[hi]",
		"worker1, worker2, worker1, worker2",
		"com.example.work",
		"revoked: true",
		"com.example.maintenance",
		"now has 1 callee; the next call is answered by worker2",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
