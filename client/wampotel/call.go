package wampotel

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/wampkit/wampkit/client"
)

// WrapCall implements client.Interceptor: a client span per call, trace
// context in the CALL's options (CallRequest.Extra).
func (i *interceptor) WrapCall(next client.CallFunc) client.CallFunc {
	return func(ctx context.Context, req *client.CallRequest) (client.CallStream, error) {
		method := keyMethod.String(req.Procedure)
		ctx, span := i.tracer.Start(ctx, req.Procedure, trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(systemWAMP, method))
		if req.Extra == nil {
			req.Extra = make(map[string]any, 2)
		}
		i.prop.Inject(ctx, carrier(req.Extra)) // the request's own copy
		m := &measure{span: span, inst: &i.client, attrs: []attribute.KeyValue{systemWAMP, method}, start: time.Now()}
		m.begin(ctx)
		defer m.endOnPanic()
		s, err := next(ctx, req)
		if err != nil {
			m.end(err)
			return nil, err
		}
		return &callStream{next: s, m: m}, nil
	}
}

// callStream observes one call in flight.
type callStream struct {
	next     client.CallStream
	m        *measure
	received atomic.Int64
	sent     atomic.Int64
}

func (s *callStream) Next(ctx context.Context) (client.Result, error) {
	defer s.m.endOnPanic()
	r, err := s.next.Next(ctx)
	switch {
	case err != nil:
		s.m.end(err)
	case r.Progress:
		s.m.span.AddEvent("rpc.message", trace.WithAttributes(keyMessageType.String("RECEIVED"),
			keyMessageID.Int64(s.received.Add(1))))
	default:
		s.m.end(nil)
	}
	return r, err
}

func (s *callStream) Send(ctx context.Context, chunk client.Payload) error {
	defer s.m.endOnPanic()
	err := s.next.Send(ctx, chunk)
	s.sentEvent(err)
	return err
}

func (s *callStream) SendFinal(ctx context.Context, chunk client.Payload) error {
	defer s.m.endOnPanic()
	err := s.next.SendFinal(ctx, chunk)
	s.sentEvent(err)
	return err
}

func (s *callStream) sentEvent(err error) {
	if err != nil {
		return // the call's end tells why
	}
	s.m.span.AddEvent("rpc.message", trace.WithAttributes(keyMessageType.String("SENT"),
		keyMessageID.Int64(s.sent.Add(1))))
}

// Cancel ends the span: the caller may read nothing more.
func (s *callStream) Cancel() {
	defer s.m.endOnPanic()
	s.next.Cancel()
	s.m.end(client.ErrCanceled)
}

// measure is one call's or invocation's span and metrics, ended once.
type measure struct {
	span  trace.Span
	inst  *instruments
	attrs []attribute.KeyValue // rpc.system, rpc.method
	start time.Time
	once  sync.Once
}

func (m *measure) begin(ctx context.Context) {
	if m.inst.active != nil {
		m.inst.active.Add(ctx, 1, metric.WithAttributes(m.attrs...))
	}
}

// endOnPanic, deferred around a call into the interceptors and stream
// wampotel wraps, ends the call with an error if they panic, and panics on:
// the client recovers the panic further out and fails the call with
// client.ErrInterceptorPanic, past the point where wampotel could see it.
func (m *measure) endOnPanic() {
	if r := recover(); r != nil {
		m.end(fmt.Errorf("%w: %v", client.ErrInterceptorPanic, r))
		panic(r)
	}
}

// end records err (nil for success) once, whichever of the call's ends
// comes first.
func (m *measure) end(err error) {
	m.once.Do(func() {
		outcome, errType := classify(err)
		if err != nil {
			m.span.SetAttributes(keyErrorType.String(errType))
			m.span.SetStatus(codes.Error, describe(err))
		}
		m.span.End()
		// Metrics are recorded without the span's context: exemplars are
		// not needed, and the call's ctx may have ended.
		ctx := context.Background()
		set := metric.WithAttributes(m.attrs...)
		if m.inst.active != nil {
			m.inst.active.Add(ctx, -1, set)
		}
		attrs := append(m.attrs[:len(m.attrs):len(m.attrs)], keyOutcome.String(outcome))
		if m.inst.calls != nil {
			m.inst.calls.Add(ctx, 1, metric.WithAttributes(attrs...))
		}
		if errType != "" {
			attrs = append(attrs, keyErrorType.String(errType))
		}
		if m.inst.duration != nil {
			m.inst.duration.Record(ctx, time.Since(m.start).Seconds(), metric.WithAttributes(attrs...))
		}
	})
}
