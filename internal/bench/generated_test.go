package bench

import (
	"math"
	"reflect"
	"testing"

	"github.com/gammazero/nexus/v3/transport/serialize"

	"github.com/wampkit/wampkit/internal/codec"
	"github.com/wampkit/wampkit/internal/wire"
)

// This file is what a code generator for wampkit would most likely emit
// for Struct10: the struct written through the direct path's writer
// (codec.Sink) and read through its reader (codec.Source), field by field,
// with no reflection. BenchmarkTypedWire's "generated" row measures it
// with the frame around it handled as wampkit handles it, beside the
// reflective direct path ("wampkit"), so that the gain a generator could
// bring inside wampkit's design is measured rather than guessed from the
// "direct" row, which skips the frame's work too.

// writeStruct10 writes s as the object the codec writes for it.
func writeStruct10(k codec.Sink, s *Struct10) {
	k.Dict(10)
	k.Key(0, "id")
	k.Int(s.ID)
	k.Key(1, "name")
	k.String(s.Name)
	k.Key(2, "email")
	k.String(s.Email)
	k.Key(3, "age")
	k.Int(int64(s.Age))
	k.Key(4, "score")
	k.Float(s.Score, 64)
	k.Key(5, "active")
	k.Bool(s.Active)
	k.Key(6, "tags")
	if s.Tags == nil {
		k.Nil()
	} else {
		k.List(len(s.Tags))
		for i, t := range s.Tags {
			k.Elem(i)
			k.String(t)
		}
		k.End(false)
	}
	k.Key(7, "country")
	k.String(s.Country)
	k.Key(8, "created")
	k.String(s.Created)
	k.Key(9, "level")
	k.Uint(uint64(s.Level))
	k.End(true)
}

// struct10Fields are Struct10's wire names, in field order.
var struct10Fields = [...]string{"id", "name", "email", "age", "score", "active", "tags", "country", "created", "level"}

// readStruct10 reads the object src holds into s, zeroed first; false
// declines, and the caller then decodes by the codec's path, which says
// what is wrong. It declines what the direct decoder declines for these
// fields (an unknown or repeated key, a value out of a field's range), and
// also forms the direct decoder takes that a generator could add later:
// null for any field but tags, integers written as floats, integers above
// math.MaxInt64, binary strings, and an integer score beyond 2^53 either
// way (the direct decoder declines only those a float64 cannot hold).
func readStruct10(src codec.Source, s *Struct10) bool {
	*s = Struct10{}
	if src.Next() != codec.KindDict {
		return false
	}
	var seen uint16
	n := src.Dict()
	for i := 0; src.More(i, n); i++ {
		key, ok := src.Key()
		if !ok {
			return false
		}
		f := -1
		for j, name := range struct10Fields {
			if string(key) == name {
				f = j
				break
			}
		}
		if f < 0 || seen&(1<<f) != 0 {
			return false
		}
		seen |= 1 << f
		switch f {
		case 0:
			if s.ID, ok = readInt(src); !ok {
				return false
			}
		case 1:
			if s.Name, ok = readString(src); !ok {
				return false
			}
		case 2:
			if s.Email, ok = readString(src); !ok {
				return false
			}
		case 3:
			x, ok := readInt(src)
			if !ok || int64(int(x)) != x {
				return false
			}
			s.Age = int(x)
		case 4:
			switch src.Next() {
			case codec.KindFloat:
				s.Score = src.Float()
			case codec.KindInt:
				x := src.Int()
				if x < -1<<53 || x > 1<<53 { // not exactly a float64 beyond 2^53
					return false
				}
				s.Score = float64(x)
			default:
				return false
			}
		case 5:
			if src.Next() != codec.KindBool {
				return false
			}
			s.Active = src.Bool()
		case 6:
			if !readTags(src, &s.Tags) {
				return false
			}
		case 7:
			if s.Country, ok = readString(src); !ok {
				return false
			}
		case 8:
			if s.Created, ok = readString(src); !ok {
				return false
			}
		case 9:
			x, ok := readInt(src)
			if !ok || x < 0 || x > math.MaxUint32 {
				return false
			}
			s.Level = uint32(x)
		}
	}
	return src.Done()
}

