package caller_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/callee"
	"github.com/wampkit/wampkit/caller"
	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/handover"
	"github.com/wampkit/wampkit/internal/payload"
	"github.com/wampkit/wampkit/internal/wamptest"
)

// The in-process link hands a typed payload to a typed receiver without
// copying it (internal/handover). These tests run under -race: a receiver
// or an interceptor that modifies what it got must never touch memory the
// sender or another receiver reads, whichever side is typed.

type doc struct {
	ID   int            `json:"id"`
	Name string         `json:"name"`
	Tags []string       `json:"tags"`
	Meta map[string]int `json:"meta"`
}

var sentDoc = doc{Name: "ada", Tags: []string{"a", "b"}, Meta: map[string]int{"x": 1}}

// TestHandoverRawCalleeModifies: a raw callee changes everything it was
// given, answers wamp.error.unavailable the first time, and the typed
// caller's RetrySafe sends the same arguments again: the second attempt
// gets them as the caller sent them.
func TestHandoverRawCalleeModifies(t *testing.T) {
	r := wamptest.NewRouter(t)
	srv, cli := r.Local(t), r.Local(t)
	ctx := wamptest.Context(t)
	var seen sync.Map // doc ID -> attempted once
	raw(t, srv, "test.modify", func(_ context.Context, inv *client.Invocation) (client.Payload, error) {
		p := inv.Payload()
		m := p.Args[0].(map[string]any)
		if got := m["name"]; got != "ada" {
			return client.Payload{}, client.NewError("test.error.changed", "name", got)
		}
		m["name"] = "changed"
		m["tags"].([]any)[0] = "changed"
		m["meta"].(map[string]any)["x"] = int64(99)
		if _, again := seen.LoadOrStore(m["id"], true); !again {
			return client.Payload{}, client.NewError(string(client.ErrUnavailable.URI), "try again")
		}
		return p, nil // the changed copy
	}, client.RegisterOptions{})
	var wg sync.WaitGroup
	var id atomic.Int64
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				in := sentDoc
				in.ID = int(id.Add(1))
				out, err := caller.Call[doc](ctx, cli, "test.modify", in, caller.RetrySafe(2, 0))
				if !assert.NoError(t, err) {
					return
				}
				assert.Equal(t, doc{ID: in.ID, Name: "changed", Tags: []string{"changed", "b"}, Meta: map[string]int{"x": 99}}, out)
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, doc{Name: "ada", Tags: []string{"a", "b"}, Meta: map[string]int{"x": 1}}, sentDoc)
}

// TestHandoverTypedAnyTargets: typed handlers and callers whose types hold
// `any` (which would share what they decode) get values of their own, in
// the canonical types of every transport, and may change them.
func TestHandoverTypedAnyTargets(t *testing.T) {
	r := wamptest.NewRouter(t)
	srv, cli := r.Local(t), r.Local(t)
	ctx := wamptest.Context(t)
	type loose struct {
		V any `json:"v"`
	}
	_, err := callee.Register(ctx, srv, "test.any", func(_ context.Context, in map[string]any) (loose, error) {
		if _, ok := in["v"].(int64); !ok {
			return loose{}, client.NewError("test.error.type", in["v"])
		}
		in["v"] = "changed by the callee" // its own
		return loose{V: []any{7, map[string]any{"k": uint8(1)}}}, nil
	})
	require.NoError(t, err)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				out, err := caller.Call[loose](ctx, cli, "test.any", loose{V: 5})
				if !assert.NoError(t, err) {
					return
				}
				l := out.V.([]any)
				assert.Equal(t, []any{int64(7), map[string]any{"k": int64(1)}}, l)
				l[1].(map[string]any)["k"] = "changed by the caller"
				res, err := caller.Call[client.Payload](ctx, cli, "test.any", loose{V: 5})
				if !assert.NoError(t, err) {
					return
				}
				res.Args[0].(map[string]any)["v"] = "changed by the caller"
			}
		}()
	}
	wg.Wait()
}

