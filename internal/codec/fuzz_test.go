package codec_test

import (
	"errors"
	"testing"

	"github.com/wampkit/wampkit/internal/codec"
)

// fuzzTargets are the Go types each fuzzed payload is decoded into.
func fuzzTargets() []any {
	return []any{
		new(User), new(Everything), new(Add), new(Numbers), new(Ten), new(Bin),
		new([]int), new([3]string), new(map[int]string), new(map[string][]Opt),
		new(any), new(Wrapper), new(*Opt), new(uint64), new(float32),
	}
}

// FuzzDecode feeds bytes through one of nexus's serializers (selected by
// ser % 3) and decodes whatever comes out into several Go types, with and
// without Strict, as call arguments, as a result and as a value. Decoding
// must never panic and must fail only with a *DecodeError.
func FuzzDecode(f *testing.F) {
	f.Add(byte(0), []byte(`[{"name":"a","tags":[1,2,"x"],"friend":{"name":"b"}}]`))
	f.Add(byte(0), []byte(`{"id":18446744073709551615,"Created":"2026-03-03T09:16:37-1000","blob":"\u0000AQI="}`))
	f.Add(byte(0), []byte(`[1,2.5,-3,"AQI=",null,true,{"1":"x"}]`))
	f.Fuzz(func(t *testing.T, ser byte, data []byte) {
		var item any
		if err := serializers[int(ser)%len(serializers)].s.DeserializeDataItem(data, &item); err != nil {
			return
		}
		var args []any
		var kwargs map[string]any
		switch x := item.(type) {
		case []any:
			args = x
			if len(x) > 1 {
				if m, ok := x[len(x)-1].(map[string]any); ok {
					args, kwargs = x[:len(x)-1], m
				}
			}
		case map[string]any:
			kwargs = x
		default:
			args = []any{x}
		}
		for _, opts := range [][]codec.Option{nil, {codec.Strict()}} {
			for _, dst := range fuzzTargets() {
				checkFuzzErr(t, codec.DecodeArgs(args, kwargs, dst, opts...))
				checkFuzzErr(t, codec.DecodeResult(args, kwargs, dst, opts...))
				checkFuzzErr(t, codec.DecodeValue(item, dst, opts...))
			}
		}
	})
}

func checkFuzzErr(t *testing.T, err error) {
	t.Helper()
	var de *codec.DecodeError
	if err != nil && !errors.As(err, &de) {
		t.Fatalf("error %v (%T) is not a *DecodeError", err, err)
	}
	if err != nil && err.Error() == "" {
		t.Fatal("empty error text")
	}
}
