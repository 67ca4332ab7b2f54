// Package reliability holds the bounded tests behind RELIABILITY.md: floods
// from a hostile router (internal/wamptest/hostile) against the client's
// bounds, with the peak heap and goroutine count each leaves; the time a
// stalled link takes to be noticed; the time the client takes to recover
// from a router killed with SIGKILL and restarted; at scale, callee
// processes drained or killed under load and a router lost under clients
// with failover (the test binary runs again as a router or callee child
// process, see TestMain; WAMPKIT_SCALE=1 for the 20 s runs). Each test
// asserts the
// bound a user relies on (memory stays within budget, the call or
// invocation fails with its own error) and logs its figures:
//
//	go test -v -count=1 -run . ./internal/reliability/ | grep FIGURE
//
// The figures in RELIABILITY.md come from that run without -race (the race
// detector inflates memory and time); CI runs the same tests under -race,
// where only the assertions count. The package has no code of its own.
package reliability
