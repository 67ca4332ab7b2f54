package client

import (
	"fmt"
	"strings"
	"unicode"
)

// ValidateURI checks a procedure or topic URI before anything is sent. match
// is "" (exact), MatchExact, MatchPrefix or MatchWildcard: prefix URIs may end with an empty
// component ("com.app."), wildcard URIs may have empty components
// ("com..get"). Loose rules (the default) forbid empty components elsewhere,
// whitespace and '#'; strict rules allow only [0-9a-z_] in components. The
// error matches ErrInvalidURI.
func ValidateURI(uri string, match Match, strict bool) error {
	if (match == "" || match == MatchExact) && plainURI(uri, strict) {
		return nil
	}
	return checkURI(uri, match, strict)
}

// uriBytes[strict] marks the ASCII bytes a URI component may hold under
// loose (false) and strict (true) rules.
var uriBytes = func() (t [2][128]bool) {
	for c := range 128 {
		t[0][c] = c > ' ' && c < 0x7f && c != '#' && c != '.' // loose: printable, no '#' (controls go to checkURI)
		t[1][c] = c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_'
	}
	return t
}()

// plainURI reports whether uri is valid as an exact URI and is ASCII: no
// empty component, and only bytes its rules allow. It runs on every call
// and publication, four times faster than checkURI; for anything
// else, valid or not, it says false and checkURI decides (and says why).
func plainURI(uri string, strict bool) bool {
	allowed := &uriBytes[0]
	if strict {
		allowed = &uriBytes[1]
	}
	empty := true // the component so far
	for i := 0; i < len(uri); i++ {
		c := uri[i]
		switch {
		case c == '.':
			if empty {
				return false
			}
			empty = true
		case c < 0x80 && allowed[c]:
			empty = false
		default:
			return false
		}
	}
	return !empty
}

// checkURI is ValidateURI's full check.
func checkURI(uri string, match Match, strict bool) error {
	if uri == "" && match != MatchPrefix {
		return invalidURI(uri, "is empty")
	}
	// Walk the components without splitting: validation runs on every call.
	for i, pos := 0, 0; pos <= len(uri); i++ {
		end := strings.IndexByte(uri[pos:], '.')
		last := end < 0
		if last {
			end = len(uri) - pos
		}
		part := uri[pos : pos+end]
		pos += end + 1
		if part == "" {
			switch {
			case match == MatchWildcard:
			case match == MatchPrefix && last:
			default:
				return invalidURI(uri, fmt.Sprintf("has an empty component at position %d", i+1))
			}
			continue
		}
		for _, r := range part {
			if unicode.IsSpace(r) || r == '#' {
				return invalidURI(uri, fmt.Sprintf("has %q in component %q", r, part))
			}
			if strict && !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
				return invalidURI(uri, fmt.Sprintf("has %q in component %q (strict URIs allow [0-9a-z_])", r, part))
			}
		}
	}
	if match != "" && !match.Valid() {
		return fmt.Errorf("%w: match policy %q (want exact, prefix or wildcard)", ErrInvalidOption, match)
	}
	return nil
}

func invalidURI(uri, why string) error {
	return &uriError{uri: uri, why: why}
}
