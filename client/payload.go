package client

// ID is a WAMP identifier: a session, request, registration, subscription or
// publication ID. WAMP IDs are integers in [1, 2^53]; 0 means "none".
type ID uint64

// Payload is the raw positional and keyword arguments of a WAMP message. The
// typed packages pass a Payload through unchanged, so it is the escape hatch
// when a procedure's arguments do not fit one Go type.
type Payload struct {
	Args   []any
	Kwargs map[string]any
	// Passthru, when set, is a payload in Payload Passthru Mode (see
	// [Passthru]): it is sent instead of Args and Kwargs, which must then
	// be empty; a received PPT message has it set and no Args or Kwargs.
	Passthru *Passthru
}

// IsZero reports whether p carries no arguments at all.
func (p Payload) IsZero() bool { return len(p.Args) == 0 && len(p.Kwargs) == 0 && p.Passthru == nil }
