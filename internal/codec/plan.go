package codec

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// field describes one wire-visible field of a struct, flattened through
// embedded structs the way encoding/json does it.
type field struct {
	name      string       // wire name: wamp tag, else json tag, else Go name
	goName    string       // Go field name, for the case-insensitive fallback
	index     []int        // path through embedded structs
	typ       reflect.Type // field type
	ord       int          // position in structPlan.fields
	pos       int          // positional index from `wamp:"#n"`, -1 for named fields
	hybrid    bool         // positional, and also matched by name (`wamp:"name,#n"`)
	required  bool         // `wamp:",required"`: missing or null is an error
	omitEmpty bool         // omitempty in the wamp or json tag
	omitZero  bool         // omitzero in the wamp or json tag
	tagged    bool         // name came from a tag (dominance rule)
	depth     int          // embedding depth (dominance rule)
	direct    int          // index[0] when the field is not reached through an embedded struct, else -1
	scalar    scalarKind   // a bool, string or number type that fastDecode and fastEncode take
	bits      int          // typ.Bits() of a number
	named     bool         // typ is not a predeclared type

	dec lazy[decoder]       // decoderFor(typ)
	enc lazy[encoderFunc]   // encoderFor(typ)
	out lazy[directFunc]    // directFor(typ)
	in  lazy[directDecFunc] // directDecFor(typ)
}

// typeCache holds what build made for each type, made on first use (a
// build that loses a race to store is dropped).
type typeCache[F any] struct{ m sync.Map }

func (c *typeCache[F]) get(t reflect.Type, build func(reflect.Type) F) F {
	if f, ok := c.m.Load(t); ok {
		return f.(F)
	}
	f, _ := c.m.LoadOrStore(t, build(t))
	return f.(F)
}

// lazy remembers what build made for a type on first use, so a hot path
// reads it without a cache lookup (and a recursive type can be planned
// before its parts are).
type lazy[F any] struct{ p atomic.Pointer[F] }

func (l *lazy[F]) get(t reflect.Type, build func(reflect.Type) F) F {
	if p := l.p.Load(); p != nil {
		return *p
	}
	return l.fill(t, build)
}

func (l *lazy[F]) fill(t reflect.Type, build func(reflect.Type) F) F {
	f := build(t)
	l.p.Store(&f)
	return f
}

// scalarKind sorts field types by how fastDecode and fastEncode take them.
type scalarKind uint8

const (
	notScalar scalarKind = iota // through the type's decoder and encoder
	boolScalar
	stringScalar
	intScalar
	uintScalar
	floatScalar
)

// scalarOf returns the kind of t when t is a bool, string or number type
// whose decoder and encoder are decodeBool, decodeString, intDecoder,
// uintDecoder and floatDecoder and kindEncoder's: no text methods.
func scalarOf(t reflect.Type) scalarKind {
	if reflect.PointerTo(t).Implements(textUnmarshalerType) || reflect.PointerTo(t).Implements(textMarshalerType) {
		return notScalar
	}
	switch t.Kind() {
	case reflect.Bool:
		return boolScalar
	case reflect.String:
		return stringScalar
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return intScalar
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return uintScalar
	case reflect.Float32, reflect.Float64:
		return floatScalar
	}
	return notScalar
}

// fastDecode sets fv, the field f of the struct being decoded, from val when
// f is a scalar and val is what its decoder takes without error (a string
// for a string, a number that fits for a number), as its decoder would set
// it, and reports whether it did. Null, other types and numbers that do not
// fit are left to the decoder, which says why.
func (f *field) fastDecode(val any, fv reflect.Value) bool {
	switch f.scalar {
	case boolScalar:
		b, ok := val.(bool)
		if ok {
			fv.SetBool(b)
		}
		return ok
	case stringScalar:
		s, ok := val.(string)
		if ok {
			fv.SetString(s)
		}
		return ok
	case intScalar:
		i, ok := asInt(val, f.bits)
		if ok {
			fv.SetInt(i)
		}
		return ok
	case uintScalar:
		u, ok := asUint(val, f.bits)
		if ok {
			fv.SetUint(u)
		}
		return ok
	case floatScalar:
		x, ok := asFloat(val, f.bits)
		if ok {
			fv.SetFloat(x)
		}
		return ok
	}
	return false
}

