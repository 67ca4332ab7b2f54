package codec

import "reflect"

// DecodeArgs decodes call arguments into dst, a non-nil pointer, by the
// callee-side rule (see the package documentation):
//
//   - a pointer stays nil when there are no arguments at all, else it is
//     allocated and the rule applies to what it points to;
//   - a struct takes keyword arguments by field name; fields tagged with a
//     position (`wamp:"#0"`) take positional arguments; a struct without
//     positional fields also accepts a single positional object [{...}],
//     merged with the keyword arguments (which win); a field tagged with
//     both a name and a position (`wamp:"name,#0"`) takes either, so one
//     struct accepts positional arguments, keyword arguments or a single
//     positional object;
//   - a slice or array takes all positional arguments, or the elements of a
//     single positional list when its element type cannot itself hold a list;
//   - a map or interface takes args[0] when present, else the kwargs object;
//   - any other type takes args[0], and stays zero when there is none.
//
// Unread arguments are ignored unless [Strict] is given.
func DecodeArgs(args []any, kwargs map[string]any, dst any, opts ...Option) error {
	rv, err := target("DecodeArgs", dst)
	if err != nil {
		return err
	}
	return newState(opts).decodeArgs(args, kwargs, rv)
}

func (d *decodeState) decodeArgs(args []any, kwargs map[string]any, v reflect.Value) error {
	t := v.Type()
	plan := objectPlan(t)
	switch {
	case t.Kind() == reflect.Pointer:
		if len(args) == 0 && len(kwargs) == 0 {
			v.SetZero()
			return nil
		}
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		return d.decodeArgs(args, kwargs, v.Elem())
	case plan != nil:
		return d.structArgs(plan, args, kwargs, v)
	case isListShape(t):
		return d.listArgs(args, kwargs, v)
	case t.Kind() == reflect.Map || t.Kind() == reflect.Interface:
		if len(args) == 0 && len(kwargs) > 0 {
			return decoderFor(t)(d, kwargs, v).finish("")
		}
	}
	v.SetZero()
	if len(args) == 0 {
		return nil
	}
	if e := d.checkDropped(args[1:], kwargs, t); e != nil {
		return e.finish("")
	}
	return decoderFor(t)(d, args[0], v).finish("args[0]")
}

// isListShape reports slice and array types that take all positional
// arguments; byte slices and text types are single values.
func isListShape(t reflect.Type) bool {
	k := t.Kind()
	if k != reflect.Slice && k != reflect.Array {
		return false
	}
	return t.Elem().Kind() != reflect.Uint8 && !reflect.PointerTo(t).Implements(textUnmarshalerType)
}

// canHoldList reports element types that a list could decode into, for which
// a single positional list stays one element.
func canHoldList(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array, reflect.Interface:
		return true
	case reflect.Struct:
		p := objectPlan(t)
		return p != nil && len(p.positional) > 0
	}
	return false
}

func (d *decodeState) listArgs(args []any, kwargs map[string]any, v reflect.Value) error {
	t := v.Type()
	if e := d.checkDropped(nil, kwargs, t); e != nil {
		return e.finish("")
	}
	if len(args) == 1 && !canHoldList(t.Elem()) {
		if list, ok := listOf(args[0]); ok {
			return decoderFor(t)(d, list, v).finish("args[0]")
		}
	}
	return decoderFor(t)(d, args, v).finish("args")
}

// structArgs applies the struct rule: positional fields from args, named
// fields from kwargs, or from a single positional object merged with kwargs.
func (d *decodeState) structArgs(p *structPlan, args []any, kwargs map[string]any, v reflect.Value) error {
	if p.err != nil {
		return planError(p).finish("")
	}
	v.SetZero()
	seen := newSeen(len(p.fields))
	var object map[string]any
	switch {
	case p.allHybrid && len(args) == 1 && isObject(args[0]):
		object, _ = asObject(args[0])
	case p.allHybrid && len(args) == 0:
		// keyword arguments only; required fields are checked below
	case len(p.positional) > 0:
		if e := d.decodePositional(p, args, v, &seen); e != nil {
			return e.finish("args")
		}
		if e := p.missingPositional(&seen); e != nil {
			return e.finish("args")
		}
	case len(args) == 1:
		if m, ok := asObject(args[0]); ok {
			object = m
		} else if args[0] != nil {
			return mismatch(p.typ.String(), args[0]).finish("args[0]")
		}
	case len(args) > 1 && d.strict:
		return (&DecodeError{Want: p.typ.String(), Got: args,
			Msg: "unexpected positional arguments"}).finish("args")
	}
	if e := d.decodeObject(p, kwargs, v, &seen, true); e != nil {
		return e.finish("")
	}
	if object != nil {
		if e := d.decodeObject(p, object, v, &seen, true); e != nil {
			return e.finish("")
		}
	}
	return p.missing(p.named, &seen).finish("")
}

func isObject(v any) bool {
	_, ok := asObject(v)
	return ok
}
