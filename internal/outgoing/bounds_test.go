package outgoing_test

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gammazero/nexus/v3/transport/serialize"

	"github.com/wampkit/wampkit/internal/outgoing"
	"github.com/wampkit/wampkit/internal/wire"
)

type Inner struct{ InnerField string }

type hidden struct{ HiddenField string }

// tagged has what makes the serializers disagree on a struct's keys: json
// and codec names shorter and longer than the Go names, omitempty and
// omitzero, embedded structs (flattened), skipped fields.
type tagged struct {
	AVeryLongFieldName   int      `json:"a,omitempty"`
	AnotherLongFieldName string   `codec:"b" json:"bee_bee_bee_bee_bee"`
	Short                string   `json:"a_much_longer_json_name_than_the_go_one"`
	Skipped              int      `json:"-"`
	SkippedToo           int      `codec:"-"`
	Zero                 float64  `json:"z,omitzero"`
	Tags                 []string `json:"t,omitempty"`
	Ptr                  *Inner   `json:",omitempty"`
	Inner
	hidden
	EmbeddedButNamed Inner `json:"e"`
}

func randomTagged(r *rand.Rand) tagged {
	s := func() string {
		if r.IntN(3) == 0 {
			return ""
		}
		return strings.Repeat("x", r.IntN(40))
	}
	v := tagged{AnotherLongFieldName: s(), Short: s(), Inner: Inner{s()}, hidden: hidden{s()}, EmbeddedButNamed: Inner{s()}}
	if r.IntN(2) == 0 {
		v.AVeryLongFieldName = r.IntN(1 << 20)
	}
	if r.IntN(2) == 0 {
		v.Zero = r.Float64()
	}
	for range r.IntN(3) {
		v.Tags = append(v.Tags, s())
	}
	if r.IntN(2) == 0 {
		v.Ptr = &Inner{s()}
	}
	return v
}

// The walker's bounds hold for a struct sent raw whichever serializer
// writes it: the three on the network (a codec tag's name first) and
// encoding/json in process, which disagree on its keys. A lower bound over
// the size would refuse a message that fits (as "too large"); an upper
// bound under it would let one through that does not.
func TestStructBoundsHoldForEverySerializer(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var sers []*wire.Serializer
	for _, s := range []serialize.Serialization{serialize.JSON, serialize.MSGPACK, serialize.CBOR} {
		ser, err := wire.NewSerializer(s)
		if err != nil {
			t.Fatal(err)
		}
		sers = append(sers, ser)
	}
	for i := range 2000 {
		var list []any
		for range 1 + r.IntN(4) {
			list = append(list, randomTagged(r))
		}
		var w outgoing.Walker
		if err := w.List(list, 1); err != nil {
			t.Fatal(err)
		}
		sizes := map[string]int{}
		for j, ser := range sers {
			b, err := ser.SerializeDataItem(list)
			if err != nil {
				t.Fatal(err)
			}
			sizes[[]string{"json", "msgpack", "cbor"}[j]] = len(b)
		}
		b, err := json.Marshal(list)
		if err != nil {
			t.Fatal(err)
		}
		sizes["encoding/json"] = len(b)
		for name, n := range sizes {
			if n < w.Lo || n > w.Hi {
				t.Fatalf("value %d: %s writes %d bytes, outside the walker's bounds [%d, %d]: %+v", i, name, n, w.Lo, w.Hi, list)
			}
		}
	}
}
