// Package bench holds wampkit's benchmarks against the two other Go WAMP
// clients, the raw nexus v3.3.0 client and the xconn-go v0.1.0 client, all
// on the same plain nexus router in the same run, and against the floor:
// the same four frames per call (CALL, INVOCATION, YIELD, RESULT),
// serialized beforehand, over the same transport with no WAMP work
// (floor_test.go). Round-trip calls (sequential and 32 concurrent) go over
// the in-process transport (wampkit and nexus only), websocket and
// rawsocket with JSON, MsgPack and CBOR, with a small payload ["hello", 42]
// and a 10-field struct (wampkit both through its typed caller and callee
// and, as "wkany", through its untyped client API doing nexus's
// benchmark's work); then a 10,000-item progressive stream, and the
// memory of idle registrations. compare.sh runs them in interleaved rounds
// and prints wampkit's ratios over each peer and each client's cost above
// the floor; BASE=<revision> compares wampkit with itself at a revision:
//
//	internal/bench/compare.sh                # 3 rounds, the main transports
//	COUNT=8 FULL=1 internal/bench/compare.sh # 8 rounds, every transport
//	BASE=df89db7 internal/bench/compare.sh   # before and after, same run
//	go test -run '^$' -bench 'Call/.*/ws-msgpack' ./internal/bench/
//
// The tests here only check the benchmarks' own parts (the floor, the
// xconn-go setup) and run in a second. The figures and their reading are
// in BENCHMARKS.md.
package bench
