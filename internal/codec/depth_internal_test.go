package codec

import (
	"errors"
	"testing"
)

// link is a list of structs through pointers: each link is one level.
type link struct {
	Next *link `json:"next,omitempty"`
}

func links(n int) *link {
	var l *link
	for range n {
		l = &link{Next: l}
	}
	return l
}

// nested is a value n levels deep: maps of maps (their values are
// interfaces) around a number.
func nested(n int) any {
	var v any = 1
	for range n - 1 {
		v = map[string]any{"a": v}
	}
	return v
}

// The depth limit counts levels of the value sent, as documented at
// maxDepth: a value maxDepth levels deep is encoded, one level more is
// an error, whether the levels are structs reached through pointers or
// values of maps of any.
func TestDepthLimitCountsLevelsOfTheValue(t *testing.T) {
	for name, deep := range map[string]func(n int) any{
		"structs through pointers": func(n int) any { return links(n) },
		"maps of any":              nested,
		"lists of any": func(n int) any {
			var v any = 1
			for range n - 1 {
				v = []any{v}
			}
			return v
		},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := EncodeValue(deep(maxDepth)); err != nil {
				t.Errorf("%d levels: %.200v, want no error", maxDepth, err)
			}
			if _, _, err := Encode(deep(maxDepth)); err != nil {
				t.Errorf("Encode, %d levels: %.200v, want no error", maxDepth, err)
			}
			_, err := EncodeValue(deep(maxDepth + 1))
			var ee *EncodeError
			if !errors.As(err, &ee) || ee.Msg != "nested too deeply (cycle?)" {
				t.Errorf("%d levels: err = %.200v, want nested too deeply", maxDepth+1, err)
			}
		})
	}
}

// An interface that holds a pointer to itself nests no value at all: it
// is cut, not followed until the stack overflows.
func TestDepthLimitCutsACycleOfIndirections(t *testing.T) {
	var x any
	x = &x
	_, err := EncodeValue(x)
	var ee *EncodeError
	if !errors.As(err, &ee) || ee.Msg != "nested too deeply (cycle?)" {
		t.Errorf("err = %v, want nested too deeply", err)
	}
}
