package codec

// Option changes how a Decode function works. Options are sealed: only this
// package makes them.
type Option interface{ apply(*decodeState) }

// Strict makes unknown keyword arguments, unknown object keys and unexpected
// extra positional arguments an error instead of being ignored.
func Strict() Option { return strictOption{} }

type strictOption struct{}

func (strictOption) apply(d *decodeState) { d.strict = true }
