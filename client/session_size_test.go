package client

import (
	"strings"
	"testing"

	"github.com/gammazero/nexus/v3/wamp"
)

// TestApproxSizeChargesDeepValues: a large string nested deep inside lists
// is charged at its size, so nesting cannot slip it past a byte bound.
func TestApproxSizeChargesDeepValues(t *testing.T) {
	big := strings.Repeat("x", 1<<20)
	var v any = big
	for range 200 {
		v = []any{v}
	}
	if got := approxSize(v); got < 1<<20 {
		t.Fatalf("ApproxSize of 1 MiB nested 200 deep = %d bytes", got)
	}
}

// An in-process message whose size the session must ask for (6 MiB of
// string: its bound in any format passes the limit) is counted, not
// encoded: nothing is allocated for it.
func TestInProcessSizeIsCountedNotEncoded(t *testing.T) {
	msg := &wamp.Call{Request: 1, Options: wamp.Dict{}, Procedure: "com.p",
		Arguments: wamp.List{strings.Repeat("x", 6<<20), map[string]any{"n": int64(1), "b": []byte("b")}}}
	var n int
	allocs := testing.AllocsPerRun(10, func() {
		var err error
		if n, err = (localLink{}).EncodedSize(msg); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("measuring allocated %.0f times a run", allocs)
	}
	if n < 6<<20 || n > 6<<20+64 {
		t.Errorf("measured %d bytes for 6 MiB of string", n)
	}
}
