package reliability_test

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if addrs := os.Getenv(childEnv); addrs != "" {
		os.Exit(runRouterChild(addrs)) // the router process of TestRouterKillRecovery
	}
	if spec := os.Getenv(calleeEnv); spec != "" {
		os.Exit(runCalleeChild(spec)) // a callee process of TestScaleRollingCallees
	}
	goleak.VerifyTestMain(m)
}

// figure logs one measured figure in a form RELIABILITY.md quotes.
func figure(t *testing.T, format string, args ...any) {
	t.Helper()
	t.Logf("FIGURE %s: %s", t.Name(), fmt.Sprintf(format, args...))
}
