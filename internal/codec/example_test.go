package codec_test

import (
	"errors"
	"fmt"

	"github.com/wampkit/wampkit/internal/codec"
)

func Example() {
	type Add struct {
		A    int    `wamp:"#0"`
		B    int    `wamp:"#1"`
		Note string `json:"note,omitempty"`
	}
	args, kwargs, _ := codec.Encode(Add{A: 1, B: 2, Note: "hi"})
	fmt.Println(args, kwargs)

	// What a JSON peer sends: non-negative integers arrive as uint64.
	var in Add
	err := codec.DecodeArgs([]any{uint64(1), 2.0}, map[string]any{"note": "hi"}, &in)
	fmt.Printf("%+v %v\n", in, err)

	err = codec.DecodeArgs([]any{uint64(1), 2.5}, nil, &in)
	var de *codec.DecodeError
	fmt.Println(errors.As(err, &de), de.Path, err)
	// Output:
	// [1 2] map[note:hi]
	// {A:1 B:2 Note:hi} <nil>
	// true args[1] codec: decode "args[1]": want int, got 2.5 (float64): has a fractional part
}
