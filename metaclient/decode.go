package metaclient

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/wampkit/wampkit/client"
)

// The shapes routers answer differ (see DESIGN.md, "Routers differ"); these
// helpers accept all of them.

// asID reads an ID from any numeric type a decoder produces: every
// integer width (msgpack, CBOR, in-process wamp.ID), float64 holding an
// integer (JSON) and json.Number. null and 0 both mean "none" (id 0).
// Negative, fractional and non-numeric values are errors.
func asID(v any) (client.ID, error) {
	switch n := v.(type) {
	case nil:
		return 0, nil
	case uint64:
		return client.ID(n), nil
	case int64:
		if n >= 0 {
			return client.ID(n), nil
		}
	case float64:
		if n >= 0 && n <= 1<<53 && n == math.Trunc(n) {
			return client.ID(n), nil
		}
	case json.Number:
		if u, err := strconv.ParseUint(string(n), 10, 64); err == nil {
			return client.ID(u), nil
		}
	default:
		if u, ok := asUint(v); ok {
			return client.ID(u), nil
		}
	}
	return 0, fmt.Errorf("not an ID: %v (%T)", v, v)
}

// asIDs reads a list of IDs; null is an empty list, and a single ID is a
// list of one (Crossbar and nexus answer match with one ID).
func asIDs(v any) ([]client.ID, error) {
	if v == nil {
		return nil, nil
	}
	list, ok := asList(v)
	if !ok {
		id, err := asID(v)
		if err != nil {
			return nil, err
		}
		if id == 0 {
			return nil, nil
		}
		return []client.ID{id}, nil
	}
	out := make([]client.ID, 0, len(list))
	for i, x := range list {
		id, err := asID(x)
		if err != nil {
			return nil, fmt.Errorf("[%d]: %w", i, err)
		}
		if id != 0 {
			out = append(out, id)
		}
	}
	return out, nil
}

// asDict reads the dictionary shapes decoders produce.
func asDict(v any) (map[string]any, bool) {
	switch m := v.(type) {
	case map[string]any:
		return m, true
	case map[any]any:
		d := make(map[string]any, len(m))
		for k, x := range m {
			ks, ok := k.(string)
			if !ok {
				return nil, false
			}
			d[ks] = x
		}
		return d, true
	}
	if d, ok := asNamedDict(v); ok {
		return d, true
	}
	return nil, false
}

// createdLayouts are the timestamp forms routers send: RFC 3339 with or
// without fractions (Crossbar: "2026-01-04T12:03:56.123Z") and nexus's
// local time with a colon-less offset ("2026-03-03T09:16:37-1000").
var createdLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05.999999999",
}

func parseCreated(s string) (time.Time, error) {
	for _, layout := range createdLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("created %q is not a timestamp", s)
}

// parseRegistration reads a registration details dictionary (get,
// on_create). id and uri are required; an absent or empty match or invoke
// reads as Exact or Single; created may be absent.
func parseRegistration(v any) (Registration, error) {
	d, ok := asDict(v)
	if !ok {
		return Registration{}, fmt.Errorf("registration details are %T, not a dictionary", v)
	}
	id, err := asID(d["id"])
	if err != nil {
		return Registration{}, fmt.Errorf("id: %w", err)
	}
	if id == 0 {
		return Registration{}, errors.New("registration details without an id")
	}
	reg := Registration{ID: id, Match: Exact, Invoke: Single}
	if reg.URI, err = optString(d, "uri"); err != nil {
		return Registration{}, err
	}
	if reg.URI == "" {
		return Registration{}, errors.New("registration details without a uri")
	}
	m, err := optString(d, "match")
	if err != nil {
		return Registration{}, err
	}
	p, err := optString(d, "invoke")
	if err != nil {
		return Registration{}, err
	}
	c, err := optString(d, "created")
	if err != nil {
		return Registration{}, err
	}
	if m != "" {
		reg.Match = Match(m)
	}
	if p != "" {
		reg.Invoke = Policy(p)
	}
	if c != "" {
		if reg.Created, err = parseCreated(c); err != nil {
			return Registration{}, err
		}
	}
	return reg, nil
}

// optString reads d[key] as a string: "" when absent or null, an error when
// it is another type.
func optString(d map[string]any, key string) (string, error) {
	switch s := d[key].(type) {
	case nil:
		return "", nil
	case string:
		return s, nil
	default:
		if str, ok := asString(s); ok { // wamp.URI in process
			return str, nil
		}
		return "", fmt.Errorf("%s is %v (%T), not a string", key, s, s)
	}
}

func orEmpty(v any) any {
	if v == nil {
		return ""
	}
	return v
}
