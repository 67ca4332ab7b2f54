package bench

import (
	"testing"

	"github.com/gammazero/nexus/v3/wamp"

	"github.com/wampkit/wampkit/internal/codec"
)

// BenchmarkConvert measures the typed conversions of one struct10 call
// side alone: wampkit's codec (what caller.Call and callee.Register run)
// against the hand-written conversion of "nexusconv" (typed_nexus_test.go).
// An in-process call runs each direction twice (arguments and result).
// cpu-ns/op is the process's CPU time, garbage collection included, which
// other processes on the machine do not inflate as they do ns/op.
func BenchmarkConvert(b *testing.B) {
	args, _, err := codec.Encode(struct10)
	if err != nil {
		b.Fatal(err)
	}
	wire := any(struct10ToDict(struct10)) // a wamp.Dict, as nexus hands it over in process
	b.Run("codec/encode", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b)()
		for b.Loop() {
			if _, _, err := codec.Encode(struct10); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("hand/encode", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b)()
		for b.Loop() {
			sinkAny = wamp.List{struct10ToDict(struct10)}
		}
	})
	b.Run("codec/decode", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b)()
		for b.Loop() {
			var out Struct10
			if err := codec.DecodeResult(args, nil, &out); err != nil {
				b.Fatal(err)
			}
			sinkAny = out.Tags
		}
	})
	b.Run("hand/decode", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b)()
		for b.Loop() {
			out, err := struct10FromDict(wire)
			if err != nil {
				b.Fatal(err)
			}
			sinkAny = out.Tags
		}
	})
}

var sinkAny any

// reportCPU starts measuring; the function it returns reports cpu-ns/op.
func reportCPU(b *testing.B) func() {
	c0, _, ok := cpuUsage()
	return func() {
		if c1, _, ok1 := cpuUsage(); ok && ok1 && b.N > 0 {
			b.ReportMetric(float64(c1-c0)*1e3/float64(b.N), "cpu-ns/op")
		}
	}
}
