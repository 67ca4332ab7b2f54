package codec

import (
	"reflect"
	"slices"
	"strings"
)

// seenSet records which fields of a plan received a value.
type seenSet struct {
	small uint64
	big   []bool
}

func newSeen(n int) seenSet {
	if n > 64 {
		return seenSet{big: make([]bool, n)}
	}
	return seenSet{}
}

func (s *seenSet) set(i int) {
	if s.big != nil {
		s.big[i] = true
		return
	}
	s.small |= 1 << uint(i)
}

func (s *seenSet) has(i int) bool {
	if s.big != nil {
		return s.big[i]
	}
	return s.small&(1<<uint(i)) != 0
}

func planError(p *structPlan) *DecodeError {
	return &DecodeError{Want: p.typ.String(), Msg: "invalid struct tags", Err: p.err}
}

// structDecoder decodes an object into a struct by field name, or, for a
// struct with positional fields, a list by position.
func structDecoder(t reflect.Type) decoder {
	p := planFor(t)
	return func(d *decodeState, in any, v reflect.Value) *DecodeError {
		if p.err != nil {
			return planError(p)
		}
		v.SetZero()
		if in == nil {
			return nil
		}
		seen := newSeen(len(p.fields))
		if m, ok := asObject(in); ok {
			if e := d.decodeObject(p, m, v, &seen, false); e != nil {
				return e
			}
			return p.missing(p.fields, &seen)
		}
		if list, ok := in.([]any); ok && len(p.positional) > 0 {
			if e := d.decodePositional(p, list, v, &seen); e != nil {
				return e
			}
			return p.missing(p.positional, &seen)
		}
		return mismatch(t.String(), in)
	}
}

// decodeField decodes val into field f of v and marks it seen; a null does
// not count as present for a required field.
func (d *decodeState) decodeField(f *field, val any, v reflect.Value, seen *seenSet) *DecodeError {
	if f.direct >= 0 && f.scalar != notScalar && f.fastDecode(val, v.Field(f.direct)) {
		seen.set(f.ord) // val is not null
		return nil
	}
	fv := fieldValue(v, f, true)
	if e := f.decoder()(d, val, fv); e != nil {
		return e
	}
	if val != nil || !f.required {
		seen.set(f.ord)
	}
	return nil
}

// decodeObject decodes the keys of m into the fields of p (only the named
// ones when namedOnly) that are not yet seen. Keys match a field's wire name
// exactly; keys left over then match a wire or Go field name
// case-insensitively; keys still left over are unknown.
func (d *decodeState) decodeObject(p *structPlan, m map[string]any, v reflect.Value, seen *seenSet, namedOnly bool) *DecodeError {
	fields := p.fields
	if namedOnly {
		fields = p.named
	}
	hits := 0
	for _, f := range fields {
		val, ok := m[f.name]
		if !ok {
			continue
		}
		hits++
		if seen.has(f.ord) {
			continue
		}
		if e := d.decodeField(f, val, v, seen); e != nil {
			return e.at(f.name)
		}
	}
	if hits == len(m) {
		return nil
	}
	return d.decodeLeftovers(p, m, v, seen, namedOnly)
}

func (d *decodeState) decodeLeftovers(p *structPlan, m map[string]any, v reflect.Value, seen *seenSet, namedOnly bool) *DecodeError {
	var folded, unknown []string
	usable := func(f *field) bool { return f != nil && (!namedOnly || f.pos < 0 || f.hybrid) }
	for k := range m {
		if usable(p.byName[k]) {
			continue
		}
		if usable(p.byFold[strings.ToLower(k)]) {
			folded = append(folded, k)
		} else {
			unknown = append(unknown, k)
		}
	}
	if d.strict && len(unknown) > 0 {
		k := slices.Min(unknown)
		return (&DecodeError{Got: m[k], Msg: "unknown field of " + p.typ.String()}).at(k)
	}
	slices.Sort(folded)
	for _, k := range folded {
		f := p.byFold[strings.ToLower(k)]
		if seen.has(f.ord) {
			continue
		}
		if e := d.decodeField(f, m[k], v, seen); e != nil {
			return e.at(k)
		}
	}
	return nil
}

// decodePositional decodes list elements into the positional fields of p.
// The error path holds the element index.
func (d *decodeState) decodePositional(p *structPlan, list []any, v reflect.Value, seen *seenSet) *DecodeError {
	for _, f := range p.positional {
		if f.pos >= len(list) {
			break
		}
		if f.hybrid && list[f.pos] == nil {
			// Encode sends a field with a name and a position by name,
			// with a null at its position: the keyword arguments, read
			// next, decide (and its requiredness is checked with them).
			continue
		}
		if e := d.decodeField(f, list[f.pos], v, seen); e != nil {
			return e.atIndex(f.pos)
		}
	}
	if last := p.positional[len(p.positional)-1].pos; d.strict && len(list) > last+1 {
		return (&DecodeError{Got: list[last+1], Msg: "unexpected extra positional argument of " +
			p.typ.String()}).atIndex(last + 1)
	}
	return nil
}

// missingPositional is missing for the fields taken by position only: one
// with a name too may still come by keyword.
func (p *structPlan) missingPositional(seen *seenSet) *DecodeError {
	return p.missing(p.posOnly, seen)
}

// missing reports the first required field of fields, some of p's, that
// was not seen.
func (p *structPlan) missing(fields []*field, seen *seenSet) *DecodeError {
	if !p.required {
		return nil
	}
	for _, f := range fields {
		if f.required && !seen.has(f.ord) {
			e := &DecodeError{Want: f.typ.String(), Msg: "missing required field"}
			if f.pos >= 0 {
				return e.atIndex(f.pos)
			}
			return e.at(f.name)
		}
	}
	return nil
}
