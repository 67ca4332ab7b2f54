package wampotel_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestOnlyWampotelImportsOpenTelemetry: a user who does not trace pays
// nothing for OpenTelemetry. Of the module's non-test packages only
// client/wampotel and the program that shows it (examples/tracing) have it
// among their dependencies.
func TestOnlyWampotelImportsOpenTelemetry(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list over the module")
	}
	out, err := exec.Command("go", "list",
		"-f", `{{.ImportPath}} {{join .Deps " "}}`, "github.com/wampkit/wampkit/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	allowed := map[string]bool{
		"github.com/wampkit/wampkit/client/wampotel":  true,
		"github.com/wampkit/wampkit/examples/tracing": true,
	}
	seen := 0
	for line := range strings.SplitSeq(strings.TrimSpace(string(out)), "\n") {
		pkg, deps, _ := strings.Cut(line, " ")
		seen++
		if allowed[pkg] {
			if !strings.Contains(deps, "go.opentelemetry.io/otel") {
				t.Errorf("%s does not depend on OpenTelemetry: the check looks at the wrong thing", pkg)
			}
			continue
		}
		if strings.Contains(deps, "go.opentelemetry.io/") {
			t.Errorf("%s depends on OpenTelemetry; only client/wampotel may", pkg)
		}
	}
	if seen < 10 {
		t.Errorf("go list named %d packages; the module has more", seen)
	}
}
