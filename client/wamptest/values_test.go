package wamptest_test

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/client/wamptest"
)

// describe writes v's Go types and values, recursively, keys sorted.
func describe(v any) string {
	switch v := v.(type) {
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = describe(e)
		}
		return "[" + strings.Join(parts, " ") + "]"
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + ":" + describe(v[k])
		}
		return "{" + strings.Join(parts, " ") + "}"
	}
	return fmt.Sprintf("%T(%v)", v, v)
}

// TestCalleeSeesWireTypesInProcess: a callee connected in process receives
// the same Go types and values as one connected over websocket or
// rawsocket, with every serializer, so what a handler is tested with is
// what it gets in production.
func TestCalleeSeesWireTypesInProcess(t *testing.T) {
	r := wamptest.NewRouter(t)
	ctx := ctxT(t)
	type point struct {
		X int     `json:"x"`
		Y float64 `json:"y"`
	}
	payload := client.Payload{
		Args: []any{int8(5), uint16(7), float32(1.5), "s", true, nil, []byte{0, 1, 2},
			[]int{1, 2}, map[string]int{"a": 1}, point{X: 1, Y: 2.5}, uint64(math.MaxInt64) + 2, int64(math.MinInt64)},
		Kwargs: map[string]any{"n": int32(-3), "list": []string{"a"}, "nested": map[string]any{"f": 0.25}},
	}
	callees := map[string]*client.Client{"in process": r.Connect(t)}
	for _, s := range []client.Serialization{client.JSON, client.MsgPack, client.CBOR} {
		callees["websocket "+s.String()] = dial(t, r.URL(), client.WithSerialization(s))
		callees["rawsocket "+s.String()] = dial(t, r.RawSocketURL(), client.WithSerialization(s))
	}
	seen := map[string]string{}
	for name, c := range callees {
		proc := "com.example.types." + strings.ReplaceAll(name, " ", "_")
		got := make(chan string, 1)
		_, err := c.Register(ctx, proc, func(_ context.Context, inv *client.Invocation) (client.Payload, error) {
			p := inv.Payload()
			got <- describe(p.Args) + " " + describe(p.Kwargs)
			return client.Payload{}, nil
		}, client.RegisterOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Connect(t).Call(ctx, client.CallRequest{Procedure: proc, Payload: payload}, nil); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		seen[name] = <-got
	}
	want := seen["websocket json"]
	if !strings.Contains(want, "int64(5)") || !strings.Contains(want, "[]uint8([0 1 2])") {
		t.Fatalf("websocket json: %s", want)
	}
	t.Logf("every callee saw %s", want)
	for name, got := range seen {
		if got != want {
			t.Errorf("%s callee saw\n  %s\nwebsocket json callee saw\n  %s", name, got, want)
		}
	}
}
