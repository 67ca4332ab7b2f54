package callee_test

import (
	"context"
	"fmt"
	"iter"
	"reflect"
	"testing"

	"github.com/wampkit/wampkit/callee"
	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest"
)

func sum(_ context.Context, in iter.Seq2[int, error]) (int, error) {
	total := 0
	for n, err := range in {
		if err != nil {
			return 0, err
		}
		total += n
	}
	return total, nil
}

// stream makes a streamed call: the first chunk with the CALL, the others
// with Send, the last with SendFinal.
func stream(t *testing.T, c *client.Client, proc string, chunks []client.Payload, receiveProgress bool) (*client.PendingCall, error) {
	t.Helper()
	ctx := wamptest.Context(t)
	call, err := c.StartCall(ctx, client.CallRequest{Procedure: proc, Payload: chunks[0],
		Stream: true, ReceiveProgress: receiveProgress})
	if err != nil {
		return nil, err
	}
	for i, ch := range chunks[1:] {
		send := call.Send
		if i == len(chunks)-2 {
			send = call.SendFinal
		}
		if err := send(ctx, ch); err != nil {
			return nil, err
		}
	}
	return call, nil
}

func ints(ns ...any) []client.Payload {
	out := make([]client.Payload, len(ns))
	for i, n := range ns {
		if n != nil {
			out[i] = client.Payload{Args: []any{n}}
		}
	}
	return out
}

func TestStreamedInput(t *testing.T) {
	r := wamptest.NewRouter(t)
	for _, tr := range wamptest.Transports() {
		t.Run(tr.Name, func(t *testing.T) {
			c := r.Connect(t, tr)
			ctx := wamptest.Context(t)
			mustRegister(t)(callee.RegisterStream(ctx, c, "com.example.sum", sum))
			for _, tc := range []struct {
				name   string
				chunks []client.Payload
				want   int
			}{
				{"four chunks", ints(1, 2, 3, 4), 10},
				{"empty final chunk", ints(1, 2, nil), 3},
				{"one final chunk", ints(5, nil), 5},
			} {
				t.Run(tc.name, func(t *testing.T) {
					call, err := stream(t, c, "com.example.sum", tc.chunks, false)
					if err != nil {
						t.Fatal(err)
					}
					res, err := call.Next(ctx)
					if err != nil || fmt.Sprint(res.Args) != fmt.Sprint([]any{tc.want}) { // number types vary by serializer
						t.Errorf("result %v, %v; want [%d]", res.Args, err, tc.want)
					}
				})
			}
			// A plain call is a stream of one.
			if res := mustCall(t, c, "com.example.sum", 7); fmt.Sprint(res.Args) != "[7]" {
				t.Errorf("plain call: %v, want [7]", res.Args)
			}
		})
	}
}

func TestStreamedInputErrors(t *testing.T) {
	r := wamptest.NewRouter(t)
	c := r.Local(t)
	ctx := wamptest.Context(t)
	mustRegister(t)(callee.RegisterStream(ctx, c, "com.example.sum", sum))
	mustRegister(t)(callee.Register(ctx, c, "com.example.single", func(_ context.Context, n int) (int, error) {
		return n, nil
	}))
	for _, tc := range []struct {
		name, proc, message string
		chunks              []client.Payload
	}{
		{"bad chunk", "com.example.sum", `callee: decode argument "args[0]": want int, got "x" (string)`, ints(1, "x", 3)},
		{"stream to a single-input handler", "com.example.single",
			"callee: com.example.single does not accept streamed input", ints(1, 2)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			call, err := stream(t, c, tc.proc, tc.chunks, false)
			if err == nil {
				_, err = call.Next(ctx)
			}
			if e := remoteError(t, err, "wamp.error.invalid_argument"); e.Message() != tc.message {
				t.Errorf("message %q, want %q", e.Message(), tc.message)
			}
		})
	}
}

func TestStreamProgressive(t *testing.T) {
	r := wamptest.NewRouter(t)
	c := r.Local(t)
	ctx := wamptest.Context(t)
	// Echo each chunk doubled as progress; answer the count.
	mustRegister(t)(callee.RegisterStreamProgressive(ctx, c, "com.example.double",
		func(_ context.Context, in iter.Seq2[int, error], progress func(int) error) (int, error) {
			n := 0
			for v, err := range in {
				if err != nil {
					return 0, err
				}
				if err := progress(2 * v); err != nil {
					return 0, err
				}
				n++
			}
			return n, nil
		}))
	call, err := stream(t, c, "com.example.double", ints(1, 2, 3), true)
	if err != nil {
		t.Fatal(err)
	}
	var got []any
	for {
		res, err := call.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, res.Args...)
		if !res.Progress {
			break
		}
	}
	if want := []any{int64(2), int64(4), int64(6), int64(3)}; !reflect.DeepEqual(got, want) {
		t.Errorf("results %v, want %v", got, want)
	}
}
