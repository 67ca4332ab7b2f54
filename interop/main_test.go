//go:build interop

package interop

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// env is what TestMain prepares for every test: the nexusd binary and the
// node command line.
var env struct {
	nexusd   string   // path of the nexusd binary built for this run
	node     string   // path of node
	nodeArgs []string // flags every Autobahn|JS run needs on this node
	jsDir    string   // interop/js
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "wampkit-interop-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "interop:", err)
		os.Exit(1)
	}
	code := 1
	if err := setup(dir); err != nil {
		fmt.Fprintln(os.Stderr, "interop: setup:", err)
	} else {
		code = runVerified(m)
	}
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// runVerified runs the tests and then checks for leaked goroutines, as
// goleak.VerifyTestMain does, but returns instead of exiting so that the
// temporary directory is removed.
func runVerified(m *testing.M) int {
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "interop: goleak:", err)
			return 1
		}
	}
	return code
}

// setup builds nexusd (the version go.mod pins with its tool directive)
// into dir and checks node and the npm packages.
func setup(dir string) error {
	env.nexusd = filepath.Join(dir, "nexusd")
	build := exec.Command("go", "build", "-o", env.nexusd, "github.com/gammazero/nexus/v3/nexusd")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("build nexusd: %v\n%s", err, out)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return fmt.Errorf("node not found in PATH (the suite runs Autobahn|JS and wampy on node): %w", err)
	}
	env.node = node
	out, err := exec.Command(node, "--version").Output()
	if err != nil {
		return fmt.Errorf("node --version: %w", err)
	}
	major, err := strconv.Atoi(strings.SplitN(strings.TrimPrefix(strings.TrimSpace(string(out)), "v"), ".", 2)[0])
	if err != nil {
		return fmt.Errorf("node version %q: %w", out, err)
	}
	if major < 20 {
		return fmt.Errorf("node %s is too old: the suite needs node >= 20", strings.TrimSpace(string(out)))
	}
	if major < 22 {
		// Autobahn|JS 26 uses the global WebSocket, unflagged from node 22.
		env.nodeArgs = []string{"--experimental-websocket"}
	}
	env.jsDir, err = filepath.Abs("js")
	if err != nil {
		return err
	}
	for _, pkg := range []string{"autobahn", "wampy", "websocket"} {
		if _, err := os.Stat(filepath.Join("node_modules", pkg, "package.json")); err != nil {
			return fmt.Errorf("npm package %s is not installed: run interop/run.sh (it runs npm ci): %w", pkg, err)
		}
	}
	return nil
}
