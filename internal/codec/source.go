package codec

// Kind is what a Source holds next.
type Kind uint8

// The kinds a Source tells apart. What it does not (binary, extension
// types, tags, numbers in unusual forms) is KindOther: read with Value.
const (
	KindOther  Kind = iota
	KindNil         // Nil
	KindBool        // Bool
	KindInt         // an integer that fits an int64: Int
	KindUint        // an integer above math.MaxInt64: Uint
	KindFloat       // Float
	KindString      // String
	KindList        // List
	KindDict        // Dict
)

// Source reads the values of one serialization one at a time, for
// DecodeDirect (package wire provides one over a wire.Raw value). A
// malformed input, or a method called for another kind than Next
// reported, makes it fail: its methods then return zero values and Done
// false.
type Source interface {
	// Next returns the kind of the next value, without reading it.
	Next() Kind
	Nil()
	Bool() bool
	Int() int64
	Uint() uint64
	Float() float64
	String() string
	// List and Dict read the head of a list or dictionary: n is its
	// length, or -1 where the serialization does not write it (JSON).
	List() (n int)
	Dict() (n int)
	// More reports whether the list or dictionary being read, whose head
	// gave n, has an element (or entry) i, reading what separates it from
	// the one before; false ends it (reading the closing bracket, JSON).
	More(i, n int) bool
	// Key reads the key of a dictionary entry, a string, as bytes valid
	// until the next call, which must not be written (they may be a
	// string's); false when the key is not a plain string (the caller then
	// gives up).
	Key() ([]byte, bool)
	// Value reads the next value as the serialization's decoder gives it
	// in a message (the canonical types); false when it does not.
	Value() (any, bool)
	// Done reports whether the whole input was read, and read well.
	Done() bool
}
