package client

import (
	"strings"
	"testing"
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
