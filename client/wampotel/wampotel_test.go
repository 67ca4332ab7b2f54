package wampotel_test

import (
	"context"
	"errors"
	"iter"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/wampkit/wampkit/callee"
	"github.com/wampkit/wampkit/caller"
	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/client/wampotel"
	"github.com/wampkit/wampkit/client/wamptest"
)

// rig is a reference router with a traced callee and caller sharing one
// in-memory exporter and one manual metric reader.
type rig struct {
	spans  *tracetest.InMemoryExporter
	reader *sdkmetric.ManualReader
	callee *client.Client
	caller *client.Client
}

func newRig(t *testing.T) *rig {
	t.Helper()
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans)) // no goroutine
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() {
		_ = tp.Shutdown(context.Background())
		_ = mp.Shutdown(context.Background())
	})
	otel := client.WithInterceptors(wampotel.NewInterceptor(wampotel.WithTracerProvider(tp), wampotel.WithMeterProvider(mp)))
	r := wamptest.NewRouter(t)
	return &rig{spans: spans, reader: reader, callee: r.Connect(t, otel), caller: r.Connect(t, otel)}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// waitSpans waits until n spans have ended and returns them.
func (r *rig) waitSpans(t *testing.T, n int) tracetest.SpanStubs {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(r.spans.GetSpans()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d spans ended, want %d: %v", len(r.spans.GetSpans()), n, r.spans.GetSpans())
		}
		time.Sleep(5 * time.Millisecond)
	}
	return r.spans.GetSpans()
}

func bySide(t *testing.T, spans tracetest.SpanStubs) (client, server tracetest.SpanStub) {
	t.Helper()
	for _, s := range spans {
		switch s.SpanKind {
		case trace.SpanKindClient:
			client = s
		case trace.SpanKindServer:
			server = s
		}
	}
	if !client.SpanContext.IsValid() || !server.SpanContext.IsValid() {
		t.Fatalf("want a client and a server span, got %v", spans)
	}
	return client, server
}

func attr(s tracetest.SpanStub, key string) attribute.Value {
	for _, a := range s.Attributes {
		if string(a.Key) == key {
			return a.Value
		}
	}
	return attribute.Value{}
}