// TestHandoverPublishToSeveral: one publication reaches several
// subscribers in the process; each may change what it got.
func TestHandoverPublishToSeveral(t *testing.T) {
	r := wamptest.NewRouter(t)
	ctx := wamptest.Context(t)
	pub := r.Local(t)
	var got sync.WaitGroup
	for range 3 {
		sub := r.Local(t)
		_, err := sub.Subscribe(ctx, "test.topic", func(ev *client.Event) {
			defer got.Done()
			m := ev.Payload.Args[0].(map[string]any)
			m["name"] = "changed"
			m["tags"].([]any)[0] = "changed"
		}, client.SubscribeOptions{})
		require.NoError(t, err)
	}
	for range 10 {
		got.Add(3)
		p := client.Payload{Args: []any{map[string]any{"name": "ada", "tags": []any{"a"}}}}
		_, err := pub.Publish(ctx, "test.topic", p, client.PublishOptions{Acknowledge: true})
		require.NoError(t, err)
	}
	got.Wait()
}

// TestHandoverDetailsAndPayloadCanonical: a typed handler that was handed
// the caller's payload still sees the invocation's Details and Payload in
// the canonical types (the router names the procedure as a wamp.URI in
// process; the caller's encoder sends an int), each a copy of its own.
func TestHandoverDetailsAndPayloadCanonical(t *testing.T) {
	r := wamptest.NewRouter(t)
	srv, cli := r.Local(t), r.Local(t)
	ctx := wamptest.Context(t)
	type seen struct {
		procedure any
		n         any
		in        doc
	}
	got := make(chan seen, 1)
	_, err := callee.Register(ctx, srv, "test.prefix", func(ctx context.Context, in doc) (doc, error) {
		inv, ok := callee.InvocationFrom(ctx)
		if !ok {
			return doc{}, client.NewError("test.error.noinv")
		}
		p := inv.Payload()
		m := p.Args[0].(map[string]any)
		n := m["id"]
		m["name"] = "changed" // its own copy: not what the handler decoded
		got <- seen{procedure: inv.Details()["procedure"], n: n, in: in}
		return in, nil
	}, callee.MatchPrefix())
	require.NoError(t, err)
	in := sentDoc
	in.ID = 7
	out, err := caller.Call[doc](ctx, cli, "test.prefix.x", in)
	require.NoError(t, err)
	s := <-got
	assert.Equal(t, "test.prefix.x", s.procedure)
	assert.Equal(t, int64(7), s.n)
	assert.Equal(t, in, s.in)
	assert.Equal(t, in, out)
}

// resultSpy passes a call's results on and records the type of the "id"
// field of the final one, as an interceptor sees it.
type resultSpy struct {
	client.CallStream
	idType chan string
}

func (s resultSpy) Next(ctx context.Context) (client.Result, error) {
	r, err := s.CallStream.Next(ctx)
	if err == nil && !r.Progress && len(r.Args) == 1 {
		m, _ := r.Args[0].(map[string]any)
		s.idType <- fmt.Sprintf("%T", m["id"])
		m["id"] = "changed by the interceptor" // its own
	}
	return r, err
}

// TestHandoverInterceptorsGetTheirOwn: an interceptor on a typed call sees
// the result as every transport delivers it (canonical types, its own to
// change), not the callee's frozen answer.
func TestHandoverInterceptorsGetTheirOwn(t *testing.T) {
	r := wamptest.NewRouter(t)
	srv, cli := r.Local(t), r.Local(t)
	ctx := wamptest.Context(t)
	_, err := callee.Register(ctx, srv, "test.echo", func(_ context.Context, in doc) (doc, error) { return in, nil })
	require.NoError(t, err)
	idType := make(chan string, 1)
	spy := client.InterceptorFuncs{Call: func(next client.CallFunc) client.CallFunc {
		return func(ctx context.Context, req *client.CallRequest) (client.CallStream, error) {
			s, err := next(ctx, req)
			if err != nil {
				return nil, err
			}
			return resultSpy{CallStream: s, idType: idType}, nil
		}
	}}
	in := sentDoc
	in.ID = 5
	_, err = caller.Call[doc](ctx, cli, "test.echo", in, caller.WithInterceptors(spy))
	require.Error(t, err, "the interceptor changed the id into a string: the typed caller cannot decode it")
	assert.Equal(t, "int64", <-idType)
}

