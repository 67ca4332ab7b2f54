package bench

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	nxclient "github.com/gammazero/nexus/v3/client"
	"github.com/gammazero/nexus/v3/wamp"

	"github.com/wampkit/wampkit/callee"
)

const idleRegistrations = 10000

func heap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkIdleRegistrationMemory reports the client-side heap held per
// idle registration, with 10,000 registrations in one in-process session
// (the router's own share is included for both clients alike).
func BenchmarkIdleRegistrationMemory(b *testing.B) {
	for _, who := range []string{"wampkit", "nexus"} {
		b.Run(who, func(b *testing.B) {
			var perReg float64
			for range b.N {
				perReg = idleMemory(b, who)
			}
			b.ReportMetric(perReg, "B/registration")
		})
	}
}

func idleMemory(b *testing.B, who string) float64 {
	s := startServer(b)
	ctx := context.Background()
	tr := transports[0]
	var register func(i int) error
	switch who {
	case "wampkit":
		c := wampkitClient(b, s, tr)
		register = func(i int) error {
			_, err := callee.Register(ctx, c, fmt.Sprintf("bench.idle.p%d", i), echoSmall)
			return err
		}
	default:
		c := nexusClient(b, s, tr)
		register = func(i int) error {
			return c.Register(fmt.Sprintf("bench.idle.p%d", i), func(context.Context, *wamp.Invocation) nxclient.InvokeResult {
				return nxclient.InvokeResult{}
			}, nil)
		}
	}
	before := heap()
	for i := range idleRegistrations {
		if err := register(i); err != nil {
			b.Fatal(err)
		}
	}
	after := heap()
	return float64(after-before) / idleRegistrations
}
