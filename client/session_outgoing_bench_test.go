package client

import (
	"testing"

	"github.com/gammazero/nexus/v3/wamp"

	"github.com/wampkit/wampkit/internal/outgoing"
)

// BenchmarkCheckOut is the cost the payload check adds to a small call on
// the caller's goroutine.
func BenchmarkCheckOut(b *testing.B) {
	s := &session{cfg: sessionConfig{RejectNonFinite: true}, limit: 16 << 20}
	msg := &wamp.Call{Request: 1, Options: wamp.Dict{}, Procedure: "com.example.add",
		Arguments: wamp.List{1, "hello", 2.5, wamp.Dict{"a": 1, "b": "x"}}}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := s.checkOut(msg, outgoing.Built{}); err != nil {
			b.Fatal(err)
		}
	}
}
