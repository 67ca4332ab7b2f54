package handover

import (
	"testing"
)

// TestTakeOnlyWhatWasGiven: Take finds exactly the payload given (same
// arguments array and length, same keyword map), once; anything else, and
// a payload whose slot a newer one took, is not given.
func TestTakeOnlyWhatWasGiven(t *testing.T) {
	args, kw := []any{map[string]any{"a": 1}, "x"}, map[string]any{"k": 1}
	if !Give(args, kw, 7) {
		t.Fatal("Give refused a payload")
	}
	if took(Take(args[:1], kw)) {
		t.Error("Take accepted a shorter slice of the same array")
	}
	if took(Take(args, map[string]any{"k": 1})) {
		t.Error("Take accepted another keyword map")
	}
	if took(Take(append([]any(nil), args...), kw)) {
		t.Error("Take accepted a copy of the arguments")
	}
	if size, ok := Take(args, kw); !ok || size != 7 {
		t.Fatalf("Take of the payload given = %d, %v; want 7, true", size, ok)
	}
	if took(Take(args, kw)) {
		t.Error("Take gave the same payload twice")
	}

	if Give(nil, kw, 0) || Give([]any{}, kw, 0) || took(Take([]any{}, kw)) {
		t.Error("empty arguments carry no identity and cannot be given")
	}

	// A newer payload in the same slot replaces the older one, which is
	// then not given (its receiver copies it).
	old := []any{1}
	Give(old, nil, 0)
	var newer []any
	for range 100000 {
		n := []any{2}
		if slot(n) == slot(old) {
			newer = n
			break
		}
	}
	if newer == nil {
		t.Skip("no array found in the same slot")
	}
	Give(newer, nil, 0)
	if took(Take(old, nil)) {
		t.Error("Take gave a payload whose slot a newer one took")
	}
	if !took(Take(newer, nil)) {
		t.Error("Take refused the newer payload")
	}
}

func took(_ int, ok bool) bool { return ok }
