package caller_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/callee"
	"github.com/wampkit/wampkit/caller"
	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest"
)

// wideDoc has a field of most kinds the typed encoder writes straight into
// the session's serialization (codec.EncodeDirect).
type wideDoc struct {
	ID     int64             `json:"id"`
	Name   string            `json:"name"`
	Ratio  float32           `json:"ratio"`
	Score  float64           `json:"score"`
	On     bool              `json:"on,omitempty"`
	Blob   []byte            `json:"blob"`
	When   time.Time         `json:"when"`
	Inner  *doc              `json:"inner"`
	Counts map[string]uint16 `json:"counts"`
	List   []doc             `json:"list"`
	Any    any               `json:"any"`
}

var sentWide = wideDoc{ID: -1 << 40, Name: "a\"b<\u2028", Ratio: 0.5, Score: 1e-7, Blob: []byte{0, 1, 255},
	When: time.Date(2026, 12, 1, 12, 0, 0, 5, time.UTC), Inner: &doc{ID: 1, Name: "in", Tags: []string{}},
	Counts: map[string]uint16{"a": 1, "b": 65535}, List: []doc{{ID: 2, Meta: map[string]int{"m": 3}}},
	Any: map[string]any{"k": []any{"x", 1.5, nil}}}

// TestDirectTypedCallsEveryTransport: typed arguments and answers, which
// go over wire transports written straight into the serialization, arrive
// as they were sent, and what a raw callee receives of them is what the
// values give.
func TestDirectTypedCallsEveryTransport(t *testing.T) {
	r := wamptest.NewRouter(t)
	for _, tr := range wamptest.Transports() {
		t.Run(tr.Name, func(t *testing.T) {
			srv, c := r.Connect(t, tr), r.Connect(t, tr)
			ctx := wamptest.Context(t)
			_, err := callee.Register(ctx, srv, "test.wide", func(_ context.Context, in wideDoc) (wideDoc, error) {
				in.ID++
				return in, nil
			})
			require.NoError(t, err)
			got, err := caller.Call[wideDoc](ctx, c, "test.wide", sentWide)
			require.NoError(t, err)
			want := sentWide
			want.ID++
			assert.Equal(t, want, got)

			got, err = caller.Call[wideDoc](ctx, c, "test.wide", &sentWide)
			require.NoError(t, err)
			assert.Equal(t, want, got, "a pointer to the struct")

			seen := make(chan client.Payload, 1)
			raw(t, srv, "test.raw", func(_ context.Context, inv *client.Invocation) (client.Payload, error) {
				seen <- inv.Payload()
				return client.Payload{}, nil
			}, client.RegisterOptions{})
			_, err = caller.Call[any](ctx, c, "test.raw", doc{ID: 7, Name: "n", Tags: []string{"t"}})
			require.NoError(t, err)
			p := <-seen
			require.Len(t, p.Args, 1)
			assert.Nil(t, p.Kwargs)
			m, ok := p.Args[0].(map[string]any)
			require.True(t, ok, "the raw callee got %T", p.Args[0])
			assert.Equal(t, "n", m["name"])
			assert.Equal(t, []any{"t"}, m["tags"])
			assert.Nil(t, m["meta"])
			assert.EqualValues(t, 7, m["id"])
		})
	}
}

// TestDirectPayloadsReachInterceptorsAsValues: interceptors of a typed
// call, and of a typed handler, read the payload as values, never as the
// bytes a direct payload is written in.
func TestDirectPayloadsReachInterceptorsAsValues(t *testing.T) {
	r := wamptest.NewRouter(t)
	for _, tr := range wamptest.Transports() {
		t.Run(tr.Name, func(t *testing.T) {
			args := make(chan string, 2)
			spy := client.InterceptorFuncs{
				Call: func(next client.CallFunc) client.CallFunc {
					return func(ctx context.Context, req *client.CallRequest) (client.CallStream, error) {
						args <- describe(req.Payload)
						return next(ctx, req)
					}
				},
				Invocation: func(next client.InvocationHandler) client.InvocationHandler {
					return func(ctx context.Context, inv *client.Invocation) (client.Payload, error) {
						p, err := next(ctx, inv)
						args <- describe(p)
						return p, err
					}
				},
			}
			ctx := wamptest.Context(t)
			check := func(srv, c *client.Client, uri string, calleeOpts []callee.Option, callOpts []caller.Option) {
				t.Helper()
				_, err := callee.Register(ctx, srv, uri, func(_ context.Context, in doc) (doc, error) { return in, nil }, calleeOpts...)
				require.NoError(t, err)
				got, err := caller.Call[doc](ctx, c, uri, sentDoc, callOpts...)
				require.NoError(t, err)
				assert.Equal(t, sentDoc, got)
				for range 2 {
					assert.Equal(t, "map[meta name tags id]", <-args)
				}
			}
			// Interceptors of the call and of the registration.
			check(r.Connect(t, tr), r.Connect(t, tr), "test.own", []callee.Option{callee.WithInterceptors(spy)},
				[]caller.Option{caller.WithInterceptors(spy)})
			// The clients' own.
			check(r.Connect(t, tr, client.WithInterceptors(spy)), r.Connect(t, tr, client.WithInterceptors(spy)), "test.clients", nil, nil)
		})
	}
}

