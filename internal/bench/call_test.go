package bench

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	nxclient "github.com/gammazero/nexus/v3/client"
	"github.com/gammazero/nexus/v3/wamp"

	"github.com/wampkit/wampkit/callee"
	"github.com/wampkit/wampkit/caller"
	"github.com/wampkit/wampkit/client"
)

// Small is the payload ["hello", 42].
type Small struct {
	S string `wamp:"#0"`
	N int    `wamp:"#1"`
}

// Struct10 is a 10-field struct, sent as one object.
type Struct10 struct {
	ID      int64    `json:"id"`
	Name    string   `json:"name"`
	Email   string   `json:"email"`
	Age     int      `json:"age"`
	Score   float64  `json:"score"`
	Active  bool     `json:"active"`
	Tags    []string `json:"tags"`
	Country string   `json:"country"`
	Created string   `json:"created"`
	Level   uint32   `json:"level"`
}

var struct10 = Struct10{ID: 123456789, Name: "Ada Lovelace", Email: "ada@example.com", Age: 36, Score: 98.5,
	Active: true, Tags: []string{"math", "engines"}, Country: "UK", Created: "1843-07-10T00:00:00Z", Level: 7}

// struct10Wire is what a nexus caller sends for the same struct.
var struct10Wire = wamp.Dict{"id": 123456789, "name": "Ada Lovelace", "email": "ada@example.com", "age": 36,
	"score": 98.5, "active": true, "tags": wamp.List{"math", "engines"}, "country": "UK",
	"created": "1843-07-10T00:00:00Z", "level": 7}

func echoSmall(_ context.Context, in Small) (Small, error)        { return in, nil }
func echoStruct(_ context.Context, in Struct10) (Struct10, error) { return in, nil }
func nexusEcho(_ context.Context, inv *wamp.Invocation) nxclient.InvokeResult {
	return nxclient.InvokeResult{Args: inv.Arguments, Kwargs: inv.ArgumentsKw}
}

// BenchmarkCall measures round-trip calls: wampkit's typed caller.Call to a
// typed callee.Register handler, against nexus's client.Call to a nexus
// handler and xconn-go's Call to an xconn-go handler (xconn_test.go), same
// payload, same router, same run. "nexusconv" is nexus with the typed
// conversions a nexus user writes by hand (typed_nexus_test.go). "floor" is
// the same frames over the same transport with no WAMP work (floor_test.go).
func BenchmarkCall(b *testing.B) {
	s := startServer(b)
	for _, tr := range transports {
		for _, mode := range []string{"seq", "par32"} {
			for _, payload := range []string{"small", "struct10"} {
				name := fmt.Sprintf("%s/%s/%s", tr.name, mode, payload)
				b.Run("wampkit/"+name, func(b *testing.B) { benchWampkit(b, s, tr, mode, payload) })
				b.Run("nexus/"+name, func(b *testing.B) { benchNexus(b, s, tr, mode, payload) })
				b.Run("nexusconv/"+name, func(b *testing.B) { benchNexusConv(b, s, tr, mode, payload) })
				b.Run("wkany/"+name, func(b *testing.B) { benchWampkitAny(b, s, tr, mode, payload) })
				if tr.kind != "inproc" {
					b.Run("xconn/"+name, func(b *testing.B) { benchXconn(b, s, tr, mode, payload) })
					b.Run("floor/"+name, func(b *testing.B) { benchFloor(b, tr, mode, payload) })
					b.Run("routed/"+name, func(b *testing.B) { benchRouted(b, s, tr, mode, payload) })
				}
			}
		}
	}
}

func benchWampkit(b *testing.B, s *server, tr transport, mode, payload string) {
	ctx := context.Background()
	srv, c := wampkitClient(b, s, tr), wampkitClient(b, s, tr)
	var call func() error
	switch payload {
	case "small":
		if _, err := callee.Register(ctx, srv, "bench.small", echoSmall); err != nil {
			b.Fatal(err)
		}
		in := Small{"hello", 42}
		call = func() error {
			out, err := caller.Call[Small](ctx, c, "bench.small", in)
			if err == nil && out != in {
				err = fmt.Errorf("got %+v", out)
			}
			return err
		}
	default:
		if _, err := callee.Register(ctx, srv, "bench.struct", echoStruct); err != nil {
			b.Fatal(err)
		}
		call = func() error {
			out, err := caller.Call[Struct10](ctx, c, "bench.struct", struct10)
			if err == nil && out.Name != struct10.Name {
				err = fmt.Errorf("got %+v", out)
			}
			return err
		}
	}
	run(b, mode, call)
}