// preallocTags bounds the room made for a list from the length its head
// claims, as the codec bounds it.
const preallocTags = 1024

// readTags reads a list of strings, or null (a nil slice), into tags; an
// empty list gives an empty slice, as the codec gives it.
func readTags(src codec.Source, tags *[]string) bool {
	switch src.Next() {
	case codec.KindNil:
		src.Nil()
		*tags = nil
		return true
	case codec.KindList:
	default:
		return false
	}
	m := src.List()
	t := make([]string, 0, min(max(m, 0), preallocTags))
	for j := 0; src.More(j, m); j++ {
		s, ok := readString(src)
		if !ok {
			return false
		}
		t = append(t, s)
	}
	*tags = t
	return true
}

func readInt(src codec.Source) (int64, bool) {
	if src.Next() != codec.KindInt {
		return 0, false
	}
	return src.Int(), true
}

func readString(src codec.Source) (string, bool) {
	if src.Next() != codec.KindString {
		return "", false
	}
	return src.String(), true
}

// TestGeneratedStruct10MatchesCodec checks that the generated pair does
// the codec's work, in every serialization: writeStruct10 writes the bytes
// the codec's direct path writes, and readStruct10 reads them back to the
// same struct, zeroes what an object leaves out, and declines a repeated
// key as the codec does.
func TestGeneratedStruct10MatchesCodec(t *testing.T) {
	values := []Struct10{
		struct10,
		{},
		{ID: -1 << 62, Age: -36, Score: -0.25, Tags: []string{}, Level: math.MaxUint32, Name: "é\"\\\n"},
	}
	for _, s := range []serialize.Serialization{serialize.JSON, serialize.MSGPACK, serialize.CBOR} {
		ser, err := wire.NewSerializer(s)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range values {
			want := ser.NewSink()
			if !codec.EncodeDirect(want, v) {
				t.Fatalf("%v: the codec declined %+v", s, v)
			}
			wantRaw, _ := want.Raw()
			got := ser.NewSink()
			writeStruct10(got, &v)
			gotRaw, ok := got.Raw()
			if !ok {
				t.Fatalf("%v: the generated writer failed on %+v", s, v)
			}
			if !reflect.DeepEqual(gotRaw, wantRaw) {
				t.Errorf("%v: the generated writer wrote %v, the codec %v", s, gotRaw, wantRaw)
			}
			var rd wire.RawReader
			wantRaw.Reader(&rd)
			back := Struct10{Name: "left over"}
			if !readStruct10(&rd, &back) {
				t.Fatalf("%v: the generated reader declined %+v", s, v)
			}
			if !reflect.DeepEqual(back, v) {
				t.Errorf("%v: the generated reader read %+v, want %+v", s, back, v)
			}
		}
		part := ser.NewSink() // a peer may leave fields out: they are zero
		part.Dict(1)
		part.Key(0, "age")
		part.Int(7)
		part.End(true)
		raw, _ := part.Raw()
		var rd wire.RawReader
		raw.Reader(&rd)
		if back := (Struct10{Name: "left over"}); !readStruct10(&rd, &back) || !reflect.DeepEqual(back, Struct10{Age: 7}) {
			t.Errorf("%v: the generated reader read {age: 7} into %+v, want only Age set", s, back)
		}
		twice := ser.NewSink()
		twice.Dict(2)
		twice.Key(0, "id")
		twice.Int(1)
		twice.Key(1, "id")
		twice.Int(2)
		twice.End(true)
		raw, _ = twice.Raw()
		raw.Reader(&rd)
		var out Struct10
		if readStruct10(&rd, &out) {
			t.Errorf("%v: the generated reader took a repeated key", s)
		}
		raw.Reader(&rd)
		if codec.DecodeDirect(&rd, &out) {
			t.Errorf("%v: the codec's direct decoder took a repeated key (the generated reader should follow it)", s)
		}
	}
}