// describe names the shape of p's one argument: its keys when it is an
// object, else its Go type.
func describe(p client.Payload) string {
	if len(p.Args) != 1 || p.Kwargs != nil {
		return fmt.Sprintf("%d args, kwargs %v", len(p.Args), p.Kwargs)
	}
	m, ok := p.Args[0].(map[string]any)
	if !ok {
		return fmt.Sprintf("%T", p.Args[0])
	}
	keys := []string{"meta", "name", "tags", "id"}
	for _, k := range keys {
		if _, ok := m[k]; !ok || len(m) != len(keys) {
			return fmt.Sprintf("object %v", m)
		}
	}
	return "map[" + strings.Join(keys, " ") + "]"
}

// TestDirectDecodeFallsBackAndKeepsValues: a received object the direct
// decoder declines (keys in another case, an unknown key, a value out of
// range) is decoded by the map path, with its errors; what a typed handler
// finds in its Invocation is values, and a result decoded into a
// client.Payload too.
func TestDirectDecodeFallsBackAndKeepsValues(t *testing.T) {
	r := wamptest.NewRouter(t)
	for _, tr := range wamptest.Transports() {
		t.Run(tr.Name, func(t *testing.T) {
			srv, c := r.Connect(t, tr), r.Connect(t, tr)
			ctx := wamptest.Context(t)
			raw(t, srv, "test.cased", func(context.Context, *client.Invocation) (client.Payload, error) {
				return client.Payload{Args: []any{map[string]any{"NAME": "ann", "id": 3, "extra": true}}}, nil
			}, client.RegisterOptions{})
			got, err := caller.Call[doc](ctx, c, "test.cased", nil)
			require.NoError(t, err)
			assert.Equal(t, doc{ID: 3, Name: "ann"}, got, "a key by another case, an unknown key")

			raw(t, srv, "test.big", func(context.Context, *client.Invocation) (client.Payload, error) {
				return client.Payload{Args: []any{map[string]any{"id": uint64(1) << 63}}}, nil
			}, client.RegisterOptions{})
			_, err = caller.Call[struct {
				ID int32 `json:"id"`
			}](ctx, c, "test.big", nil)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "out of range")

			p, err := caller.Call[client.Payload](ctx, c, "test.cased", nil)
			require.NoError(t, err)
			require.Len(t, p.Args, 1)
			assert.IsType(t, map[string]any{}, p.Args[0], "a client.Payload result holds values")

			inner := make(chan client.Payload, 1)
			_, err = callee.Register(ctx, srv, "test.peek", func(ctx context.Context, in doc) (doc, error) {
				inv, _ := client.InvocationFromContext(ctx)
				inner <- inv.Payload()
				return in, nil
			})
			require.NoError(t, err)
			got, err = caller.Call[doc](ctx, c, "test.peek", sentDoc)
			require.NoError(t, err)
			assert.Equal(t, sentDoc, got)
			p = <-inner
			require.Len(t, p.Args, 1)
			m, ok := p.Args[0].(map[string]any)
			require.True(t, ok, "the handler's Invocation holds %T", p.Args[0])
			assert.Equal(t, "ada", m["name"])

			_, err = callee.Register(ctx, srv, "test.strict", func(_ context.Context, in doc) (doc, error) { return in, nil })
			require.NoError(t, err)
			_, err = caller.Call[doc](ctx, c, "test.strict", map[string]any{"id": "seven"})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "id", "the map path's error names the field")
		})
	}
}

// TestNilClientIsAnError: a typed call on a nil client, whatever its
// arguments, is an error matching ErrInvalidOption, not a panic.
func TestNilClientIsAnError(t *testing.T) {
	ctx := wamptest.Context(t)
	for _, in := range []any{sentDoc, &sentDoc, map[string]any{"a": 1}, nil} {
		_, err := caller.Call[doc](ctx, nil, "test.nil", in)
		assert.ErrorIs(t, err, client.ErrInvalidOption, "%T", in)
	}
}