// benchWampkitAny is wampkit's untyped API doing what the nexus benchmark
// does: client.Call with the nexus caller's arguments to a client.Register
// handler that echoes them, no typed conversion on either side. Set beside
// benchNexus, it compares the two clients' engines for the same work; set
// beside benchWampkit, it shows what the typed layer costs.
func benchWampkitAny(b *testing.B, s *server, tr transport, mode, payload string) {
	ctx := context.Background()
	srv, c := wampkitClient(b, s, tr), wampkitClient(b, s, tr)
	proc, args := "bench.small", []any{"hello", 42}
	if payload == "struct10" {
		proc, args = "bench.struct", []any{map[string]any(struct10Wire)}
	}
	echo := func(_ context.Context, inv *client.Invocation) (client.Payload, error) {
		return inv.Payload(), nil
	}
	if _, err := srv.Register(ctx, proc, echo, client.RegisterOptions{}); err != nil {
		b.Fatal(err)
	}
	req := client.CallRequest{Procedure: proc, Payload: client.Payload{Args: args}}
	run(b, mode, func() error {
		res, err := c.Call(ctx, req, nil)
		if err == nil && !sameFirst(res.Args, args) {
			err = fmt.Errorf("got %v", res.Args)
		}
		return err
	})
}

// sameFirst reports whether got echoes want's first argument: the string of
// the small payload, the name in the struct's object.
func sameFirst(got, want []any) bool {
	if len(got) != len(want) {
		return false
	}
	if m, ok := want[0].(map[string]any); ok {
		g, ok := got[0].(map[string]any)
		return ok && g["name"] == m["name"]
	}
	return got[0] == want[0]
}

func benchNexus(b *testing.B, s *server, tr transport, mode, payload string) {
	ctx := context.Background()
	srv, c := nexusClient(b, s, tr), nexusClient(b, s, tr)
	proc := "bench.small"
	args, kwargs := wamp.List{"hello", 42}, wamp.Dict(nil)
	if payload == "struct10" {
		proc, args = "bench.struct", wamp.List{struct10Wire}
	}
	if err := srv.Register(proc, nexusEcho, nil); err != nil {
		b.Fatal(err)
	}
	run(b, mode, func() error {
		res, err := c.Call(ctx, proc, nil, args, kwargs, nil)
		if err == nil && len(res.Arguments) != len(args) {
			err = fmt.Errorf("got %v", res.Arguments)
		}
		return err
	})
}

// run calls call b.N times, one after the other or from 32 goroutines.
func run(b *testing.B, mode string, call func() error) {
	if err := call(); err != nil { // warm up, and check the round trip
		b.Fatal(err)
	}
	b.ReportAllocs()
	r0, w0, ok0 := syscallCounts()
	c0, s0, okc0 := cpuUsage()
	b.ResetTimer()
	if mode == "seq" {
		for range b.N {
			if err := call(); err != nil {
				b.Fatal(err)
			}
		}
	} else {
		b.SetParallelism(max(1, 32/runtime.GOMAXPROCS(0))) // 32 callers in all
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := call(); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
	if r1, w1, ok := syscallCounts(); ok && ok0 {
		b.ReportMetric(float64(w1-w0)/float64(b.N), "writes/call")
		b.ReportMetric(float64(r1-r0)/float64(b.N), "reads/call")
	}
	if c1, s1, ok := cpuUsage(); ok && okc0 {
		b.ReportMetric(float64(c1-c0)/float64(b.N), "cpu-µs/call")
		b.ReportMetric(float64(s1-s0)/float64(b.N), "switches/call")
	}
}

// syscallCounts reads the process's read and write system calls so far
// (Linux's /proc/self/io; ok is false elsewhere). The router, both clients
// and the floor's relay are in the process, so a call's count covers all of
// its frames: the floor writes each of its four frames with one call.
func syscallCounts() (reads, writes uint64, ok bool) {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0, 0, false
	}
	var nr, nw int
	for line := range strings.Lines(string(b)) {
		if v, found := strings.CutPrefix(line, "syscr: "); found {
			reads, err = strconv.ParseUint(strings.TrimSpace(v), 10, 64)
			nr++
		} else if v, found := strings.CutPrefix(line, "syscw: "); found {
			writes, err = strconv.ParseUint(strings.TrimSpace(v), 10, 64)
			nw++
		}
		if err != nil {
			return 0, 0, false
		}
	}
	return reads, writes, nr == 1 && nw == 1
}
