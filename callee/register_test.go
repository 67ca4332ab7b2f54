package callee_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/wampkit/wampkit/callee"
	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest"
)

// person takes positional arguments, keyword arguments or a single
// positional object: its fields have both a name and a position.
type person struct {
	Name string `wamp:"name,#0"`
	Age  int    `wamp:"age,#1"`
}

// personArgs takes positional arguments.
type personArgs struct {
	Name string `wamp:"#0"`
	Age  int    `wamp:"#1"`
}

func describePerson(_ context.Context, p person) (string, error) {
	return fmt.Sprintf("%s is %d", p.Name, p.Age), nil
}

func TestInputShapes(t *testing.T) {
	r := wamptest.NewRouter(t)
	for _, tr := range wamptest.Transports() {
		t.Run(tr.Name, func(t *testing.T) {
			ctx := wamptest.Context(t)
			c := r.Connect(t, tr)
			_, err := callee.Register(ctx, c, "com.example.person", describePerson)
			if err != nil {
				t.Fatal(err)
			}
			_, err = callee.Register(ctx, c, "com.example.person.args", func(ctx context.Context, p personArgs) (string, error) {
				return describePerson(ctx, person(p))
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, tc := range []struct {
				name   string
				proc   string
				args   []any
				kwargs map[string]any
			}{
				{"kwargs", "com.example.person", nil, map[string]any{"name": "Ann", "age": 30}},
				{"positional object", "com.example.person", []any{map[string]any{"name": "Ann", "age": 30}}, nil},
				{"object and kwargs merge", "com.example.person", []any{map[string]any{"name": "Ann"}}, map[string]any{"age": 30}},
				{"age as float", "com.example.person", nil, map[string]any{"name": "Ann", "age": 30.0}},
				{"positional args", "com.example.person", []any{"Ann", 30}, nil},
				{"positional args, positional-only struct", "com.example.person.args", []any{"Ann", 30}, nil},
			} {
				t.Run(tc.name, func(t *testing.T) {
					res, err := call(t, c, tc.proc, tc.args, tc.kwargs)
					if err != nil {
						t.Fatal(err)
					}
					if want := []any{"Ann is 30"}; !reflect.DeepEqual(res.Args, want) {
						t.Errorf("args %#v, want %#v", res.Args, want)
					}
				})
			}
		})
	}
}

func TestInvalidArgument(t *testing.T) {
	r := wamptest.NewRouter(t)
	c := r.Local(t)
	ctx := wamptest.Context(t)
	mustRegister(t)(callee.Register(ctx, c, "com.example.person", describePerson))
	mustRegister(t)(callee.Register(ctx, c, "com.example.strict", describePerson, callee.Strict()))
	mustRegister(t)(callee.Register(ctx, c, "com.example.args", func(ctx context.Context, p personArgs) (string, error) {
		return describePerson(ctx, person(p))
	}))
	for _, tc := range []struct {
		name    string
		proc    string
		args    []any
		kwargs  map[string]any
		message string
		path    string
	}{
		{"wrong kwarg type", "com.example.person", nil, map[string]any{"name": "Ann", "age": "x"},
			`callee: decode argument "age": want int, got "x" (string)`, "age"},
		{"wrong positional type", "com.example.args", []any{"Ann", "x"}, nil,
			`callee: decode argument "args[1]": want int, got "x" (string)`, "args[1]"},
		{"fraction into int", "com.example.person", nil, map[string]any{"age": 1.5},
			`callee: decode argument "age": want int, got 1.5 (float64): has a fractional part`, "age"},
		{"strict unknown kwarg", "com.example.strict", nil, map[string]any{"name": "Ann", "extra": true},
			`callee: decode argument "extra": unknown field of callee_test.person, got true (bool)`, "extra"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := call(t, c, tc.proc, tc.args, tc.kwargs)
			e := remoteError(t, err, "wamp.error.invalid_argument")
			if e.Message() != tc.message {
				t.Errorf("message %q, want %q", e.Message(), tc.message)
			}
			if e.Kwargs["path"] != tc.path {
				t.Errorf("kwargs %v: path, want %q", e.Kwargs, tc.path)
			}
		})
	}
	// Lenient decoding ignores what Strict refuses.
	res, err := call(t, c, "com.example.person", nil, map[string]any{"name": "Ann", "age": 3, "extra": true})
	if err != nil || !reflect.DeepEqual(res.Args, []any{"Ann is 3"}) {
		t.Errorf("lenient call: %v, %v", res.Args, err)
	}
}

func TestHandlerErrors(t *testing.T) {
	r := wamptest.NewRouter(t)
	c := r.Local(t)
	ctx := wamptest.Context(t)
	custom := client.NewError("com.example.error.no_luck", "try again")
	mustRegister(t)(callee.Register(ctx, c, "com.example.fail", func(_ context.Context, mode string) (int, error) {
		switch mode {
		case "panic":
			panic("boom")
		case "plain":
			return 0, errors.New("disk full")
		case "custom":
			return 0, custom
		case "wrapped":
			return 0, fmt.Errorf("lookup: %w", custom)
		}
		return 42, nil
	}))
	for _, tc := range []struct {
		mode, uri, message string
	}{
		{"panic", "wamp.error.runtime_error", "handler panicked: boom"},
		{"plain", "wamp.error.runtime_error", "disk full"},
		{"custom", "com.example.error.no_luck", "try again"},
		{"wrapped", "com.example.error.no_luck", "try again"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			_, err := call(t, c, "com.example.fail", []any{tc.mode}, nil)
			if e := remoteError(t, err, tc.uri); e.Message() != tc.message {
				t.Errorf("message %q, want %q", e.Message(), tc.message)
			}
			// The callee keeps serving.
			if res := mustCall(t, c, "com.example.fail", "ok"); !reflect.DeepEqual(res.Args, []any{int64(42)}) {
				t.Errorf("next call: args %v, want [42]", res.Args)
			}
		})
	}
}

