package bench

import (
	"math"

	"github.com/wampkit/wampkit/internal/codec"
)

// This file is what a code generator for wampkit would most likely emit
// for Struct10: the struct written through the direct path's writer
// (codec.Sink) and read through its reader (codec.Source), field by field,
// with no reflection, while the frame around it is handled as wampkit
// handles it today. BenchmarkTypedWire's "generated" row measures it
// beside the reflective direct path ("wampkit"), so that the gain a
// generator could bring inside wampkit's design is measured rather than
// guessed from the "direct" row, which also skips the frame's work.

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

// readStruct10 reads the object src holds into s; false declines (a form
// it does not take: the caller would then decode by the codec's path,
// which says what is wrong). It takes what the direct decoder takes for
// these fields, less the forms a generator could add later (nulls,
// integers written as floats).
func readStruct10(src codec.Source, s *Struct10) bool {
	if src.Next() != codec.KindDict {
		return false
	}
	n := src.Dict()
	for i := 0; src.More(i, n); i++ {
		key, ok := src.Key()
		if !ok {
			return false
		}
		switch string(key) {
		case "id":
			x, ok := readInt(src)
			if !ok {
				return false
			}
			s.ID = x
		case "name":
			if s.Name, ok = readString(src); !ok {
				return false
			}
		case "email":
			if s.Email, ok = readString(src); !ok {
				return false
			}
		case "age":
			x, ok := readInt(src)
			if !ok || int64(int(x)) != x {
				return false
			}
			s.Age = int(x)
		case "score":
			switch src.Next() {
			case codec.KindFloat:
				s.Score = src.Float()
			case codec.KindInt:
				s.Score = float64(src.Int())
			default:
				return false
			}
		case "active":
			if src.Next() != codec.KindBool {
				return false
			}
			s.Active = src.Bool()
		case "tags":
			if src.Next() != codec.KindList {
				return false
			}
			m := src.List()
			tags := make([]string, 0, min(max(m, 0), preallocTags))
			for j := 0; src.More(j, m); j++ {
				t, ok := readString(src)
				if !ok {
					return false
				}
				tags = append(tags, t)
			}
			s.Tags = tags
		case "country":
			if s.Country, ok = readString(src); !ok {
				return false
			}
		case "created":
			if s.Created, ok = readString(src); !ok {
				return false
			}
		case "level":
			x, ok := readInt(src)
			if !ok || x < 0 || x > math.MaxUint32 {
				return false
			}
			s.Level = uint32(x)
		default:
			return false
		}
	}
	return src.Done()
}

// preallocTags bounds the room made for a list from the length its head
// claims, as the codec bounds it.
const preallocTags = 1024

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