// fastEncode is kindEncoder's encoder of f's type, which is a scalar, for
// fv: predeclared types pass as they are, named ones become the predeclared
// type of their kind.
func (f *field) fastEncode(fv reflect.Value) any {
	if !f.named {
		// Interface shares the memory of a value that is not addressable
		// (a field of the boxed argument): no allocation.
		return fv.Interface()
	}
	switch f.scalar {
	case boolScalar:
		return fv.Bool()
	case stringScalar:
		return fv.String()
	case intScalar:
		return fv.Int()
	case uintScalar:
		return fv.Uint()
	}
	return fv.Float()
}

// encoder returns the field type's encoder.
func (f *field) encoder() encoderFunc { return f.enc.get(f.typ, encoderFor) }

// decoder returns the field type's decoder.
func (f *field) decoder() decoder { return f.dec.get(f.typ, decoderFor) }

// structPlan is the per-type analysis of a struct, computed once.
type structPlan struct {
	typ        reflect.Type
	fields     []*field          // every field, in declaration order
	byName     map[string]*field // exact wire name
	byFold     map[string]*field // lower-cased wire and Go names
	named      []*field          // fields matched by name: unpositioned and hybrid ones
	positional []*field          // fields with a position, sorted by it
	posOnly    []*field          // those of them without a name
	allHybrid  bool              // every positional field also has a name
	posArgs    int               // positional arguments a struct encodes to (last non-hybrid position + 1)
	err        error             // invalid tags, reported on use
	leaf       bool              // isLeafStruct(typ): a value on the wire, not an object
	required   bool              // some field is required
	always     bool              // every field is written: none is omitted if empty or zero, none is promoted from an embedded struct
	// self holds decoderFor(typ) and encoderFor(typ), so that an entry
	// point that looked up the plan needs no second lookup.
	self struct {
		dec lazy[decoder]
		enc lazy[encoderFunc]
	}
}

// decoderOf returns decoderFor(t) for t, the type of plan p, which may be
// nil (no plan: not a struct encoded as an object).
func (p *structPlan) decoderOf(t reflect.Type) decoder {
	if p == nil {
		return decoderFor(t)
	}
	return p.self.dec.get(t, decoderFor)
}

// tagInfo is the parsed `wamp` and `json` tags of one struct field.
type tagInfo struct {
	name                string
	pos                 int
	hybrid              bool // `wamp:"name,#n"` or `wamp:",#n"`: positional or by name
	skip                bool
	required, omitEmpty bool
	omitZero            bool
	tagged              bool
}

// parseTags reads the wamp tag first and falls back to the json tag for the
// name; options (omitempty, omitzero) are honoured from either tag.
func parseTags(sf reflect.StructField) (tagInfo, error) {
	ti := tagInfo{pos: -1}
	wtag, hasW := sf.Tag.Lookup("wamp")
	jtag, hasJ := sf.Tag.Lookup("json")
	if wtag == "-" || (!hasW && jtag == "-") {
		ti.skip = true
		return ti, nil
	}
	wname, wopts, _ := strings.Cut(wtag, ",")
	jname, jopts, _ := strings.Cut(jtag, ",")
	if !hasJ || jtag == "-" {
		jname, jopts = "", ""
	}
	for _, o := range strings.Split(wopts+","+jopts, ",") {
		switch o {
		case "required":
			ti.required = true
		case "omitempty":
			ti.omitEmpty = true
		case "omitzero":
			ti.omitZero = true
		}
	}
	// One position per field: as the name (`wamp:"#1"`, positional only)
	// or as an option (`wamp:"name,#1"`, and `wamp:",#1"` whose name is
	// the json tag's or the Go field's, as for any other option).
	where := "" // the position as written
	if strings.HasPrefix(wname, "#") {
		where = wname
	}
	for _, o := range strings.Split(wopts, ",") {
		if !strings.HasPrefix(o, "#") {
			continue
		}
		if where != "" {
			return ti, fmt.Errorf("field %s: tag %q gives two positions (%s and %s)", sf.Name, wtag, where, o)
		}
		where = o
	}
	if where != "" {
		n, err := parsePosition(where)
		if err != nil {
			return ti, fmt.Errorf("field %s: %w", sf.Name, err)
		}
		if where == wname {
			ti.pos, wname = n, ""
		} else {
			ti.pos, ti.hybrid = n, true
		}
	}
	switch {
	case wname != "":
		ti.name, ti.tagged = wname, true
	case jname != "":
		ti.name, ti.tagged = jname, true
	default:
		ti.name = sf.Name
	}
	return ti, nil
}

