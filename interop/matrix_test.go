//go:build interop

package interop

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"testing"
)

// status is a scenario's verdict.
type status string

const (
	statusPass     status = "PASS"
	statusFail     status = "FAIL"
	statusExpected status = "EXPECTED" // a known limitation, behaving as documented
)

// cell is one row of the matrix. role is the independent peer's role: in a
// "caller" cell the peer calls wampkit callees, in a "callee" cell wampkit
// callers call the peer, in a "meta" cell the peer reads the registration
// meta API about wampkit callees.
type cell struct {
	peer, role, router, serializer string
}

func (c cell) name() string {
	return c.peer + "/" + c.role + "/" + c.router + "/" + c.serializer
}

// prefix is the cell's own procedure namespace, so cells run in parallel on
// one router without colliding.
func (c cell) prefix() string {
	return "interop." + c.peer + "." + c.role + "." + c.router + "." + c.serializer
}

// outcome is one scenario's verdict in a cell.
type outcome struct {
	scenario string
	status   status
	detail   string // the failure, or the limitation's reason
}

// matrix collects the verdicts of every cell.
type matrix struct {
	mu    sync.Mutex
	cells map[cell][]outcome
}

func newMatrix() *matrix { return &matrix{cells: map[cell][]outcome{}} }

func (m *matrix) record(c cell, o outcome) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cells[c] = append(m.cells[c], o)
}

// judge decides a scenario: by its normal expectation, or, when a known
// limitation of the peer covers it, by the limitation's documented
// behaviour. A failure also fails the running test.
func (m *matrix) judge(t *testing.T, c cell, sc scenarioDef, o obs) {
	t.Helper()
	o.cell = c
	if lim, ok := findLimitation(c, sc.name); ok {
		if err := lim.check(o); err != nil {
			m.fail(t, c, sc.name, fmt.Sprintf("known limitation did not behave as documented (%s): %v", lim.reason, err))
			return
		}
		m.record(c, outcome{scenario: sc.name, status: statusExpected, detail: lim.reason})
		return
	}
	if err := sc.check(o); err != nil {
		m.fail(t, c, sc.name, err.Error())
		return
	}
	m.record(c, outcome{scenario: sc.name, status: statusPass})
}

func (m *matrix) fail(t *testing.T, c cell, scenario, detail string) {
	t.Helper()
	t.Errorf("%s: %s: FAIL: %s", c.name(), scenario, detail)
	m.record(c, outcome{scenario: scenario, status: statusFail, detail: detail})
}

// failAll fails every scenario of a cell that could not run.
func (m *matrix) failAll(t *testing.T, c cell, scenarios []scenarioDef, detail string) {
	t.Helper()
	for _, sc := range scenarios {
		m.fail(t, c, sc.name, detail)
	}
}

// print writes the matrix: one line per cell, then the expected results
// with their reasons, then the failures.
func (m *matrix) print(w io.Writer) (pass, expected, failed int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cells := make([]cell, 0, len(m.cells))
	for c := range m.cells {
		cells = append(cells, c)
	}
	sort.Slice(cells, func(i, j int) bool { return cells[i].name() < cells[j].name() })

	var b strings.Builder
	fmt.Fprintf(&b, "\n== interop matrix (peer x role x router x serializer)\n")
	fmt.Fprintf(&b, "%-11s %-7s %-7s %-8s %-6s %s\n", "PEER", "ROLE", "ROUTER", "SERIAL", "RESULT", "SCENARIOS")
	reasons := map[string][]string{} // reason -> "cell: scenario"
	var failures []string
	cellFails := 0
	for _, c := range cells {
		var p, e, f int
		var marks []string
		for _, o := range m.cells[c] {
			switch o.status {
			case statusPass:
				p++
				marks = append(marks, o.scenario)
			case statusExpected:
				e++
				marks = append(marks, o.scenario+"(E)")
				reasons[o.detail] = append(reasons[o.detail], c.name()+": "+o.scenario)
			case statusFail:
				f++
				marks = append(marks, o.scenario+"(FAIL)")
				failures = append(failures, fmt.Sprintf("%s: %s: %s", c.name(), o.scenario, o.detail))
			}
		}
		result := "PASS"
		if f > 0 {
			result = "FAIL"
			cellFails++
		}
		pass, expected, failed = pass+p, expected+e, failed+f
		fmt.Fprintf(&b, "%-11s %-7s %-7s %-8s %-6s %s\n", c.peer, c.role, c.router, c.serializer, result, strings.Join(marks, " "))
	}
	fmt.Fprintf(&b, "\ncells: %d (%d failed); scenarios: %d pass, %d expected, %d fail\n",
		len(cells), cellFails, pass, expected, failed)
	if len(reasons) > 0 {
		fmt.Fprintf(&b, "\nEXPECTED (known peer limitations, asserted to behave as documented):\n")
		keys := make([]string, 0, len(reasons))
		for r := range reasons {
			keys = append(keys, r)
		}
		sort.Strings(keys)
		for _, r := range keys {
			fmt.Fprintf(&b, "  - %s\n    in %d results, e.g. %s\n", r, len(reasons[r]), reasons[r][0])
		}
	}
	if len(failures) > 0 {
		fmt.Fprintf(&b, "\nFAILURES:\n")
		for _, f := range failures {
			fmt.Fprintf(&b, "  - %s\n", f)
		}
	}
	_, _ = io.WriteString(w, b.String())
	return pass, expected, failed
}
