package codec

import (
	"fmt"
	"strconv"
	"strings"
)

// DecodeError reports a value that does not fit the Go type it is decoded
// into, a missing required field, or (with [Strict]) an unknown field. Every
// error returned by the Decode functions is a *DecodeError.
type DecodeError struct {
	// Path locates the value: a field or map key chain with slice indexes,
	// such as "user.tags[2]". Positional arguments read "args[1]"; keyword
	// arguments and fields of a positional object start with the field name.
	// Empty for the root value of [DecodeValue].
	Path string
	// Want is the Go type that was wanted, such as "int" or "codec_test.User".
	Want string
	// Got is the received value (nil for a missing field).
	Got any
	// Msg says more when the mismatch is not a plain type mismatch, such as
	// "out of range" or "missing required field".
	Msg string
	// Err is an underlying error (from time parsing, base64, UnmarshalText).
	Err error

	segs  []pathSeg // reversed path segments, collected while unwinding
	quiet bool      // Error leaves out "codec: decode" (see Quiet)
}

// Quiet returns a copy of e whose text leaves out codec's "codec: decode"
// prefix, for a package that wraps it in a message of its own that says
// what it decoded: `caller: decode result of com.x: "user.tags[2]": want
// int, got "x" (string)`. errors.As still finds it.
func (e *DecodeError) Quiet() *DecodeError {
	q := *e
	q.quiet = true
	return &q
}

// pathSeg is one step of a path: a name (field or map key) or an index.
type pathSeg struct {
	name  string
	index int // -1 for a name
}

// Error reads like: codec: decode "user.tags[2]": want int, got "x" (string).
func (e *DecodeError) Error() string {
	var b strings.Builder
	switch {
	case !e.quiet && e.Path != "":
		b.WriteString("codec: decode " + strconv.Quote(e.Path) + ": ")
	case !e.quiet:
		b.WriteString("codec: decode: ")
	case e.Path != "":
		b.WriteString(strconv.Quote(e.Path) + ": ")
	}
	switch {
	case e.Want != "" && (e.Got != nil || e.Msg == ""):
		b.WriteString("want " + e.Want + ", got " + describe(e.Got))
		if e.Msg != "" {
			b.WriteString(": " + e.Msg)
		}
	default:
		b.WriteString(e.Msg)
		if e.Want != "" {
			b.WriteString(", want " + e.Want)
		}
		if e.Got != nil {
			b.WriteString(", got " + describe(e.Got))
		}
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying error, if any.
func (e *DecodeError) Unwrap() error { return e.Err }

// at records that the error happened below the named field or map key.
func (e *DecodeError) at(name string) *DecodeError {
	if e != nil {
		e.segs = append(e.segs, pathSeg{name: name, index: -1})
	}
	return e
}

// atIndex records that the error happened below element i.
func (e *DecodeError) atIndex(i int) *DecodeError {
	if e != nil {
		e.segs = append(e.segs, pathSeg{index: i})
	}
	return e
}

// finish renders the collected path below root and returns e as an error
// (a nil *DecodeError becomes a nil error).
func (e *DecodeError) finish(root string) error {
	if e == nil {
		return nil
	}
	var b strings.Builder
	b.WriteString(root)
	for i := len(e.segs) - 1; i >= 0; i-- {
		s := e.segs[i]
		if s.index >= 0 {
			fmt.Fprintf(&b, "[%d]", s.index)
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s.name)
	}
	e.Path, e.segs = b.String(), nil
	return e
}

// describe renders a received value for an error message: its value
// (truncated) and its Go type.
func describe(v any) string {
	if v == nil {
		return "null"
	}
	var s string
	switch x := v.(type) {
	case string:
		s = strconv.Quote(truncate(x, 64))
	case []byte:
		s = fmt.Sprintf("%d bytes", len(x))
	default:
		s = truncate(fmt.Sprintf("%v", x), 64)
	}
	return fmt.Sprintf("%s (%T)", s, v)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// mismatch builds the common "want T, got v" error.
func mismatch(want string, got any) *DecodeError {
	return &DecodeError{Want: want, Got: got}
}

// EncodeError reports a Go value that has no WAMP representation: a channel,
// a function, a complex number, a map with unsupported keys, or a cycle.
type EncodeError struct {
	Path string // where the value is, like DecodeError.Path
	Type string // its Go type
	Msg  string // what is wrong
	Err  error  // the cause, if another error (a MarshalText error), for errors.Is and errors.As
}

// Unwrap returns the cause.
func (e *EncodeError) Unwrap() error { return e.Err }

func (e *EncodeError) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("codec: encode: %s: %s", e.Type, e.Msg)
	}
	return fmt.Sprintf("codec: encode %q: %s: %s", e.Path, e.Type, e.Msg)
}
