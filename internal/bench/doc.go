// Package bench holds wampkit's benchmarks against the raw nexus v3.3.0
// client, both on the same plain nexus router in the same run: round-trip
// calls (sequential and 32 concurrent) over the in-process transport,
// websocket JSON, websocket MsgPack and rawsocket MsgPack, with a small
// payload ["hello", 42] and a 10-field struct; a 10,000-item progressive
// stream; and the memory of idle registrations. compare.sh runs them and
// prints wampkit/nexus ratios:
//
//	internal/bench/compare.sh              # 5 samples each
//	go test -run '^$' -bench 'Call/.*/inproc' ./internal/bench/
//
// The figures and their reading are in BENCHMARKS.md.
package bench