// parsePosition reads a position, "#" and a decimal number from 0 to 255.
func parsePosition(s string) (int, error) {
	digits := s[1:]
	if digits == "" || len(digits) > 3 || strings.Trim(digits, "0123456789") != "" {
		return 0, fmt.Errorf("bad position %q (want #0 to #255)", s)
	}
	n, _ := strconv.Atoi(digits)
	if n > 255 {
		return 0, fmt.Errorf("bad position %q (want #0 to #255)", s)
	}
	return n, nil
}

// buildPlan analyses t (a struct type).
func buildPlan(t reflect.Type) *structPlan {
	p := &structPlan{typ: t, byName: map[string]*field{}, byFold: map[string]*field{}, leaf: isLeafStruct(t), always: true}
	all, err := collectFields(t)
	p.err = err
	p.fields = dominantFields(all)
	for i, f := range p.fields {
		f.ord = i
		f.direct = -1
		if len(f.index) == 1 {
			f.direct = f.index[0]
		}
		if f.scalar = scalarOf(f.typ); f.scalar >= intScalar {
			f.bits = f.typ.Bits()
		}
		f.named = f.typ.PkgPath() != ""
		p.byName[f.name] = f
		if f.pos >= 0 {
			p.positional = append(p.positional, f)
		}
		if f.pos < 0 || f.hybrid {
			p.named = append(p.named, f)
		}
		p.required = p.required || f.required
		p.always = p.always && f.direct >= 0 && !f.omitEmpty && !f.omitZero
	}
	p.allHybrid = len(p.positional) > 0
	for _, f := range p.positional {
		p.allHybrid = p.allHybrid && f.hybrid
		if !f.hybrid {
			p.posArgs = max(p.posArgs, f.pos+1)
			p.posOnly = append(p.posOnly, f)
		}
	}
	// Fold entries: wire names first, then Go names, without overriding.
	for _, f := range p.fields {
		if k := strings.ToLower(f.name); p.byFold[k] == nil {
			p.byFold[k] = f
		}
	}
	for _, f := range p.fields {
		if k := strings.ToLower(f.goName); p.byFold[k] == nil {
			p.byFold[k] = f
		}
	}
	slices.SortStableFunc(p.positional, func(a, b *field) int { return cmp.Compare(a.pos, b.pos) })
	for i := 1; i < len(p.positional) && p.err == nil; i++ {
		if p.positional[i].pos == p.positional[i-1].pos {
			p.err = fmt.Errorf("fields %s and %s share position #%d",
				p.positional[i-1].goName, p.positional[i].goName, p.positional[i].pos)
		}
	}
	return p
}

