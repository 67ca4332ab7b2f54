package payload_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/codec"
	"github.com/wampkit/wampkit/internal/handover"
	"github.com/wampkit/wampkit/internal/payload"
)

type twinPoint struct {
	Name string   `json:"name"`
	X    int      `json:"x"`
	Tags []string `json:"tags"`
}

type twinOther struct {
	Name string   `json:"name"`
	X    int      `json:"x"`
	Tags []string `json:"tags"`
}

// handOver passes p over the in-process link as the session does: the
// sender gives the frozen arguments, the receiver takes them.
func handOver(t testing.TB, p client.Payload) client.Payload {
	handover.Give(p.Args, p.Kwargs, -1)
	if _, ok := handover.Take(p.Args, p.Kwargs); !ok {
		t.Fatal("the payload was not handed over")
	}
	return p
}

// TestTwinTakenForTheVeryPayload: a decoder of the very arguments a
// receiver took over the link takes the twin EncodeFresh made, once; the
// same arguments not handed over, a copy of them, another type or a
// second decode read the map, to the same value.
func TestTwinTakenForTheVeryPayload(t *testing.T) {
	in := twinPoint{Name: "ada", X: 7, Tags: []string{"a", "b"}}
	encode := func() client.Payload {
		p, b, err := payload.EncodeFresh(in, true)
		require.NoError(t, err)
		require.True(t, b.Fresh)
		return p
	}
	decodes := []struct {
		name   string
		decode func(client.Payload, any, ...codec.Option) error
	}{{"DecodeArgs", payload.DecodeArgs}, {"DecodeResult", payload.DecodeResult}}
	for _, d := range decodes {
		t.Run(d.name, func(t *testing.T) {
			p := handOver(t, encode())
			before := payload.TwinsTaken()
			out := twinPoint{Name: "stale", X: -1, Tags: []string{"stale"}}
			require.NoError(t, d.decode(p, &out, codec.Strict()))
			assert.Equal(t, in, out, "the twin replaces the whole target")
			assert.Equal(t, before+1, payload.TwinsTaken(), "the twin is taken")

			out.Tags[0] = "mine" // the receiver owns what it took
			assert.Equal(t, "a", in.Tags[0])

			var again twinPoint
			require.NoError(t, d.decode(p, &again))
			assert.Equal(t, in, again, "a second decode reads the map")
			assert.Equal(t, before+1, payload.TwinsTaken(), "a twin is taken once")

			p = encode() // not handed over: someone may have changed it since
			p.Args[0].(map[string]any)["name"] = "changed"
			var notHanded twinPoint
			require.NoError(t, d.decode(p, &notHanded))
			assert.Equal(t, "changed", notHanded.Name)
			assert.Equal(t, before+1, payload.TwinsTaken(), "no twin for a payload not handed over")

			p = handOver(t, encode())
			copied := client.Payload{Args: append([]any(nil), p.Args...)}
			var fromCopy twinPoint
			require.NoError(t, d.decode(copied, &fromCopy))
			assert.Equal(t, in, fromCopy)
			assert.Equal(t, before+1, payload.TwinsTaken(), "a copy of the arguments has no twin")

			var other twinOther
			require.NoError(t, d.decode(p, &other))
			assert.Equal(t, twinOther(in), other)
			assert.Equal(t, before+1, payload.TwinsTaken(), "no twin for another type")
		})
	}
}

// TestTwinOnlyWhenAsked: EncodeFresh without twin (the session cannot
// hand the payload over, or an interceptor will see it) makes none.
func TestTwinOnlyWhenAsked(t *testing.T) {
	in := twinPoint{Name: "ada"}
	p, _, err := payload.EncodeFresh(in, false)
	require.NoError(t, err)
	p = handOver(t, p)
	before := payload.TwinsTaken()
	var out twinPoint
	require.NoError(t, payload.DecodeArgs(p, &out))
	assert.Equal(t, in, out)
	assert.Equal(t, before, payload.TwinsTaken())
}

// TestTwinNotForLargePayloads: a payload larger than the in-process link
// hands over without a copy gets no twin, and decodes the same.
func TestTwinNotForLargePayloads(t *testing.T) {
	in := twinPoint{Name: strings.Repeat("x", 8<<10)}
	p, _, err := payload.EncodeFresh(in, true)
	require.NoError(t, err)
	handover.Give(p.Args, p.Kwargs, -1)
	handover.Take(p.Args, p.Kwargs)
	before := payload.TwinsTaken()
	var out twinPoint
	require.NoError(t, payload.DecodeArgs(p, &out))
	assert.Equal(t, in, out)
	assert.Equal(t, before, payload.TwinsTaken())
}

type twinFlat10 struct {
	ID      int64    `json:"id"`
	Name    string   `json:"name"`
	Email   string   `json:"email"`
	Age     int      `json:"age"`
	Score   float64  `json:"score"`
	Active  bool     `json:"active"`
	Tags    []string `json:"tags"`
	Country string   `json:"country"`
	Created string   `json:"created"`
	Level   uint32   `json:"level"`
}

// BenchmarkTwin is one side of a typed call in process with a 10-field
// struct: encode it as the sender does (EncodeFresh), hand it over as the
// two sessions do (handover.Give and Take), then decode it as the receiver
// does, taking the twin ("twin") or decoding the map ("decode": a copy of
// the arguments, as a receiver that was not handed the payload has).
func BenchmarkTwin(b *testing.B) {
	in := twinFlat10{ID: 123456789, Name: "Ada Lovelace", Email: "ada@example.com", Age: 36, Score: 98.5,
		Active: true, Tags: []string{"math", "engines"}, Country: "UK", Created: "1843-07-10T00:00:00Z", Level: 7}
	for _, twin := range []bool{true, false} {
		name := "decode"
		if twin {
			name = "twin"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			taken := payload.TwinsTaken()
			var out twinFlat10
			for b.Loop() {
				p, _, err := payload.EncodeFresh(in, true)
				if err != nil {
					b.Fatal(err)
				}
				handover.Give(p.Args, p.Kwargs, -1) // the sender's session
				handover.Take(p.Args, p.Kwargs)     // the receiver's
				if !twin {
					p.Args = []any{p.Args[0]}
				}
				if err := payload.DecodeArgs(p, &out); err != nil {
					b.Fatal(err)
				}
			}
			if got := payload.TwinsTaken() - taken; twin != (got > 0) {
				b.Fatalf("%d twins taken", got)
			}
		})
	}
}
