package handover_test

import (
	"testing"

	"github.com/wampkit/wampkit/internal/handover"
)

// TestTwinOnlyAfterTake: a twin is taken only for the very arguments a
// receiver took with Take, once; not before, not for other arguments, and
// not once a later twin took its slot.
func TestTwinOnlyAfterTake(t *testing.T) {
	args := []any{map[string]any{"a": 1}}
	handover.RecordTwin(args, "twin")
	if _, ok := handover.TakeTwin(args); ok {
		t.Fatal("a twin taken before its arguments were handed over")
	}
	handover.Give(args, nil, -1)
	if _, ok := handover.Take(args, nil); !ok {
		t.Fatal("Take")
	}
	if _, ok := handover.TakeTwin([]any{args[0]}); ok {
		t.Fatal("a twin taken for another slice holding the same map")
	}
	if twin, ok := handover.TakeTwin(args); !ok || twin != "twin" {
		t.Fatalf("TakeTwin = %v, %v after Take", twin, ok)
	}
	if _, ok := handover.TakeTwin(args); ok {
		t.Fatal("a twin taken twice")
	}

	// Take of other arguments marks nothing; a later record in the slot
	// (here the same arguments recorded again) is not handed.
	other := []any{map[string]any{"b": 2}}
	handover.RecordTwin(args, "first")
	handover.Give(other, nil, -1)
	handover.Take(other, nil)
	if _, ok := handover.TakeTwin(args); ok {
		t.Fatal("Take of other arguments handed this twin")
	}
	handover.Give(args, nil, -1)
	handover.Take(args, nil)
	handover.RecordTwin(args, "second")
	if _, ok := handover.TakeTwin(args); ok {
		t.Fatal("a twin recorded after the Take was taken")
	}
}
