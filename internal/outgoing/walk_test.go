package outgoing

import (
	"math"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestNonFinite: NaN and the infinities are refused when Finite is set
// (JSON), with the path to them, and otherwise let through and flagged, so
// that a measure taken without Finite is not used for JSON.
func TestNonFinite(t *testing.T) {
	payload := []any{map[string]any{"score": math.Inf(-1)}}
	strict := Walker{Finite: true}
	err := strict.List(payload, 1)
	if err == nil || len(err.Path) != 2 || err.Path[0] != ".score" || err.Path[1] != "[0]" {
		t.Fatalf("a JSON walk of an infinity: %+v; want refused at [0].score", err)
	}
	var lax Walker
	if err := lax.List(payload, 1); err != nil || !lax.NonFinite {
		t.Fatalf("a walk without Finite: %v, NonFinite %v; want let through and flagged", err, lax.NonFinite)
	}
}

// TestMergeAddsUp: a payload measured in parts and merged is measured as
// one walk over it.
func TestMergeAddsUp(t *testing.T) {
	args := []any{"a", int64(1), []any{true, nil, 2.5}, map[string]any{"k": []byte{1}}}
	kwargs := map[string]any{"x": struct{ A int }{1}}
	var whole Walker
	whole.Add(10, 20)
	if whole.List(args, 1) != nil || whole.Dict(kwargs, 1) != nil {
		t.Fatal("walk failed")
	}
	var part, merged Walker
	if part.List(args, 1) != nil || part.Dict(kwargs, 1) != nil {
		t.Fatal("walk failed")
	}
	merged.Add(10, 20)
	merged.Merge(part.Measure)
	if merged != whole {
		t.Fatalf("merged %+v; one walk %+v", merged, whole)
	}
	if !whole.Inexact {
		t.Error("a struct walked by reflection left the measure exact")
	}
}

// TestLimit: a walk stops once the lower bound of the size passes the
// limit, and says so.
func TestLimit(t *testing.T) {
	w := Walker{Limit: 100}
	err := w.List([]any{string(make([]byte, 200))}, 1)
	if err == nil || err.Large <= 100 {
		t.Fatalf("a 200-byte string under a 100-byte limit: %+v", err)
	}
}
