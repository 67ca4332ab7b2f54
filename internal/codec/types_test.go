package codec_test

import (
	"net/netip"
	"time"
)

// Types shared by the tests, benchmarks and fuzz target.

type Base struct {
	ID      uint64 `json:"id"`
	Created time.Time
}

type Named struct {
	Tagged  string `wamp:"tagged" json:"ignored"`
	JSON    string `json:"js,omitempty"`
	Plain   string
	Skipped string `json:"-"`
	Forced  string `wamp:"forced" json:"-"`
	private string
}

type User struct {
	Base
	Name   string            `wamp:"name,required"`
	Age    int8              `json:"age,omitempty"`
	Tags   []int             `json:"tags"`
	Attrs  map[string]string `json:"attrs,omitempty"`
	Score  float64           `json:"score"`
	Friend *User             `json:"friend,omitempty"`
	Blob   []byte            `json:"blob,omitempty"`
	Addr   netip.Addr        `json:"addr,omitzero"`
	Extra  any               `json:"extra,omitempty"`
}

type Add struct {
	A    int    `wamp:"#0"`
	B    int    `wamp:"#1,required"`
	Note string `json:"note,omitempty"`
}

type Wrapper struct {
	User User `json:"user"`
	IDs  []ID `json:"ids"`
}

// ID is a named uint64, as WAMP IDs are in package client.
type ID uint64

type Numbers struct {
	I   int     `json:"i"`
	I8  int8    `json:"i8"`
	I64 int64   `json:"i64"`
	U   uint    `json:"u"`
	U8  uint8   `json:"u8"`
	U64 uint64  `json:"u64"`
	F32 float32 `json:"f32"`
	F64 float64 `json:"f64"`
}

type Ten struct {
	A int                `json:"a"`
	B string             `json:"b"`
	C float64            `json:"c"`
	D bool               `json:"d"`
	E []string           `json:"e"`
	F map[string]int     `json:"f"`
	G uint64             `json:"g"`
	H *int               `json:"h"`
	I time.Time          `json:"i"`
	J struct{ X, Y int } `json:"j"`
}