// TestHandoverHedgingInvocationInterceptor: an invocation interceptor that
// runs the typed handler on a goroutine of its own and answers with its
// own payload meanwhile: the handler's frozen mark, set on that goroutine,
// neither races with the answer being sent nor makes the interceptor's
// payload go over as frozen.
func TestHandoverHedgingInvocationInterceptor(t *testing.T) {
	r := wamptest.NewRouter(t)
	srv, cli := r.Local(t), r.Local(t)
	ctx := wamptest.Context(t)
	release, handled := make(chan struct{}), make(chan struct{})
	fallback := map[string]any{"id": int64(7), "name": "fallback", "tags": []any{"f"}, "meta": map[string]any{"x": int64(1)}}
	hedge := client.InterceptorFuncs{Invocation: func(next client.InvocationHandler) client.InvocationHandler {
		return func(ctx context.Context, inv *client.Invocation) (client.Payload, error) {
			go func() { defer close(handled); _, _ = next(ctx, inv) }()
			close(release) // the handler answers now, on its own goroutine
			return client.Payload{Args: []any{fallback}}, nil
		}
	}}
	_, err := callee.Register(ctx, srv, "test.hedged", func(_ context.Context, in doc) (doc, error) {
		<-release
		return in, nil
	}, callee.WithInterceptors(hedge))
	require.NoError(t, err)
	got, err := caller.Call[doc](ctx, cli, "test.hedged", sentDoc)
	require.NoError(t, err)
	<-handled
	assert.Equal(t, "fallback", got.Name)
	fallback["name"] = "changed after the call" // the interceptor's own
	assert.Equal(t, []string{"f"}, got.Tags)
}

// TestHandoverHappens: a typed call to a typed handler in process hands
// both its arguments and the answer over (the other tests here show where
// it must not).
func TestHandoverHappens(t *testing.T) {
	r := wamptest.NewRouter(t)
	srv, cli := r.Local(t), r.Local(t)
	ctx := wamptest.Context(t)
	_, err := callee.Register(ctx, srv, "test.echo", func(_ context.Context, in doc) (doc, error) { return in, nil })
	require.NoError(t, err)
	before := handover.Taken()
	got, err := caller.Call[doc](ctx, cli, "test.echo", sentDoc)
	require.NoError(t, err)
	assert.Equal(t, sentDoc, got)
	assert.GreaterOrEqual(t, handover.Taken()-before, uint64(2), "the arguments and the answer crossed without a copy")
}

// twinDoc is of the plainest kind, whose payload has a twin (internal/payload).
type twinDoc struct {
	ID   int      `json:"id"`
	Name string   `json:"name"`
	Tags []string `json:"tags"`
}

type otherDoc twinDoc

