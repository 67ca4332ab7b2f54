package outgoing_test

import (
	"encoding/json"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

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

type Long struct {
	AFieldWithAVeryLongNameNumberOne   string
	AFieldWithAVeryLongNameNumberTwo   string
	AFieldWithAVeryLongNameNumberThree string
}

type hid struct{ Inside string }

type dated struct {
	time.Time
	Note string
}

// awkward has what the encoders write differently from the fields a walk
// sees: a nil embedded pointer (ugorji writes its struct's fields, as
// null), marshalers (time.Time, netip.Addr, a struct embedding time.Time,
// whose fields the marshaler drops), an unexported embedded struct with a
// name (only encoding/json writes it), fields one encoder skips and the
// other writes, a ",string" field.
type awkward struct {
	*Long
	hid      `json:"h"`
	When     time.Time
	Addr     netip.Addr
	Dated    dated
	OnlyUgo  string `codec:"u" json:"-"`
	OnlyJSON string `codec:"-" json:"j"`
	Quoted   string `json:"q,string"`
}

func randomAwkward(r *rand.Rand) awkward {
	s := func() string { return strings.Repeat("<", r.IntN(30)) }
	v := awkward{hid: hid{s()}, When: time.Unix(r.Int64N(1<<31), 0).UTC(), Dated: dated{time.Unix(0, 0).UTC(), s()},
		OnlyUgo: s(), OnlyJSON: s(), Quoted: s()}
	if r.IntN(2) == 0 {
		v.Long = &Long{s(), s(), s()}
	}
	if r.IntN(2) == 0 {
		v.Addr = netip.MustParseAddr("fe80::1%" + strings.Repeat("z", r.IntN(20)+1))
	}
	return v
}

// The walker's bounds hold for a struct sent raw whichever serializer
// writes it: the three on the network (a codec tag's name first) and
// encoding/json in process, which disagree on its keys. Where only
// encoding can tell the size (awkward), the lower bound still holds and
// the walk says its upper bound does not (Unbounded). A lower bound over
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
		awk := i%2 == 1
		if awk {
			list = append(list, randomAwkward(r))
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
		if !awk && w.Unbounded {
			t.Fatalf("value %d: plain tagged structs left unbounded: %+v", i, list)
		}
		for name, n := range sizes {
			if n < w.Lo || n > w.Hi && !w.Unbounded {
				t.Fatalf("value %d: %s writes %d bytes, outside the walker's bounds [%d, %d] (unbounded %v): %+v",
					i, name, n, w.Lo, w.Hi, w.Unbounded, list)
			}
		}
	}
}

type toArray struct {
	_struct                  bool `codec:",toarray"` //nolint:unused // read by ugorji
	AFieldWithAVeryLongNameA string
	AFieldWithAVeryLongNameB string
}

// Each shape on its own, large enough that no slack elsewhere in the
// bounds hides a field counted wrongly: what one encoder leaves out must
// not count in the lower bound, and what one writes that the walk cannot
// see must leave the upper bound unclaimed.
func TestStructBoundsHoldForAwkwardShapes(t *testing.T) {
	big := strings.Repeat("<", 1000)
	type withHid struct {
		hid `json:"h"`
		Y   string
	}
	type nilEmbedded struct{ *Long }
	type onlyUgorji struct {
		U string `codec:"u" json:"-"`
	}
	// Two fields of one name (made at run time: vet refuses the tags).
	str := reflect.TypeFor[string]()
	sameName := reflect.New(reflect.StructOf([]reflect.StructField{
		{Name: "First", Type: str, Tag: `json:"same"`}, {Name: "Second", Type: str, Tag: `json:"same"`}})).Elem()
	sameName.Field(0).SetString(big)
	sameName.Field(1).SetString(big)
	type quoted struct {
		Q string `json:"q,string"`
	}
	for name, v := range map[string]any{
		"unexported embedded with a name": withHid{hid{big}, "y"},
		"nil embedded pointer":            nilEmbedded{},
		"marshaler dropping a field":      dated{time.Unix(0, 0).UTC(), big},
		"skipped by encoding/json only":   onlyUgorji{big},
		"two fields of one name":          sameName.Interface(),
		"toarray":                         toArray{AFieldWithAVeryLongNameA: "a", AFieldWithAVeryLongNameB: "b"},
		",string":                         quoted{big},
	} {
		t.Run(name, func(t *testing.T) {
			list := []any{v}
			var w outgoing.Walker
			if err := w.List(list, 1); err != nil {
				t.Fatal(err)
			}
			for enc, n := range encodedSizes(t, list) {
				if n < w.Lo || n > w.Hi && !w.Unbounded {
					t.Errorf("%s writes %d bytes, outside the walker's bounds [%d, %d] (unbounded %v)", enc, n, w.Lo, w.Hi, w.Unbounded)
				}
			}
		})
	}
}

// encodedSizes is what each encoder writes for list: the three serializers
// on the network and encoding/json (the in-process link's).
func encodedSizes(t *testing.T, list []any) map[string]int {
	t.Helper()
	sizes := map[string]int{}
	for _, s := range []serialize.Serialization{serialize.JSON, serialize.MSGPACK, serialize.CBOR} {
		ser, err := wire.NewSerializer(s)
		if err != nil {
			t.Fatal(err)
		}
		b, err := ser.SerializeDataItem(list)
		if err != nil {
			t.Fatal(err)
		}
		sizes[[]string{"", "json", "msgpack", "cbor"}[s]] = len(b)
	}
	b, err := json.Marshal(list)
	if err != nil {
		t.Fatal(err)
	}
	sizes["encoding/json"] = len(b)
	return sizes
}
