package wampotel

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/wampkit/wampkit/client"
)

// ScopeName is the instrumentation scope of the tracer and the meter.
const ScopeName = "github.com/wampkit/wampkit/client/wampotel"

// Option configures NewInterceptor. A nil Option is ignored (the rule of
// every wampkit package, see [client.Option]).
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	tp   trace.TracerProvider
	mp   metric.MeterProvider
	prop propagation.TextMapPropagator
}

// WithTracerProvider sets the tracer provider (default: the global one,
// otel.GetTracerProvider()). A nil tp keeps the default.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return optionFunc(func(c *config) {
		if tp != nil {
			c.tp = tp
		}
	})
}

// WithMeterProvider sets the meter provider (default: the global one,
// otel.GetMeterProvider()). A nil mp keeps the default.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return optionFunc(func(c *config) {
		if mp != nil {
			c.mp = mp
		}
	})
}

// WithPropagator sets how trace context travels in CALL Options and
// INVOCATION Details (default: W3C Trace Context,
// propagation.TraceContext{}; baggage is not sent unless a propagator that
// carries it is given). A nil p keeps the default.
func WithPropagator(p propagation.TextMapPropagator) Option {
	return optionFunc(func(c *config) {
		if p != nil {
			c.prop = p
		}
	})
}

// NewInterceptor returns an interceptor that traces and measures calls and
// invocations (see the package documentation).
func NewInterceptor(opts ...Option) client.Interceptor {
	cfg := config{tp: otel.GetTracerProvider(), mp: otel.GetMeterProvider(), prop: propagation.TraceContext{}}
	for _, o := range opts {
		if o != nil {
			o.apply(&cfg)
		}
	}
	return &interceptor{
		tracer: cfg.tp.Tracer(ScopeName),
		prop:   cfg.prop,
		client: newInstruments(cfg.mp.Meter(ScopeName), "client"),
		server: newInstruments(cfg.mp.Meter(ScopeName), "server"),
	}
}

type interceptor struct {
	tracer trace.Tracer
	prop   propagation.TextMapPropagator
	client instruments
	server instruments
}

// instruments are the metrics of one side.
type instruments struct {
	duration metric.Float64Histogram
	calls    metric.Int64Counter
	active   metric.Int64UpDownCounter
}

func newInstruments(m metric.Meter, side string) instruments {
	var in instruments
	var err error
	if in.duration, err = m.Float64Histogram("rpc."+side+".call.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of WAMP "+callsOf(side)+".")); err != nil {
		otel.Handle(err)
	}
	if in.calls, err = m.Int64Counter("rpc."+side+".calls", metric.WithUnit("{call}"),
		metric.WithDescription("WAMP "+callsOf(side)+" ended, by outcome.")); err != nil {
		otel.Handle(err)
	}
	if in.active, err = m.Int64UpDownCounter("rpc."+side+".active_calls", metric.WithUnit("{call}"),
		metric.WithDescription("WAMP "+callsOf(side)+" in flight.")); err != nil {
		otel.Handle(err)
	}
	return in
}

func callsOf(side string) string {
	if side == "client" {
		return "calls made"
	}
	return "invocations answered"
}

// Attribute keys (RPC semantic conventions, and error.type).
var (
	keySystem      = attribute.Key("rpc.system")
	keyMethod      = attribute.Key("rpc.method")
	keyErrorType   = attribute.Key("error.type")
	keyOutcome     = attribute.Key("outcome")
	keyMessageType = attribute.Key("rpc.message.type")
	keyMessageID   = attribute.Key("rpc.message.id")
	systemWAMP     = keySystem.String("wamp")
)

// Outcomes of a call or an invocation.
const (
	outcomeOK       = "ok"
	outcomeError    = "error"
	outcomeCanceled = "canceled"
)

// classify returns the outcome of err and its error.type ("" for none).
func classify(err error) (outcome, errType string) {
	if err == nil {
		return outcomeOK, ""
	}
	canceled := errors.Is(err, client.ErrCanceled) || errors.Is(err, context.Canceled)
	var werr *client.Error
	switch {
	case errors.As(err, &werr):
		errType = werr.URI
	case canceled:
		errType = client.ErrCanceled.URI
	default:
		errType = "_OTHER"
	}
	if canceled {
		return outcomeCanceled, errType
	}
	return outcomeError, errType
}

// maxDescription bounds a span status description, in bytes.
const maxDescription = 256

// describe returns the status description of a failed call or invocation.
// A WAMP error is described by its URI alone: its Args and Kwargs are the
// application's payload, of any size and content, not for the tracing
// backend. Any other error is described by its text, cut to
// maxDescription bytes at a UTF-8 boundary.
func describe(err error) string {
	var werr *client.Error
	if errors.As(err, &werr) {
		return werr.URI
	}
	s := err.Error()
	if len(s) <= maxDescription {
		return s
	}
	const ellipsis = "…"
	cut := maxDescription - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ellipsis
}

// carrier adapts a CALL's Options or an INVOCATION's Details to a
// propagation.TextMapCarrier, under keys the WAMP spec leaves to
// implementations: "_" + the propagation key lower-cased, with characters
// outside [a-z0-9_] replaced by "_" ("traceparent" is "_traceparent").
type carrier map[string]any

func wireKey(key string) string {
	b := make([]byte, 0, len(key)+1)
	b = append(b, '_')
	for _, r := range strings.ToLower(key) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' {
			b = append(b, byte(r))
		} else {
			b = append(b, '_')
		}
	}
	return string(b)
}

func (c carrier) Get(key string) string {
	s, _ := c[wireKey(key)].(string)
	return s
}

func (c carrier) Set(key, value string) { c[wireKey(key)] = value }

func (c carrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k, v := range c {
		if _, ok := v.(string); ok && len(k) > 1 && k[0] == '_' {
			keys = append(keys, k[1:])
		}
	}
	return keys
}
