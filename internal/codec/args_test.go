package codec_test

import (
	"reflect"
	"testing"

	"github.com/wampkit/wampkit/internal/codec"
)

type Opt struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// argsCase runs DecodeArgs (or DecodeResult when result is set) into a new
// value of want's type.
type argsCase struct {
	name   string
	args   []any
	kwargs map[string]any
	want   any
	err    string
	opts   []codec.Option
}

func runArgsCases(t *testing.T, result bool, cases []argsCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dst := reflect.New(reflect.TypeOf(tc.want))
			var err error
			if result {
				err = codec.DecodeResult(tc.args, tc.kwargs, dst.Interface(), tc.opts...)
			} else {
				err = codec.DecodeArgs(tc.args, tc.kwargs, dst.Interface(), tc.opts...)
			}
			checkResult(t, err, tc.err, dst.Elem().Interface(), tc.want)
		})
	}
}

func TestDecodeArgs(t *testing.T) {
	kw := map[string]any{"name": "n", "count": uint64(2)}
	runArgsCases(t, false, []argsCase{
		{name: "struct from kwargs", kwargs: kw, want: Opt{Name: "n", Count: 2}},
		{name: "struct from single object", args: []any{kw}, want: Opt{Name: "n", Count: 2}},
		{name: "single object merged, kwargs win", args: []any{map[string]any{"name": "obj", "count": int64(1)}},
			kwargs: map[string]any{"name": "kw"}, want: Opt{Name: "kw", Count: 1}},
		{name: "single map[any]any object", args: []any{map[any]any{"name": "m"}}, want: Opt{Name: "m"}},
		{name: "single non-object into struct", args: []any{"x"}, want: Opt{}, err: `"args[0]": want codec_test.Opt, got "x" (string)`},
		{name: "extra args ignored", args: []any{int64(1), int64(2)}, kwargs: kw, want: Opt{Name: "n", Count: 2}},
		{name: "extra args strict", args: []any{int64(1), int64(2)}, want: Opt{}, opts: []codec.Option{codec.Strict()}, err: "unexpected positional arguments"},
		{name: "no arguments", want: Opt{}},
		{name: "pointer stays nil without arguments", want: (*Opt)(nil)},
		{name: "pointer allocated", kwargs: kw, want: &Opt{Name: "n", Count: 2}},
		{name: "positional fields", args: []any{int64(1), uint64(2)}, kwargs: map[string]any{"note": "hi"}, want: Add{A: 1, B: 2, Note: "hi"}},
		{name: "positional object is not merged", args: []any{map[string]any{"note": "x"}, int64(2)}, want: Add{}, err: `"args[0]": want int`},
		{name: "positional required missing", args: []any{int64(1)}, want: Add{}, err: `codec: decode "args[1]": missing required field, want int`},
		{name: "positional required null", args: []any{int64(1), nil}, want: Add{}, err: "missing required field"},
		{name: "positional extra strict", args: []any{int64(1), int64(2), int64(3)}, want: Add{}, opts: []codec.Option{codec.Strict()}, err: `"args[2]": unexpected extra positional argument`},
		{name: "positional names are not kwargs", args: []any{int64(1), int64(2)}, kwargs: map[string]any{"A": int64(9)}, want: Add{A: 1, B: 2}},
		{name: "positional names unknown when strict", args: []any{int64(1), int64(2)}, kwargs: map[string]any{"A": int64(9)}, want: Add{}, opts: []codec.Option{codec.Strict()}, err: `"A": unknown field of codec_test.Add, got 9 (int64)`},
		{name: "slice takes all args", args: []any{int64(1), uint64(2), 3.0}, want: []int{1, 2, 3}},
		{name: "slice takes a single list", args: []any{[]any{int64(1), int64(2)}}, want: []int{1, 2}},
		{name: "slice of any keeps a single list as one element", args: []any{[]any{int64(1)}}, want: []any{[]any{int64(1)}}},
		{name: "slice error path", args: []any{int64(1), "x"}, want: []int{}, err: `"args[1]": want int`},
		{name: "array takes all args", args: []any{"a", "b"}, want: [2]string{"a", "b"}},
		{name: "slice ignores kwargs", args: []any{"a"}, kwargs: kw, want: []string{"a"}},
		{name: "slice rejects kwargs when strict", args: []any{"a"}, kwargs: kw, want: []string{}, opts: []codec.Option{codec.Strict()}, err: "unexpected keyword arguments"},
		{name: "bytes take args[0]", args: []any{[]byte{1}}, want: []byte{1}},
		{name: "scalar takes args[0]", args: []any{"x", "y"}, want: "x"},
		{name: "scalar absent is zero", kwargs: kw, want: 0},
		{name: "scalar strict extra", args: []any{"x", "y"}, want: "", opts: []codec.Option{codec.Strict()}, err: "unexpected extra positional arguments"},
		{name: "map takes args[0]", args: []any{map[string]any{"a": "b"}}, kwargs: kw, want: map[string]string{"a": "b"}},
		{name: "map takes kwargs without args", kwargs: map[string]any{"a": "b"}, want: map[string]string{"a": "b"}},
		{name: "any takes kwargs without args", kwargs: map[string]any{"a": "b"}, want: any(map[string]any{"a": "b"})},
		{name: "unknown kwargs ignored", kwargs: map[string]any{"name": "n", "zzz": 1}, want: Opt{Name: "n"}},
		{name: "unknown kwargs strict", kwargs: map[string]any{"name": "n", "zzz": int64(1), "aaa": int64(2)}, want: Opt{},
			opts: []codec.Option{codec.Strict()}, err: `codec: decode "aaa": unknown field of codec_test.Opt, got 2 (int64)`},
		{name: "unknown object key strict", args: []any{map[string]any{"nope": true}}, want: Opt{},
			opts: []codec.Option{codec.Strict()}, err: `"nope": unknown field`},
		{name: "fold match is not unknown when strict", kwargs: map[string]any{"NAME": "n"}, want: Opt{Name: "n"}, opts: []codec.Option{codec.Strict()}},
		{name: "missing fields stay zero", kwargs: map[string]any{"count": int64(1)}, want: Opt{Count: 1}},
		{name: "required present", kwargs: map[string]any{"name": "x"}, want: User{Name: "x"}},
		{name: "required null", kwargs: map[string]any{"name": nil}, want: User{}, err: `"name": missing required field`},
		{name: "nested required", kwargs: map[string]any{"name": "x", "friend": map[string]any{}}, want: User{}, err: `"friend.name": missing required field`},
	})
}

