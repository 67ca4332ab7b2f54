package caller_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/caller"
	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest"
)

func TestCallTypedEveryTransport(t *testing.T) {
	r := wamptest.NewRouter(t)
	for _, tr := range wamptest.Transports() {
		t.Run(tr.Name, func(t *testing.T) {
			srv, c := r.Connect(t, tr), r.Connect(t, tr)
			ctx := wamptest.Context(t)
			raw(t, srv, "com.example.add", add, client.RegisterOptions{})
			raw(t, srv, "com.example.user", func(context.Context, *client.Invocation) (client.Payload, error) {
				return client.Payload{Args: []any{map[string]any{"name": "ann", "tags": []any{"a", "b"}, "age": 30}}}, nil
			}, client.RegisterOptions{})
			raw(t, srv, "com.example.kw", func(context.Context, *client.Invocation) (client.Payload, error) {
				return client.Payload{Kwargs: map[string]any{"name": "bob", "age": 7}}, nil
			}, client.RegisterOptions{})

			sum, err := caller.Call[int](ctx, c, "com.example.add", caller.Args(2, 3))
			require.NoError(t, err)
			assert.Equal(t, 5, sum, "positional arguments with Args")

			sum, err = caller.Call[int](ctx, c, "com.example.add", AddIn{4, 5})
			require.NoError(t, err)
			assert.Equal(t, 9, sum, "a struct with positional tags is sent as args")

			u, err := caller.Call[User](ctx, c, "com.example.user", nil)
			require.NoError(t, err)
			assert.Equal(t, User{Name: "ann", Tags: []string{"a", "b"}, Age: 30}, u, "Out takes args[0]")

			u, err = caller.Call[User](ctx, c, "com.example.kw", nil)
			require.NoError(t, err)
			assert.Equal(t, User{Name: "bob", Age: 7}, u, "Out takes the kwargs object when there are no args")

			anyOut, err := caller.Call[any](ctx, c, "com.example.add", caller.Args(1, 1))
			require.NoError(t, err)
			assert.Equal(t, 2, num(anyOut), "Out = any takes args[0]")
		})
	}
}

func TestInputConvention(t *testing.T) {
	r := wamptest.NewRouter(t)
	srv, c := r.WS(t), r.WS(t)
	ctx := wamptest.Context(t)
	got := make(chan client.Payload, 1)
	raw(t, srv, "com.example.record", func(_ context.Context, inv *client.Invocation) (client.Payload, error) {
		got <- inv.Payload()
		return client.Payload{}, nil
	}, client.RegisterOptions{})
	for _, tc := range []struct {
		name     string
		in       any
		args     int // number of positional arguments seen by the callee
		kwargs   bool
		firstArg any
	}{
		{"nil sends nothing", nil, 0, false, nil},
		{"a value is args[0]", "hi", 1, false, "hi"},
		{"a struct is one object", User{Name: "ann"}, 1, false, nil},
		{"Args is positional", caller.Args(1, "x"), 2, false, nil},
		{"Kwargs is keywords", caller.Kwargs(map[string]any{"name": "ann"}), 0, true, nil},
		{"positional tags", AddIn{1, 2}, 2, false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := caller.Call[any](ctx, c, "com.example.record", tc.in)
			require.NoError(t, err)
			p := <-got
			assert.Len(t, p.Args, tc.args)
			assert.Equal(t, tc.kwargs, len(p.Kwargs) > 0)
			if tc.firstArg != nil {
				assert.Equal(t, tc.firstArg, p.Args[0])
			}
		})
	}
}

func TestDecodeFailureNamesPath(t *testing.T) {
	r := wamptest.NewRouter(t)
	srv, c := r.Local(t), r.Local(t)
	ctx := wamptest.Context(t)
	raw(t, srv, "com.example.user", func(context.Context, *client.Invocation) (client.Payload, error) {
		return client.Payload{Args: []any{map[string]any{"name": "ann", "tags": []any{"a", 7}}}}, nil
	}, client.RegisterOptions{})
	_, err := caller.Call[User](ctx, c, "com.example.user", nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "caller: ")
	assert.Contains(t, err.Error(), `"args[0].tags[1]"`)
	assert.Contains(t, err.Error(), "want string")
	assert.False(t, client.IsRemote(err))
}

func TestRawPayloadOut(t *testing.T) {
	r := wamptest.NewRouter(t)
	srv, c := r.WS(t), r.WS(t)
	ctx := wamptest.Context(t)
	raw(t, srv, "com.example.both", func(context.Context, *client.Invocation) (client.Payload, error) {
		return client.Payload{Args: []any{"a", 2}, Kwargs: map[string]any{"k": true}}, nil
	}, client.RegisterOptions{})
	p, err := caller.Call[client.Payload](ctx, c, "com.example.both", nil)
	require.NoError(t, err)
	require.Len(t, p.Args, 2)
	assert.Equal(t, "a", p.Args[0])
	assert.Equal(t, 2, num(p.Args[1]))
	assert.Equal(t, map[string]any{"k": true}, p.Kwargs)
}

func TestProcedureHandle(t *testing.T) {
	r := wamptest.NewRouter(t)
	srv, c := r.Local(t), r.Local(t)
	ctx := wamptest.Context(t)
	details := make(chan map[string]any, 2)
	raw(t, srv, "com.example.add", func(ctx context.Context, inv *client.Invocation) (client.Payload, error) {
		details <- inv.Details()
		return add(ctx, inv)
	}, client.RegisterOptions{ForwardTimeout: true})

	opts := []caller.Option{caller.Timeout(3 * time.Second)}
	sum := caller.New[AddIn, int](c, "com.example.add", opts...)
	opts[0] = nil // the handle keeps its own copy
	assert.Equal(t, "com.example.add", sum.Name())

	got, err := sum.Call(ctx, AddIn{20, 22})
	require.NoError(t, err)
	assert.Equal(t, 42, got)
	assert.Equal(t, 3000, num((<-details)["timeout"]), "the handle's options apply")

	got, err = sum.Call(ctx, AddIn{1, 2}, caller.Timeout(0))
	require.NoError(t, err)
	assert.Equal(t, 3, got)
	assert.Nil(t, (<-details)["timeout"], "a call's options come after the handle's")
}

// A result that does not fit Out gives the zero Out with the error, never
// the part decoded before the failure, which a caller could act on: from
// Call, a Procedure handle and a progressive call's final Result.
func TestDecodeFailureReturnsTheZeroValue(t *testing.T) {
	r := wamptest.NewRouter(t)
	srv, c := r.Local(t), r.Local(t)
	ctx := wamptest.Context(t)
	half := client.Payload{Args: []any{map[string]any{"name": "ann", "age": 30, "tags": []any{"a", 7}}}}
	raw(t, srv, "com.example.half", func(context.Context, *client.Invocation) (client.Payload, error) {
		return half, nil
	}, client.RegisterOptions{})

	u, err := caller.Call[User](ctx, c, "com.example.half", nil)
	require.ErrorContains(t, err, `"args[0].tags[1]"`)
	assert.Zero(t, u, "Call")

	p, err := caller.Call[*User](ctx, c, "com.example.half", nil)
	require.Error(t, err)
	assert.Nil(t, p, "Call with a pointer Out")

	u, err = caller.New[any, User](c, "com.example.half").Call(ctx, nil)
	require.Error(t, err)
	assert.Zero(t, u, "Procedure.Call")

	u, err = caller.Progressive[int, User](ctx, c, "com.example.half", nil).Result()
	require.Error(t, err)
	assert.Zero(t, u, "Progressive Result")
}
