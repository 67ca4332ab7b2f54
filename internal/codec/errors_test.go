package codec_test

import (
	"errors"
	"testing"

	"github.com/wampkit/wampkit/internal/codec"
)

func TestDecodeErrorPaths(t *testing.T) {
	type In struct {
		User User `json:"user"`
	}
	tests := []struct {
		name                string
		run                 func() error
		path, want, message string
		got                 any
	}{
		{
			name: "nested slice element",
			run: func() error {
				var in In
				return codec.DecodeArgs(nil, map[string]any{"user": map[string]any{"name": "a", "tags": []any{uint64(1), uint64(2), "x"}}}, &in)
			},
			path: "user.tags[2]", want: "int", got: "x",
			message: `codec: decode "user.tags[2]": want int, got "x" (string)`,
		},
		{
			name: "positional argument",
			run: func() error {
				var in Add
				return codec.DecodeArgs([]any{uint64(1), "two"}, nil, &in)
			},
			path: "args[1]", want: "int", got: "two",
			message: `codec: decode "args[1]": want int, got "two" (string)`,
		},
		{
			name: "result args[0] field",
			run: func() error {
				var out User
				return codec.DecodeResult([]any{map[string]any{"name": "a", "age": uint64(300)}}, nil, &out)
			},
			path: "args[0].age", want: "int8", got: uint64(300),
			message: `codec: decode "args[0].age": want int8, got 300 (uint64): out of range`,
		},
		{
			name: "map value",
			run: func() error {
				var out map[string][]bool
				return codec.DecodeValue(map[string]any{"k": []any{true, 1.5}}, &out)
			},
			path: "k[1]", want: "bool", got: 1.5,
			message: `codec: decode "k[1]": want bool, got 1.5 (float64)`,
		},
		{
			name: "missing required",
			run: func() error {
				var u User
				return codec.DecodeArgs(nil, map[string]any{"age": uint64(3)}, &u)
			},
			path: "name", want: "string",
			message: `codec: decode "name": missing required field, want string`,
		},
		{
			name: "root value",
			run: func() error {
				var n int
				return codec.DecodeValue("x", &n)
			},
			want: "int", got: "x", message: `codec: decode: want int, got "x" (string)`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run()
			var de *codec.DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("err = %v (%T), want *DecodeError", err, err)
			}
			if de.Path != tc.path || de.Want != tc.want || de.Got != tc.got {
				t.Errorf("Path, Want, Got = %q, %q, %#v; want %q, %q, %#v", de.Path, de.Want, de.Got, tc.path, tc.want, tc.got)
			}
			if err.Error() != tc.message {
				t.Errorf("Error() = %s\nwant      %s", err, tc.message)
			}
		})
	}
}

func TestBadDestination(t *testing.T) {
	var n int
	for name, err := range map[string]error{
		"DecodeValue non-pointer": codec.DecodeValue(1, n),
		"DecodeArgs nil pointer":  codec.DecodeArgs(nil, nil, (*int)(nil)),
		"DecodeResult nil":        codec.DecodeResult(nil, nil, nil),
		"duplicate position": codec.DecodeArgs(nil, nil, &struct {
			A, B int `wamp:"#0"`
		}{}),
		"bad position": codec.DecodeValue(nil, &struct {
			A int `wamp:"#x"`
		}{}),
		"unsupported type": codec.DecodeValue(1, new(chan int)),
	} {
		var de *codec.DecodeError
		if !errors.As(err, &de) {
			t.Errorf("%s: err = %v, want *DecodeError", name, err)
		}
	}
}

// refusing fails both ways: MarshalText and UnmarshalText return an error.
type refusing struct{}

func (refusing) MarshalText() ([]byte, error)  { return nil, errors.New("refused") }
func (*refusing) UnmarshalText(_ []byte) error { return errors.New("refused") }

// An error in a positional field names its position, args[n], whether it
// happens encoding or decoding, so a user reads the same place both ways.
func TestPositionalFieldErrorsNameTheSamePathBothWays(t *testing.T) {
	type pair struct {
		A int      `wamp:"#0"`
		B refusing `wamp:"#1"`
	}
	_, _, err := codec.Encode(pair{A: 1})
	var ee *codec.EncodeError
	if !errors.As(err, &ee) {
		t.Fatalf("Encode err = %v (%T), want *EncodeError", err, err)
	}
	err = codec.DecodeArgs([]any{uint64(1), "x"}, nil, &pair{})
	var de *codec.DecodeError
	if !errors.As(err, &de) {
		t.Fatalf("DecodeArgs err = %v (%T), want *DecodeError", err, err)
	}
	if ee.Path != "args[1]" || de.Path != "args[1]" {
		t.Errorf("encode path %q, decode path %q; want both \"args[1]\"", ee.Path, de.Path)
	}
	if want := `codec: encode "args[1]": codec_test.refusing: MarshalText: refused`; ee.Error() != want {
		t.Errorf("Encode error = %s\nwant           %s", ee, want)
	}
}
