//go:build interop

package interop

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"
)

// env is what TestMain prepares for every test: the router binaries, the
// node command line and the Python interpreter.
var env struct {
	nexusd   string   // path of the nexusd binary built for this run
	nxt      string   // path of the nxt binary built for this run
	node     string   // path of node
	nodeArgs []string // flags every Autobahn|JS run needs on this node
	jsDir    string   // interop/js
	python   string   // the Python with Autobahn (Debian's /usr/bin/python3)
	pyDir    string   // interop/py
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
// and nxt (pinned by the tool directive of interop/nxt/go.mod, a module of
// its own so that wampkit's go.mod does not depend on xconn-go) into dir,
// and checks node, the npm packages and Python with Autobahn.
func setup(dir string) error {
	env.nexusd = filepath.Join(dir, "nexusd")
	env.nxt = filepath.Join(dir, "nxt")
	builds := []*exec.Cmd{
		exec.Command("go", "build", "-o", env.nexusd, "github.com/gammazero/nexus/v3/nexusd"),
		exec.Command("go", "build", "-o", env.nxt, "github.com/xconnio/xconn-go/cmd/nxt"),
	}
	builds[1].Dir = "nxt"
	errs := make([]error, len(builds))
	var wg sync.WaitGroup
	for i, b := range builds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if out, err := b.CombinedOutput(); err != nil {
				errs[i] = fmt.Errorf("build %s: %v\n%s", filepath.Base(b.Args[3]), err, out)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
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
	env.pyDir, err = filepath.Abs("py")
	if err != nil {
		return err
	}
	// Debian's python3-autobahn, python3-msgpack and python3-cbor2 install
	// into /usr/bin/python3's dist-packages (interop/run.sh installs them).
	env.python = "/usr/bin/python3"
	check := exec.Command(env.python, "-c", "import autobahn, msgpack, cbor2; print(autobahn.__version__)")
	if out, err := check.CombinedOutput(); err != nil {
		return fmt.Errorf("%s cannot import autobahn, msgpack and cbor2 (Debian python3-autobahn, python3-msgpack, python3-cbor2; interop/run.sh installs them): %v\n%s", env.python, err, out)
	}
	for _, pkg := range []string{"autobahn", "wampy", "websocket"} {
		if _, err := os.Stat(filepath.Join("node_modules", pkg, "package.json")); err != nil {
			return fmt.Errorf("npm package %s is not installed: run interop/run.sh (it runs npm ci): %w", pkg, err)
		}
	}
	return nil
}
