package handover

import (
	"testing"
)

// TestTakeOnlyWhatWasGiven: Take finds exactly the payload given (same
// arguments array and length, same keyword map), once; anything else, and
// a payload whose slot a newer one took, is not given.
func TestTakeOnlyWhatWasGiven(t *testing.T) {
	args, kw := []any{map[string]any{"a": 1}, "x"}, map[string]any{"k": 1}
	if !Give(args, kw) {
		t.Fatal("Give refused a payload")
	}
	if Take(args[:1], kw) {
		t.Error("Take accepted a shorter slice of the same array")
	}
	if Take(args, map[string]any{"k": 1}) {
		t.Error("Take accepted another keyword map")
	}
	if Take(append([]any(nil), args...), kw) {
		t.Error("Take accepted a copy of the arguments")
	}
	if !Take(args, kw) {
		t.Fatal("Take refused the payload given")
	}
	if Take(args, kw) {
		t.Error("Take gave the same payload twice")
	}

	if Give(nil, kw) || Give([]any{}, kw) || Take([]any{}, kw) {
		t.Error("empty arguments carry no identity and cannot be given")
	}

	// A newer payload in the same slot replaces the older one, which is
	// then not given (its receiver copies it).
	old := []any{1}
	Give(old, nil)
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
	Give(newer, nil)
	if Take(old, nil) {
		t.Error("Take gave a payload whose slot a newer one took")
	}
	if !Take(newer, nil) {
		t.Error("Take refused the newer payload")
	}
}