func TestOneTraceFromCallerToCallee(t *testing.T) {
	r := newRig(t)
	ctx := ctxT(t)
	_, err := callee.Register(ctx, r.callee, "com.example.add", func(ctx context.Context, in [2]int) (int, error) {
		if !trace.SpanContextFromContext(ctx).IsValid() {
			t.Error("the handler's context holds no span")
		}
		return in[0] + in[1], nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if sum, err := caller.Call[int](ctx, r.caller, "com.example.add", [2]int{2, 3}); err != nil || sum != 5 {
		t.Fatalf("got %d, %v", sum, err)
	}
	cs, ss := bySide(t, r.waitSpans(t, 2))
	if ss.SpanContext.TraceID() != cs.SpanContext.TraceID() {
		t.Errorf("the callee's span is in trace %s, the caller's in %s", ss.SpanContext.TraceID(), cs.SpanContext.TraceID())
	}
	if ss.Parent.SpanID() != cs.SpanContext.SpanID() || !ss.Parent.IsRemote() {
		t.Errorf("the callee's span's parent is %v, want the caller's span %s", ss.Parent, cs.SpanContext.SpanID())
	}
	for _, s := range []tracetest.SpanStub{cs, ss} {
		if s.Name != "com.example.add" || attr(s, "rpc.system").AsString() != "wamp" ||
			attr(s, "rpc.method").AsString() != "com.example.add" || s.Status.Code == codes.Error {
			t.Errorf("span %s: attributes %v, status %v", s.Name, s.Attributes, s.Status)
		}
	}
}

func TestErrorsEndSpansWithTheErrorURI(t *testing.T) {
	r := newRig(t)
	ctx := ctxT(t)
	for proc, err := range map[string]error{
		"com.example.refuse": client.NewError("com.example.refused", "no"),
		"com.example.fail":   errors.New("disk full"),
	} {
		if _, err := callee.Register(ctx, r.callee, proc, func(context.Context, int) (int, error) { return 0, err }); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct{ proc, uri string }{
		{"com.example.refuse", "com.example.refused"},
		{"com.example.fail", "wamp.error.runtime_error"},
	} {
		r.spans.Reset()
		if _, err := caller.Call[int](ctx, r.caller, tc.proc, 1); err == nil {
			t.Fatalf("%s: no error", tc.proc)
		}
		cs, ss := bySide(t, r.waitSpans(t, 2))
		for _, s := range []tracetest.SpanStub{cs, ss} {
			if s.Status.Code != codes.Error || attr(s, "error.type").AsString() != tc.uri {
				t.Errorf("%s %v span: status %v, error.type %q, want %s", tc.proc, s.SpanKind, s.Status, attr(s, "error.type").AsString(), tc.uri)
			}
		}
	}
}

// A WAMP error's Args and Kwargs are the application's payload: the span
// status describes the error by its URI, on both sides, and records none of
// it (here a card number and a 100 KB blob).
func TestStatusDescriptionHoldsNoErrorPayload(t *testing.T) {
	r := newRig(t)
	ctx := ctxT(t)
	const card = "4111-1111-1111-1111"
	if _, err := r.callee.Register(ctx, "com.example.login", func(context.Context, *client.Invocation) (client.Payload, error) {
		return client.Payload{}, &client.Error{URI: "com.example.denied", Args: []any{"denied " + card},
			Kwargs: map[string]any{"card": card, "blob": strings.Repeat("x", 100_000)}}
	}, client.RegisterOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.caller.Call(ctx, client.CallRequest{Procedure: "com.example.login"}, nil); err == nil {
		t.Fatal("no error")
	}
	cs, ss := bySide(t, r.waitSpans(t, 2))
	for _, s := range []tracetest.SpanStub{cs, ss} {
		if s.Status.Code != codes.Error || s.Status.Description != "com.example.denied" {
			t.Errorf("%v span: status %v, description (%d bytes) %.80q, want com.example.denied",
				s.SpanKind, s.Status.Code, len(s.Status.Description), s.Status.Description)
		}
	}
}

// A local failure is described by its message, cut at a character boundary
// to a length a tracing backend takes.
func TestLongLocalErrorDescriptionIsCut(t *testing.T) {
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	long := "refused: " + strings.Repeat("é", 10_000)
	refuse := client.InterceptorFuncs{Call: func(client.CallFunc) client.CallFunc {
		return func(context.Context, *client.CallRequest) (client.CallStream, error) { return nil, errors.New(long) }
	}}
	c := wamptest.NewRouter(t).Connect(t, client.WithInterceptors(wampotel.NewInterceptor(wampotel.WithTracerProvider(tp)), refuse))
	if _, err := c.Call(ctxT(t), client.CallRequest{Procedure: "com.example.x"}, nil); err == nil {
		t.Fatal("no error")
	}
	got := spans.GetSpans()
	if len(got) != 1 {
		t.Fatalf("%d spans ended, want 1", len(got))
	}
	d := got[0].Status.Description
	if len(d) > 256 || !utf8.ValidString(d) || !strings.HasPrefix(d, "refused: éé") || !strings.HasPrefix(long, strings.TrimSuffix(d, "…")) {
		t.Errorf("status description (%d bytes) %.80q, want the error's message cut to at most 256 bytes", len(d), d)
	}
}

func TestCanceledCallEndsBothSpans(t *testing.T) {
	r := newRig(t)
	ctx := ctxT(t)
	started := make(chan struct{}, 1)
	if _, err := callee.Register(ctx, r.callee, "com.example.slow", func(ctx context.Context, _ int) (int, error) {
		started <- struct{}{}
		<-ctx.Done() // the router interrupts the invocation
		return 0, ctx.Err()
	}); err != nil {
		t.Fatal(err)
	}
	callCtx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() { _, err := caller.Call[int](callCtx, r.caller, "com.example.slow", 1); errc <- err }()
	<-started
	cancel()
	if err := <-errc; !errors.Is(err, client.ErrCanceled) {
		t.Fatalf("got %v, want canceled", err)
	}
	cs, ss := bySide(t, r.waitSpans(t, 2))
	for _, s := range []tracetest.SpanStub{cs, ss} {
		if s.Status.Code != codes.Error || attr(s, "error.type").AsString() != "wamp.error.canceled" {
			t.Errorf("%v span: status %v, error.type %q", s.SpanKind, s.Status, attr(s, "error.type").AsString())
		}
	}
}

func TestProgressAndStreamedInputAreEvents(t *testing.T) {
	r := newRig(t)
	ctx := ctxT(t)
	if _, err := callee.RegisterProgressive(ctx, r.callee, "com.example.count",
		func(ctx context.Context, n int, progress func(int) error) (int, error) {
			for i := range n {
				if err := progress(i); err != nil {
					return 0, err
				}
			}
			return n, nil
		}); err != nil {
		t.Fatal(err)
	}
	res := caller.Progressive[int, int](ctx, r.caller, "com.example.count", 3)
	for _, err := range res.Progress() {
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := res.Result(); err != nil {
		t.Fatal(err)
	}
	cs, ss := bySide(t, r.waitSpans(t, 2))
	checkEvents(t, cs, "RECEIVED", 3)
	checkEvents(t, ss, "SENT", 3)

	r.spans.Reset()
	if _, err := callee.RegisterStream(ctx, r.callee, "com.example.sum",
		func(ctx context.Context, in iter.Seq2[int, error]) (int, error) {
			sum := 0
			for v, err := range in {
				if err != nil {
					return 0, err
				}
				sum += v
			}
			return sum, nil
		}); err != nil {
		t.Fatal(err)
	}
	s, err := caller.Open[int, int, int](ctx, r.caller, "com.example.sum", 1)
	if err != nil {
		t.Fatal(err)
	}
	for v := 2; v <= 3; v++ {
		if err := s.Send(ctx, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CloseSend(ctx); err != nil {
		t.Fatal(err)
	}
	if sum, err := s.Results().Result(); err != nil || sum != 6 {
		t.Fatalf("got %d, %v", sum, err)
	}
	cs, ss = bySide(t, r.waitSpans(t, 2))
	// The first chunk travels with the CALL; the events are the chunks
	// after it: two Sends and the (empty) closing chunk.
	checkEvents(t, cs, "SENT", 3)
	checkEvents(t, ss, "RECEIVED", 3)
}

// Invocation's methods are safe for concurrent use: a handler may send
// progressive results from several goroutines, and each is one event with
// its own message ID.
func TestProgressFromConcurrentGoroutinesIsCounted(t *testing.T) {
	r := newRig(t)
	ctx := ctxT(t)
	const goroutines, each = 2, 50
	if _, err := r.callee.Register(ctx, "com.example.fan", func(ctx context.Context, inv *client.Invocation) (client.Payload, error) {
		var wg sync.WaitGroup
		for range goroutines {
			wg.Go(func() {
				for i := range each {
					if err := inv.Progress(client.Payload{Args: []any{i}}); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		return client.Payload{Args: []any{"done"}}, nil
	}, client.RegisterOptions{}); err != nil {
		t.Fatal(err)
	}
	received := 0
	if _, err := r.caller.Call(ctx, client.CallRequest{Procedure: "com.example.fan"}, func(client.Result) error {
		received++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if received != goroutines*each {
		t.Fatalf("the caller received %d progressive results, want %d", received, goroutines*each)
	}
	_, ss := bySide(t, r.waitSpans(t, 2))
	checkEvents(t, ss, "SENT", goroutines*each)
	ids := map[int64]bool{}
	for _, e := range ss.Events {
		for _, a := range e.Attributes {
			if a.Key == "rpc.message.id" {
				ids[a.Value.AsInt64()] = true
			}
		}
	}
	for id := int64(1); id <= goroutines*each; id++ {
		if !ids[id] {
			t.Errorf("no SENT event has rpc.message.id %d (ids %v)", id, ids)
			break
		}
	}
}

func checkEvents(t *testing.T, s tracetest.SpanStub, typ string, n int) {
	t.Helper()
	got := 0
	for _, e := range s.Events {
		for _, a := range e.Attributes {
			if a.Key == "rpc.message.type" && a.Value.AsString() == typ {
				got++
			}
		}
	}
	if got != n {
		t.Errorf("%v span: %d %s events, want %d (%v)", s.SpanKind, got, typ, n, s.Events)
	}
}

func TestMetricsByOutcome(t *testing.T) {
	r := newRig(t)
	ctx := ctxT(t)
	if _, err := callee.Register(ctx, r.callee, "com.example.half", func(_ context.Context, n int) (int, error) {
		if n%2 == 1 {
			return 0, client.NewError("com.example.odd")
		}
		return n / 2, nil
	}); err != nil {
		t.Fatal(err)
	}
	for n := range 5 {
		_, _ = caller.Call[int](ctx, r.caller, "com.example.half", n)
	}
	r.waitSpans(t, 10)
	var rm metricdata.ResourceMetrics
	if err := r.reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	for _, side := range []string{"client", "server"} {
		calls := sumByOutcome(t, rm, "rpc."+side+".calls")
		if calls["ok"] != 3 || calls["error"] != 2 {
			t.Errorf("rpc.%s.calls by outcome = %v, want ok 3, error 2", side, calls)
		}
		if active := sumByOutcome(t, rm, "rpc."+side+".active_calls"); active[""] != 0 {
			t.Errorf("rpc.%s.active_calls = %v after every call ended", side, active)
		}
		if n := histogramCount(t, rm, "rpc."+side+".call.duration"); n != 5 {
			t.Errorf("rpc.%s.call.duration counted %d calls, want 5", side, n)
		}
	}
}

func find(t *testing.T, rm metricdata.ResourceMetrics, name string) metricdata.Aggregation {
	t.Helper()
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				return m.Data
			}
		}
	}
	t.Fatalf("no metric %s", name)
	return nil
}

func sumByOutcome(t *testing.T, rm metricdata.ResourceMetrics, name string) map[string]int64 {
	out := map[string]int64{}
	sum, ok := find(t, rm, name).(metricdata.Sum[int64])
	if !ok {
		t.Fatalf("%s is not an int64 sum", name)
	}
	for _, dp := range sum.DataPoints {
		v, _ := dp.Attributes.Value("outcome")
		out[v.AsString()] += dp.Value
	}
	return out
}

func histogramCount(t *testing.T, rm metricdata.ResourceMetrics, name string) uint64 {
	h, ok := find(t, rm, name).(metricdata.Histogram[float64])
	if !ok {
		t.Fatalf("%s is not a float64 histogram", name)
	}
	var n uint64
	for _, dp := range h.DataPoints {
		n += dp.Count
	}
	return n
}

// panicStream is an interceptor's call stream whose method named panics
// panics; its other methods pass on.
type panicStream struct {
	client.CallStream
	panics string
}

func (s panicStream) Next(ctx context.Context) (client.Result, error) {
	if s.panics == "Next" {
		panic("boom in Next")
	}
	return s.CallStream.Next(ctx)
}

func (s panicStream) Send(ctx context.Context, chunk client.Payload) error {
	if s.panics == "Send" {
		panic("boom in Send")
	}
	return s.CallStream.Send(ctx, chunk)
}

// An interceptor after wampotel that panics, as it starts the call or in a
// method of its call stream, fails the call with ErrInterceptorPanic: the
// client span ends with an error, and the call is no longer counted in
// flight.
func TestInnerInterceptorPanicEndsTheCallSpan(t *testing.T) {
	for _, panics := range []string{"start", "Next", "Send"} {
		t.Run(panics, func(t *testing.T) {
			spans := tracetest.NewInMemoryExporter()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
			reader := sdkmetric.NewManualReader()
			mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
			t.Cleanup(func() {
				_ = tp.Shutdown(context.Background())
				_ = mp.Shutdown(context.Background())
			})
			panicky := client.InterceptorFuncs{Call: func(next client.CallFunc) client.CallFunc {
				return func(ctx context.Context, req *client.CallRequest) (client.CallStream, error) {
					if panics == "start" {
						panic("boom at start")
					}
					s, err := next(ctx, req)
					if err != nil {
						return nil, err
					}
					return panicStream{CallStream: s, panics: panics}, nil
				}
			}}
			r := wamptest.NewRouter(t)
			srv := r.Connect(t)
			c := r.Connect(t, client.WithInterceptors(wampotel.NewInterceptor(
				wampotel.WithTracerProvider(tp), wampotel.WithMeterProvider(mp)), panicky))
			ctx := ctxT(t)
			if _, err := callee.Register(ctx, srv, "com.example.x", func(context.Context, struct{}) (int, error) { return 1, nil }); err != nil {
				t.Fatal(err)
			}
			var err error
			switch panics {
			case "Send":
				var p *client.PendingCall
				if p, err = c.StartCall(ctx, client.CallRequest{Procedure: "com.example.x"}); err != nil {
					t.Fatal(err)
				}
				err = p.Send(ctx, client.Payload{Args: []any{1}})
				p.Cancel()
			default:
				_, err = c.Call(ctx, client.CallRequest{Procedure: "com.example.x"}, nil)
			}
			if !errors.Is(err, client.ErrInterceptorPanic) {
				t.Fatalf("got %v, want %v", err, client.ErrInterceptorPanic)
			}
			got := spans.GetSpans()
			if len(got) != 1 {
				t.Fatalf("%d spans ended, want 1: the call's span", len(got))
			}
			if s := got[0]; s.Status.Code != codes.Error || attr(s, "error.type").AsString() != "_OTHER" ||
				!strings.Contains(s.Status.Description, "boom") {
				t.Errorf("the call's span: status %v, error.type %q, want the panic", s.Status, attr(s, "error.type").AsString())
			}
			var rm metricdata.ResourceMetrics
			if err := reader.Collect(ctx, &rm); err != nil {
				t.Fatal(err)
			}
			if active := sumByOutcome(t, rm, "rpc.client.active_calls"); active[""] != 0 {
				t.Errorf("rpc.client.active_calls = %v after the call failed", active)
			}
			if calls := sumByOutcome(t, rm, "rpc.client.calls"); calls["error"] != 1 {
				t.Errorf("rpc.client.calls by outcome = %v, want error 1", calls)
			}
		})
	}
}

// A nil option is skipped (the one rule of wampkit's options): the tracer
// provider given after it is the one used.
func TestNilOptionIsSkipped(t *testing.T) {
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	var none wampotel.Option
	otel := client.WithInterceptors(wampotel.NewInterceptor(none, wampotel.WithTracerProvider(tp), nil))
	r := wamptest.NewRouter(t)
	srv, c := r.Connect(t), r.Connect(t, otel)
	ctx := ctxT(t)
	if _, err := callee.Register(ctx, srv, "com.example.nil", func(context.Context, struct{}) (int, error) { return 1, nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := caller.Call[int](ctx, c, "com.example.nil", nil); err != nil {
		t.Fatal(err)
	}
	if got := spans.GetSpans(); len(got) != 1 || got[0].Name != "com.example.nil" {
		t.Errorf("spans %v, want the call's client span in the given provider", got)
	}
}