// collectFields walks t breadth-first through embedded structs, like
// encoding/json's typeFields, returning every candidate field.
func collectFields(t reflect.Type) ([]*field, error) {
	type item struct {
		typ   reflect.Type
		index []int
	}
	var out []*field
	var firstErr error
	current := []item{{typ: t}}
	visited := map[reflect.Type]bool{}
	for depth := 0; len(current) > 0; depth++ {
		var next []item
		for _, it := range current {
			if visited[it.typ] {
				continue
			}
			visited[it.typ] = true
			for i := range it.typ.NumField() {
				sf := it.typ.Field(i)
				ti, err := parseTags(sf)
				if err != nil && firstErr == nil {
					firstErr = err
				}
				if ti.skip || err != nil {
					continue
				}
				index := append(slices.Clone(it.index), i)
				ft := sf.Type
				if sf.Anonymous {
					if ft.Kind() == reflect.Pointer {
						ft = ft.Elem()
					}
					if !sf.IsExported() && ft.Kind() != reflect.Struct {
						continue
					}
					if !ti.tagged && ti.pos < 0 && ft.Kind() == reflect.Struct && !isLeafStruct(ft) {
						if sf.Type.Kind() == reflect.Pointer && !sf.IsExported() {
							// An unexported embedded pointer cannot be set
							// (whatever its type's name says: an alias
							// may name it otherwise), so nothing can be
							// decoded through it.
							continue
						}
						next = append(next, item{typ: ft, index: index})
						continue
					}
				} else if !sf.IsExported() {
					continue
				}
				out = append(out, &field{
					name: ti.name, goName: sf.Name, index: index, typ: sf.Type,
					pos: ti.pos, hybrid: ti.hybrid, required: ti.required, omitEmpty: ti.omitEmpty,
					omitZero: ti.omitZero, tagged: ti.tagged, depth: depth,
				})
			}
		}
		current = next
	}
	return out, firstErr
}

// dominantFields applies encoding/json's rule to fields sharing a wire name:
// the shallowest wins; among equals a single tagged one wins; otherwise the
// name is dropped. The result keeps declaration (index) order.
func dominantFields(all []*field) []*field {
	byName := map[string][]*field{}
	for _, f := range all {
		byName[f.name] = append(byName[f.name], f)
	}
	var out []*field
	for _, f := range all {
		group := byName[f.name]
		if dominant(group) == f {
			out = append(out, f)
		}
	}
	slices.SortFunc(out, func(a, b *field) int { return slices.Compare(a.index, b.index) })
	return out
}

func dominant(group []*field) *field {
	if len(group) == 1 {
		return group[0]
	}
	minDepth := group[0].depth
	for _, f := range group {
		minDepth = min(minDepth, f.depth)
	}
	var shallow, tagged []*field
	for _, f := range group {
		if f.depth == minDepth {
			shallow = append(shallow, f)
			if f.tagged {
				tagged = append(tagged, f)
			}
		}
	}
	switch {
	case len(shallow) == 1:
		return shallow[0]
	case len(tagged) == 1:
		return tagged[0]
	}
	return nil
}

// planCache holds *structPlan per struct type.
var planCache sync.Map

func planFor(t reflect.Type) *structPlan {
	if p, ok := planCache.Load(t); ok {
		return p.(*structPlan)
	}
	p, _ := planCache.LoadOrStore(t, buildPlan(t))
	return p.(*structPlan)
}

// fieldValue returns the field f of the addressable struct v, allocating nil
// embedded pointers on the way when alloc is set. It returns an invalid Value
// when a nil embedded pointer blocks the path and alloc is false.
func fieldValue(v reflect.Value, f *field, alloc bool) reflect.Value {
	if len(f.index) == 1 {
		return v.Field(f.index[0])
	}
	for i, x := range f.index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				if !alloc {
					return reflect.Value{}
				}
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v
}

// sentPositionally reports whether a struct of plan p (nil: not an object)
// goes out as positional arguments: it has positional fields, and not all of
// them also have a name. Encode and DecodeResult both ask, so that results
// round-trip.
func (p *structPlan) sentPositionally() bool {
	return p != nil && len(p.positional) > 0 && !p.allHybrid
}

// objectPlan returns the plan of t when t is a struct encoded as an object
// (not a leaf struct), else nil. It is isLeafStruct behind the plan cache.
func objectPlan(t reflect.Type) *structPlan {
	if t.Kind() != reflect.Struct {
		return nil
	}
	if p := planFor(t); !p.leaf {
		return p
	}
	return nil
}

// isLeafStruct reports struct types that are values on the wire, not objects:
// they are never flattened when embedded.
func isLeafStruct(t reflect.Type) bool {
	return t == timeType ||
		reflect.PointerTo(t).Implements(textUnmarshalerType) || t.Implements(textMarshalerType)
}
