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

}

// TestSlotSharing: a payload whose first slot is held goes to its second,
// and both are given; only when both slots are held does a newer payload
// replace an older one, which its receiver then copies.
func TestSlotSharing(t *testing.T) {
	t.Cleanup(clearTable)
	old := []any{1}
	Give(old, nil, 0)
	oldFirst, _ := slots2(old)
	var newer []any
	for range 100000 {
		n := []any{2}
		if first, second := slots2(n); first == oldFirst && second != first {
			newer = n
			break
		}
	}
	if newer == nil {
		t.Fatal("no array found that shares its first slot")
	}
	Give(newer, nil, 0)
	if !took(Take(old, nil)) || !took(Take(newer, nil)) {
		t.Fatal("a payload was lost to another that shares its first slot")
	}

	// Fill every slot, then give one more: it replaces the record in its
	// first slot.
	held := 0
	for i := 0; held < slots && i < 1000000; i++ {
		if Give([]any{i}, nil, 0); held < slots {
			held = 0
			for j := range table {
				if table[j].args != nil {
					held++
				}
			}
		}
	}
	if held < slots {
		t.Fatalf("only %d of %d slots filled", held, slots)
	}
	last := []any{"last"}
	first, _ := slots2(last)
	victim := first.args
	Give(last, nil, 0)
	if took(Take(victim, nil)) {
		t.Error("Take gave a payload whose slot a newer one took")
	}
	if !took(Take(last, nil)) {
		t.Error("Take refused the newer payload")
	}
}

// TestGivenAgainTakenOnce: a payload given again before it was taken (a
// call retried after the router refused it) is taken once, wherever its
// earlier record was.
func TestGivenAgainTakenOnce(t *testing.T) {
	t.Cleanup(clearTable)
	p := []any{"x"}
	Give(p, nil, 1)
	Give(p, nil, 2)
	if size, ok := Take(p, nil); !ok || size != 2 {
		t.Fatalf("Take = %d, %v; want the later record's 2, true", size, ok)
	}
	if took(Take(p, nil)) {
		t.Error("Take gave the same payload twice")
	}

	// Its earlier record in its second slot (the first was held), the
	// first free again when it is given once more.
	var q []any
	for range 1000 {
		n := []any{"q"}
		if first, second := slots2(n); first != second {
			q = n
			break
		}
	}
	if q == nil {
		t.Fatal("no array found with two distinct slots")
	}
	qFirst, _ := slots2(q)
	blocker := []any{"blocker"}
	qFirst.put(blocker, nil, 0, true) // q's first slot is held
	Give(q, nil, 1)                   // so q goes to its second
	qFirst.drop(blocker)              // and its first is free again
	Give(q, nil, 2)
	if !took(Take(q, nil)) || took(Take(q, nil)) {
		t.Error("a payload given twice was not taken exactly once")
	}
	held := 0
	for i := range table {
		if table[i].args != nil {
			held++
		}
	}
	if held != 0 {
		t.Errorf("%d records left after every payload was taken", held)
	}
}

func clearTable() {
	for i := range table {
		table[i].args, table[i].kwargs = nil, nil
	}
}

func took(_ int, ok bool) bool { return ok }
