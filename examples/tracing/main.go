// Command tracing shows wampkit's OpenTelemetry interceptor
// (client/wampotel): a caller and a callee on a router embedded in the
// process, both traced, so that one trace runs from the caller's own span
// through its calls to the callee's invocations.
//
//	go run ./examples/tracing
//
// Every span is written by OpenTelemetry's stdout exporter (one JSON object
// per span), then the program prints the span tree it recorded.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/wampkit/wampkit/callee"
	"github.com/wampkit/wampkit/caller"
	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/client/wampotel"
	"github.com/wampkit/wampkit/client/wamptest"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := run(ctx, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "tracing:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer) error {
	// Spans go to the stdout exporter and to a recorder for the tree. The
	// syncer exports each span as it ends, with no goroutine of its own.
	exp, err := stdouttrace.New(stdouttrace.WithWriter(out), stdouttrace.WithoutTimestamps())
	if err != nil {
		return err
	}
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithSpanProcessor(rec))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	traced := client.WithInterceptors(wampotel.NewInterceptor(wampotel.WithTracerProvider(tp)))

	// The test kit's router runs in this process (as in the quickstart); it
	// carries the trace context from CALL to INVOCATION. A real program
	// would client.Connect to a router's URL.
	r, err := wamptest.StartRouter()
	if err != nil {
		return err
	}
	defer r.Close()
	service, err := r.Dial(ctx, traced)
	if err != nil {
		return err
	}
	defer service.Close(context.Background())
	user, err := r.Dial(ctx, traced)
	if err != nil {
		return err
	}
	defer user.Close(context.Background())

	if _, err := callee.Register(ctx, service, "com.example.add", func(_ context.Context, in [2]int) (int, error) {
		return in[0] + in[1], nil
	}); err != nil {
		return err
	}
	if _, err := callee.RegisterProgressive(ctx, service, "com.example.countdown",
		func(_ context.Context, n int, progress func(int) error) (string, error) {
			for i := n; i > 0; i-- {
				if err := progress(i); err != nil {
					return "", err
				}
			}
			return "liftoff", nil
		}); err != nil {
		return err
	}

	// The caller's own span: the calls made under it are its children.
	ctx, span := tp.Tracer("examples/tracing").Start(ctx, "checkout")
	sum, err := caller.Call[int](ctx, user, "com.example.add", [2]int{2, 3})
	if err != nil {
		span.End()
		return err
	}
	res := caller.Progressive[int, string](ctx, user, "com.example.countdown", 3)
	for _, err := range res.Progress() {
		if err != nil {
			span.End()
			return err
		}
	}
	final, err := res.Result()
	span.End()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "== add(2, 3) = %d; countdown(3) = %q\n", sum, final)

	// The callee's spans end when its handlers return, which may be just
	// after the caller has its result.
	deadline := time.Now().Add(5 * time.Second)
	for len(rec.Ended()) < 5 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	fmt.Fprintln(out, "== span tree")
	printTree(out, rec.Ended())
	return nil
}

// printTree prints spans indented under their parents, each with its kind,
// its events and whether it shares the root's trace.
func printTree(out io.Writer, spans []sdktrace.ReadOnlySpan) {
	children := map[string][]sdktrace.ReadOnlySpan{}
	var roots []sdktrace.ReadOnlySpan
	for _, s := range spans {
		if s.Parent().IsValid() {
			children[s.Parent().SpanID().String()] = append(children[s.Parent().SpanID().String()], s)
		} else {
			roots = append(roots, s)
		}
	}
	var walk func(s sdktrace.ReadOnlySpan, depth int)
	walk = func(s sdktrace.ReadOnlySpan, depth int) {
		line := fmt.Sprintf("%s%s [%s]", strings.Repeat("  ", depth), s.Name(), s.SpanKind())
		if n := len(s.Events()); n > 0 {
			line += fmt.Sprintf(" %d progress events", n)
		}
		fmt.Fprintln(out, line)
		kids := children[s.SpanContext().SpanID().String()]
		sort.Slice(kids, func(i, j int) bool { return kids[i].StartTime().Before(kids[j].StartTime()) })
		for _, k := range kids {
			walk(k, depth+1)
		}
	}
	for _, r := range roots {
		fmt.Fprintf(out, "trace %s\n", r.SpanContext().TraceID())
		walk(r, 1)
	}
}