func TestResultConvention(t *testing.T) {
	r := wamptest.NewRouter(t)
	c := r.Local(t)
	ctx := wamptest.Context(t)
	mustRegister(t)(callee.Register(ctx, c, "com.example.result", func(_ context.Context, kind string) (any, error) {
		switch kind {
		case "nil":
			return nil, nil
		case "payload":
			return client.Payload{Args: []any{1, 2}, Kwargs: map[string]any{"k": "v"}}, nil
		case "struct":
			return person{Name: "Ann", Age: 30}, nil
		case "list":
			return []int{1, 2}, nil
		}
		return 7, nil
	}))
	for _, tc := range []struct {
		kind   string
		args   []any
		kwargs map[string]any
	}{
		{"nil", nil, nil},
		{"payload", []any{1, 2}, map[string]any{"k": "v"}},
		{"struct", []any{map[string]any{"name": "Ann", "age": 30}}, nil},
		{"list", []any{[]any{1, 2}}, nil},
		{"int", []any{7}, nil},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			res := mustCall(t, c, "com.example.result", tc.kind)
			if len(res.Args) != len(tc.args) || (len(tc.args) > 0 && fmt.Sprint(res.Args) != fmt.Sprint(tc.args)) {
				t.Errorf("args %#v, want %#v", res.Args, tc.args)
			}
			if fmt.Sprint(res.Kwargs) != fmt.Sprint(tc.kwargs) && len(res.Kwargs)+len(tc.kwargs) > 0 {
				t.Errorf("kwargs %#v, want %#v", res.Kwargs, tc.kwargs)
			}
		})
	}
}

func TestNoArguments(t *testing.T) {
	r := wamptest.NewRouter(t)
	c := r.Local(t)
	ctx := wamptest.Context(t)
	mustRegister(t)(callee.Register(ctx, c, "com.example.ping", func(_ context.Context, _ struct{}) (string, error) {
		return "pong", nil
	}))
	if res := mustCall(t, c, "com.example.ping"); !reflect.DeepEqual(res.Args, []any{"pong"}) {
		t.Errorf("args %v, want [pong]", res.Args)
	}
}

// mustRegister fails the test when a Register call fails:
// mustRegister(t)(callee.Register(...)).
func mustRegister(t *testing.T) func(*callee.Registration, error) *callee.Registration {
	return func(reg *callee.Registration, err error) *callee.Registration {
		t.Helper()
		if err != nil {
			t.Fatalf("register: %v", err)
		}
		return reg
	}
}