// TestHandoverTwin: a typed call in process of the plainest struct takes,
// on each side, the twin of what the other side encoded instead of decoding
// it (two a call), with the values a decode gives; a receiver of another
// type decodes, and so do both sides of a call through a caller's
// interceptor (which sees the arguments and the result). Under -race, concurrent calls whose callee changes what it got
// share nothing.
func TestHandoverTwin(t *testing.T) {
	r := wamptest.NewRouter(t)
	srv, cli := r.Local(t), r.Local(t)
	ctx := wamptest.Context(t)
	_, err := callee.Register(ctx, srv, "test.twin", func(_ context.Context, in twinDoc) (twinDoc, error) {
		in.Tags[0] = "callee's" // its own
		in.Name += "!"
		return in, nil
	})
	require.NoError(t, err)
	_, err = callee.Register(ctx, srv, "test.other", func(_ context.Context, in otherDoc) (otherDoc, error) {
		return in, nil
	})
	require.NoError(t, err)
	sent := twinDoc{ID: 1, Name: "ada", Tags: []string{"a", "b"}}
	want := twinDoc{ID: 1, Name: "ada!", Tags: []string{"callee's", "b"}}

	before := payload.TwinsTaken()
	for range 5 {
		out, err := caller.Call[twinDoc](ctx, cli, "test.twin", sent)
		require.NoError(t, err)
		assert.Equal(t, want, out)
		out.Tags[1] = "caller's"
	}
	assert.Equal(t, before+10, payload.TwinsTaken(), "a twin each way")
	assert.Equal(t, twinDoc{ID: 1, Name: "ada", Tags: []string{"a", "b"}}, sent)

	before = payload.TwinsTaken()
	out, err := caller.Call[twinDoc](ctx, cli, "test.other", sent)
	require.NoError(t, err)
	assert.Equal(t, sent, out)
	assert.Equal(t, before, payload.TwinsTaken(), "other types decode")

	before = payload.TwinsTaken()
	seen := caller.WithInterceptors(client.InterceptorFuncs{Call: func(next client.CallFunc) client.CallFunc { return next }})
	out, err = caller.Call[twinDoc](ctx, cli, "test.twin", sent, seen)
	require.NoError(t, err)
	assert.Equal(t, want, out)
	assert.Equal(t, before, payload.TwinsTaken(), "an interceptor sees the arguments and the result: both are copied")

	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 20 {
				in := twinDoc{ID: i*100 + j, Name: "ada", Tags: []string{"a", "b"}}
				out, err := caller.Call[twinDoc](ctx, cli, "test.twin", in)
				if !assert.NoError(t, err) {
					return
				}
				assert.Equal(t, twinDoc{ID: in.ID, Name: "ada!", Tags: []string{"callee's", "b"}}, out)
				assert.Equal(t, []string{"a", "b"}, in.Tags)
				out.Tags[1] = "caller's"
			}
		}()
	}
	wg.Wait()
}

// answerStream is a call an interceptor answers in its place.
type answerStream struct{ res client.Result }

func (s answerStream) Next(context.Context) (client.Result, error)   { return s.res, nil }
func (answerStream) Send(context.Context, client.Payload) error      { return nil }
func (answerStream) SendFinal(context.Context, client.Payload) error { return nil }
func (answerStream) Cancel()                                         {}

// TestHandoverTwinNotAfterInterceptor: an interceptor that changes the
// arguments the typed encoder built, in place, and answers with them in
// the call's place, gets back what it made, not a twin of the arguments as
// built (the typed layer makes none for a call an interceptor sees, and
// handover hands none over for arguments that did not cross the link).
func TestHandoverTwinNotAfterInterceptor(t *testing.T) {
	r := wamptest.NewRouter(t)
	cli := r.Local(t)
	ctx := wamptest.Context(t)
	echo := caller.WithInterceptors(client.InterceptorFuncs{Call: func(client.CallFunc) client.CallFunc {
		return func(_ context.Context, req *client.CallRequest) (client.CallStream, error) {
			req.Payload.Args[0].(map[string]any)["name"] = "changed by the interceptor"
			return answerStream{client.Result{Payload: req.Payload}}, nil
		}
	}})
	before := payload.TwinsTaken()
	out, err := caller.Call[twinDoc](ctx, cli, "test.nobody", twinDoc{ID: 1, Name: "ada"}, echo)
	require.NoError(t, err)
	assert.Equal(t, twinDoc{ID: 1, Name: "changed by the interceptor"}, out)
	assert.Equal(t, before, payload.TwinsTaken())
}
