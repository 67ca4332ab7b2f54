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

func TestTracingPrintsOneTrace(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out bytes.Buffer
	if err := run(ctx, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	got := out.String()
	tree := got[strings.Index(got, "== span tree"):]
	want := `== span tree
trace `
	if !strings.HasPrefix(tree, want) || strings.Count(tree, "trace ") != 1 {
		t.Errorf("want one trace:\n%s", tree)
	}
	for _, line := range []string{
		"  checkout [internal]\n",
		"    com.example.add [client]\n",
		"      com.example.add [server]\n",
		"    com.example.countdown [client] 3 progress events\n",
		"      com.example.countdown [server] 3 progress events\n",
	} {
		if !strings.Contains(tree, line) {
			t.Errorf("span tree lacks %q:\n%s", line, tree)
		}
	}
	if !strings.Contains(got, `"Name":"com.example.add"`) || !strings.Contains(got, `"rpc.system"`) {
		t.Errorf("the stdout exporter's JSON is missing:\n%s", got)
	}
	if !strings.Contains(got, `add(2, 3) = 5; countdown(3) = "liftoff"`) {
		t.Errorf("results missing:\n%s", got)
	}
}