func TestDecodeResult(t *testing.T) {
	runArgsCases(t, true, []argsCase{
		{name: "args[0]", args: []any{uint64(5)}, want: 5},
		{name: "args[0] wins over kwargs", args: []any{map[string]any{"name": "a"}}, kwargs: map[string]any{"name": "b"}, want: Opt{Name: "a"}},
		{name: "kwargs object as struct", kwargs: map[string]any{"name": "b"}, want: Opt{Name: "b"}},
		{name: "kwargs object as map", kwargs: map[string]any{"name": "b"}, want: map[string]any{"name": "b"}},
		{name: "nothing is zero", want: Opt{}},
		{name: "list result", args: []any{[]any{int64(1), int64(2)}}, want: []int{1, 2}},
		{name: "extra args ignored", args: []any{"a", "b"}, want: "a"},
		{name: "extra args strict", args: []any{"a", "b"}, want: "", opts: []codec.Option{codec.Strict()}, err: "unexpected extra positional arguments"},
		{name: "lookup null is zero ID", args: []any{nil}, want: ID(0)},
		{name: "ID", args: []any{uint64(1 << 53)}, want: ID(1 << 53)},
		{name: "ids list null", args: []any{nil}, want: []ID(nil)},
	})
}

// hybrid fields take a position or a name: one struct accepts all three
// shapes a caller may send.
type hybridPerson struct {
	Name string `wamp:"name,#0"`
	Age  int    `wamp:"age,#1"`
	Note string `wamp:"note"`
}

func TestDecodeArgsHybridFields(t *testing.T) {
	want := hybridPerson{Name: "ada", Age: 36, Note: "n"}
	for name, in := range map[string]struct {
		args   []any
		kwargs map[string]any
	}{
		"positional":        {[]any{"ada", 36}, map[string]any{"note": "n"}},
		"kwargs":            {nil, map[string]any{"name": "ada", "age": 36, "note": "n"}},
		"positional object": {[]any{map[string]any{"name": "ada", "age": 36, "note": "n"}}, nil},
	} {
		var got hybridPerson
		if err := codec.DecodeArgs(in.args, in.kwargs, &got); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got != want {
			t.Errorf("%s: got %+v, want %+v", name, got, want)
		}
	}
	args, kwargs, err := codec.Encode(want)
	if err != nil {
		t.Fatal(err)
	}
	// Encoded by name, as one object: a caller reading args[0] gets it
	// whole, and a callee decodes it as a positional object.
	if len(args) != 1 || kwargs != nil {
		t.Fatalf("encode: args %v kwargs %v", args, kwargs)
	}
	var back hybridPerson
	if err := codec.DecodeResult(args, kwargs, &back); err != nil || back != want {
		t.Errorf("round trip: %+v, %v", back, err)
	}
}

// A positional struct sent as a result round-trips.
func TestDecodeResultPositionalStruct(t *testing.T) {
	type pair struct {
		S string `wamp:"#0"`
		N int    `wamp:"#1"`
	}
	args, kwargs, err := codec.Encode(pair{"hello", 42})
	if err != nil {
		t.Fatal(err)
	}
	var got pair
	if err := codec.DecodeResult(args, kwargs, &got); err != nil || got != (pair{"hello", 42}) {
		t.Fatalf("got %+v, %v from %v", got, err, args)
	}
}
