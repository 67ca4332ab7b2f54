package client

import (
	"testing"

	"github.com/gammazero/nexus/v3/wamp"

	"github.com/wampkit/wampkit/internal/outgoing"
)

// TestCheckOutMeasuresWhatTheReceiverCharges: the size the sender measures
// of a payload it hands over is exactly what the receiver would charge
// against its invocation budget (approxSize), so the receiver need not walk
// the payload again; a payload the walk cannot measure the same way is
// reported as unmeasured (-1) and measured by the receiver.
func TestCheckOutMeasuresWhatTheReceiverCharges(t *testing.T) {
	s := &session{cfg: sessionConfig{RejectNonFinite: true}}
	for _, tc := range []struct {
		name   string
		args   wamp.List
		kwargs wamp.Dict
	}{
		{"scalars", wamp.List{"hello", 42, int64(-1), uint32(7), 2.5, float32(1), true, nil, []byte{1, 2}, wamp.ID(9)}, nil},
		{"struct as object", wamp.List{map[string]any{"id": 123456789, "name": "Ada", "tags": []any{"a", "b"},
			"meta": map[string]any{"x": nil}, "empty": []any(nil), "none": map[string]any(nil)}}, nil},
		{"args and kwargs", wamp.List{wamp.List{1, wamp.Dict{"k": "v"}}}, wamp.Dict{"k": []any{"x", 1.5}}},
		{"empty kwargs", wamp.List{1}, wamp.Dict{}},
	} {
		_, approx, err := s.checkOut(&wamp.Call{Request: 1, Options: wamp.Dict{"x": "options are not counted"},
			Procedure: "p", Arguments: tc.args, ArgumentsKw: tc.kwargs}, outgoing.Built{})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if want := approxSize(tc.args) + approxSize(tc.kwargs); approx != want {
			t.Errorf("%s: measured %d, the receiver charges %d", tc.name, approx, want)
		}
	}
	_, approx, err := s.checkOut(&wamp.Call{Request: 1, Procedure: "p", Arguments: wamp.List{[]string{"a"}}}, outgoing.Built{})
	if err != nil || approx != -1 {
		t.Errorf("a value taking reflection: measured %d, %v; want -1 (not measured)", approx, err)
	}
}
