package wire

import (
	"strconv"
	"strings"
	"testing"

	"github.com/gammazero/nexus/v3/wamp"
)

// BenchmarkLocalize is what the in-process link adds to a call: the
// INVOCATION and RESULT of a 10-field object, localized.
func BenchmarkLocalize(b *testing.B) {
	obj := map[string]any{"id": int64(123456789), "name": "Ada Lovelace", "email": "ada@example.com", "age": 36,
		"score": 98.5, "active": true, "tags": []any{"math", "engines"}, "country": "UK",
		"created": "1843-07-10T00:00:00Z", "level": uint32(7)}
	b.ReportAllocs()
	for range b.N {
		inv := &wamp.Invocation{Request: 1, Registration: 2, Arguments: wamp.List{obj},
			Details: wamp.Dict{"procedure": wamp.URI("bench.struct"), "progress": false}}
		res := &wamp.Result{Request: 1, Details: wamp.Dict{}, Arguments: wamp.List{obj}}
		if Localize(inv) != nil || Localize(res) != nil {
			b.Fatal("refused")
		}
	}
}

// TestLocalizeRefusesAndCopies: what no serializer carries is an error
// naming where it is, and what Localize gives shares nothing mutable with
// its input.
func TestLocalizeRefusesAndCopies(t *testing.T) {
	cyclic := map[string]any{}
	cyclic["self"] = cyclic
	for _, tc := range []struct {
		v    any
		want string
	}{
		{map[string]any{"a": []any{1, make(chan int)}}, `wire: EVENT Arguments[0]["a"][1]: a chan int cannot travel over WAMP`},
		{map[int]int{1: 2}, `wire: EVENT Arguments[0]: a map with int keys cannot travel`},
		{map[any]any{1: 2}, `wire: EVENT Arguments[0]: a map key 1 (int) cannot travel`},
		{cyclic, `nested deeper than 1000`},
	} {
		err := Localize(&wamp.Event{Arguments: wamp.List{tc.v}})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%T: got %v, want %q", tc.v, err, tc.want)
		}
	}
	in, m := []byte("abc"), map[string]any{"k": "v"}
	ev := &wamp.Event{Arguments: wamp.List{in, []int{1}}, ArgumentsKw: wamp.Dict{"m": m}}
	if err := Localize(ev); err != nil {
		t.Fatal(err)
	}
	ev.Arguments[0].([]byte)[0] = 'X'
	ev.ArgumentsKw["m"].(map[string]any)["k"] = "changed"
	if string(in) != "abc" || m["k"] != "v" {
		t.Errorf("the sender's values changed: %q %v", in, m)
	}
}

// TestLocalURIIsAStringWithoutAllocating: a URI a router puts in a payload
// (nexus names the procedure in every INVOCATION's Details as a wamp.URI)
// arrives as a string, converted without an allocation once seen, and the
// table that makes that so stays bounded.
func TestLocalURIIsAStringWithoutAllocating(t *testing.T) {
	inv := &wamp.Invocation{Details: wamp.Dict{"procedure": wamp.URI("com.example.uri"), "progress": false}}
	if err := Localize(inv); err != nil {
		t.Fatal(err)
	}
	if got, ok := inv.Details["procedure"].(string); !ok || got != "com.example.uri" {
		t.Fatalf("procedure %#v, want the string", inv.Details["procedure"])
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = LocalValue(wamp.URI("com.example.uri")) }); n != 0 {
		t.Errorf("a URI seen before costs %v allocations", n)
	}
	for i := range 2 * maxURIStrings {
		v, _ := LocalValue(wamp.URI("com.example.many." + strconv.Itoa(i)))
		if v != "com.example.many."+strconv.Itoa(i) {
			t.Fatalf("URI %d became %#v", i, v)
		}
	}
	uriStrings.RLock()
	n := len(uriStrings.m)
	uriStrings.RUnlock()
	if n > maxURIStrings {
		t.Errorf("%d URIs kept, the bound is %d", n, maxURIStrings)
	}
}
