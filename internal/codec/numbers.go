package codec

import (
	"encoding/json"
	"math"
	"reflect"
	"strconv"
)

// numKind classifies a received number by the Go representation the
// serializer chose for it.
type numKind uint8

const (
	notNumber numKind = iota
	signedNum
	unsignedNum
	floatNum
)

// number is a received number in its widest lossless representation.
type number struct {
	kind numKind
	i    int64
	u    uint64
	f    float64
}

// Messages for numbers that are numbers but do not fit.
const (
	msgRange     = "out of range"
	msgFraction  = "has a fractional part"
	msgPrecision = "not exactly representable"
)

// asNumber reads in as a number. Serializers give int64/uint64/float64 (JSON,
// CBOR) or any width (MsgPack); named numeric types and json.Number are also
// accepted.
func asNumber(in any) number {
	switch x := in.(type) {
	case int64:
		return number{kind: signedNum, i: x}
	case uint64:
		return number{kind: unsignedNum, u: x}
	case float64:
		return number{kind: floatNum, f: x}
	case int:
		return number{kind: signedNum, i: int64(x)}
	case int8:
		return number{kind: signedNum, i: int64(x)}
	case int16:
		return number{kind: signedNum, i: int64(x)}
	case int32:
		return number{kind: signedNum, i: int64(x)}
	case uint:
		return number{kind: unsignedNum, u: uint64(x)}
	case uint8:
		return number{kind: unsignedNum, u: uint64(x)}
	case uint16:
		return number{kind: unsignedNum, u: uint64(x)}
	case uint32:
		return number{kind: unsignedNum, u: uint64(x)}
	case float32:
		return number{kind: floatNum, f: float64(x)}
	case json.Number:
		return parseJSONNumber(x)
	case string, bool, nil, []any, map[string]any:
		return number{}
	}
	return reflectNumber(reflect.ValueOf(in))
}

func reflectNumber(v reflect.Value) number {
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return number{kind: signedNum, i: v.Int()}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return number{kind: unsignedNum, u: v.Uint()}
	case reflect.Float32, reflect.Float64:
		return number{kind: floatNum, f: v.Float()}
	}
	return number{}
}

func parseJSONNumber(s json.Number) number {
	if i, err := strconv.ParseInt(string(s), 10, 64); err == nil {
		return number{kind: signedNum, i: i}
	}
	if u, err := strconv.ParseUint(string(s), 10, 64); err == nil {
		return number{kind: unsignedNum, u: u}
	}
	if f, err := strconv.ParseFloat(string(s), 64); err == nil {
		return number{kind: floatNum, f: f}
	}
	return number{}
}

// toInt converts n to a signed integer of the given bit size. msg is empty on
// success; it names the loss otherwise.
func (n number) toInt(bits int) (int64, string) {
	lo, hi := int64(math.MinInt64)>>(64-bits), int64(math.MaxInt64)>>(64-bits)
	var x int64
	switch n.kind {
	case signedNum:
		x = n.i
	case unsignedNum:
		if n.u > uint64(hi) {
			return 0, msgRange
		}
		x = int64(n.u)
	case floatNum:
		if n.f != math.Trunc(n.f) {
			return 0, msgFraction
		}
		if !(n.f >= -(1<<63) && n.f < 1<<63) { // false for NaN too
			return 0, msgRange
		}
		x = int64(n.f)
	}
	if x < lo || x > hi {
		return 0, msgRange
	}
	return x, ""
}

// toUint converts n to an unsigned integer of the given bit size.
func (n number) toUint(bits int) (uint64, string) {
	hi := uint64(math.MaxUint64) >> (64 - bits)
	var x uint64
	switch n.kind {
	case signedNum:
		if n.i < 0 {
			return 0, msgRange
		}
		x = uint64(n.i)
	case unsignedNum:
		x = n.u
	case floatNum:
		if n.f != math.Trunc(n.f) {
			return 0, msgFraction
		}
		if !(n.f >= 0 && n.f < 1<<64) {
			return 0, msgRange
		}
		x = uint64(n.f)
	}
	if x > hi {
		return 0, msgRange
	}
	return x, ""
}

// toFloat converts n to a float of the given bit size. Integers must be
// exactly representable. A float64 going into a float32 rounds to the nearest
// float32 (JSON carries 0.1 as a float64 that no float32 equals) but must be
// within float32 range; NaN and infinities pass.
func (n number) toFloat(bits int) (float64, string) {
	switch n.kind {
	case signedNum:
		f := roundTo(float64(n.i), bits)
		if f >= 1<<63 || int64(f) != n.i {
			return 0, msgPrecision
		}
		return f, ""
	case unsignedNum:
		f := roundTo(float64(n.u), bits)
		if f >= 1<<64 || uint64(f) != n.u {
			return 0, msgPrecision
		}
		return f, ""
	case floatNum:
		if bits == 32 && !math.IsInf(n.f, 0) && math.Abs(n.f) > math.MaxFloat32 {
			return 0, msgRange
		}
		return n.f, ""
	}
	return 0, ""
}

func roundTo(f float64, bits int) float64 {
	if bits == 32 {
		return float64(float32(f))
	}
	return f
}
