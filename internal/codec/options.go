package codec

// Option changes how a Decode function works. Options are sealed: only this
// package makes them.
type Option interface{ apply(*decodeState) }

type optionFunc func(*decodeState)

func (f optionFunc) apply(d *decodeState) { f(d) }

// Strict makes unknown keyword arguments, unknown object keys and unexpected
// extra positional arguments an error instead of being ignored.
func Strict() Option { return optionFunc(func(d *decodeState) { d.strict = true }) }
