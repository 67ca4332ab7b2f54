package codec_test

import (
	"sync"
	"testing"

	"github.com/gammazero/nexus/v3/wamp"

	"github.com/wampkit/wampkit/internal/codec"
)

// TestLocalValues covers values that never went through a serializer, as a
// router in the same process hands them over: named nexus types.
func TestLocalValues(t *testing.T) {
	type Reg struct {
		ID      ID     `json:"id"`
		Callees []ID   `json:"callees"`
		Match   string `json:"match"`
	}
	runValueCases(t, []valueCase{
		{name: "wamp.Dict with wamp.ID", in: wamp.Dict{"id": wamp.ID(5), "callees": []wamp.ID{1, 2}, "match": "exact"},
			want: Reg{ID: 5, Callees: []ID{1, 2}, Match: "exact"}},
		{name: "wamp.List", in: wamp.List{wamp.ID(1), uint64(2)}, want: []ID{1, 2}},
		{name: "map of named values", in: map[string]wamp.ID{"a": 1}, want: map[string]uint64{"a": 1}},
		{name: "wamp.URI into string", in: wamp.URI("a.b"), want: "a.b"},
	})
}

// TestConcurrentFirstUse decodes a recursive type from many goroutines at
// once, while its plan is being built.
func TestConcurrentFirstUse(t *testing.T) {
	type Node struct {
		Name     string  `json:"name"`
		Children []*Node `json:"children"`
	}
	in := map[string]any{"name": "r", "children": []any{map[string]any{"name": "c", "children": []any{map[string]any{"name": "g"}}}}}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			var n Node
			if err := codec.DecodeValue(in, &n); err != nil {
				errs <- err
				return
			}
			if n.Children[0].Children[0].Name != "g" {
				t.Errorf("got %+v", n)
			}
			if _, err := codec.EncodeValue(n); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}
