package wampotel

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/wampkit/wampkit/client"
)

// WrapInvocation implements client.Interceptor: a server span per
// invocation, a child of the caller's span when the INVOCATION's Details
// carry its trace context, else the root of a new trace.
func (i *interceptor) WrapInvocation(next client.InvocationHandler) client.InvocationHandler {
	return func(ctx context.Context, inv *client.Invocation) (p client.Payload, err error) {
		method := keyMethod.String(inv.Procedure())
		opts := []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(systemWAMP, method)}
		if details := inv.Details(); len(details) > 0 {
			ctx = i.prop.Extract(ctx, carrier(details))
		}
		if !trace.SpanContextFromContext(ctx).IsRemote() {
			// No trace context came with the invocation: a span the
			// application's base context may hold is not the caller's.
			opts = append(opts, trace.WithNewRoot())
		}
		ctx, span := i.tracer.Start(ctx, inv.Procedure(), opts...)
		m := &measure{span: span, inst: &i.server, attrs: []attribute.KeyValue{systemWAMP, method}, start: time.Now()}
		m.begin(ctx)
		// The hooks run on whichever goroutines call Progress and
		// NextInput, which may be several at once.
		var sent, received atomic.Int64
		inv.OnProgress(func(_ client.Payload, err error) {
			if err == nil {
				span.AddEvent("rpc.message", trace.WithAttributes(keyMessageType.String("SENT"), keyMessageID.Int64(sent.Add(1))))
			}
		})
		inv.OnInput(func(_ client.Payload, ok bool, err error) {
			if ok && err == nil {
				span.AddEvent("rpc.message", trace.WithAttributes(keyMessageType.String("RECEIVED"), keyMessageID.Int64(received.Add(1))))
			}
		})
		defer func() {
			if r := recover(); r != nil {
				// The client answers the panic as it answers any: the
				// caller receives wamp.error.runtime_error.
				m.end(client.ErrRuntimeError)
				panic(r)
			}
			m.end(answered(ctx, err))
		}()
		return next(ctx, inv)
	}
}

// answered is the error as the caller receives it: a *client.Error as is,
// the end of the invocation as canceled, anything else as runtime_error.
func answered(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if _, _, ok := asWAMP(err); ok {
		return err
	}
	if ctx.Err() != nil {
		return fmt.Errorf("%w: %w", client.ErrCanceled, err)
	}
	return fmt.Errorf("%w: %w", client.ErrRuntimeError, err)
}

func asWAMP(err error) (*client.Error, string, bool) {
	var werr *client.Error
	if ok := errors.As(err, &werr); ok {
		return werr, werr.URI, true
	}
	return nil, "", false
}
