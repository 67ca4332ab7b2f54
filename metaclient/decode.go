package metaclient

import (
	"errors"
	"fmt"
	"slices"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/codec"
)

// The shapes routers answer differ (see DESIGN.md, "Routers differ"). The
// codec reads every encoding of a value (any integer width, an exact float,
// json.Number, the named types of an in-process router, the created
// timestamps of nexus and Crossbar); these helpers add the meta-API's own
// tolerances on top of it.

// decodeID reads an ID; null and 0 both mean "none" (ID 0).
func decodeID(v any) (client.ID, error) {
	var id client.ID
	if err := codec.DecodeValue(v, &id); err != nil {
		return 0, fmt.Errorf("not an ID: %w", quiet(err))
	}
	return id, nil
}

// decodeIDs reads a list of IDs without the "none" ones; null is an empty
// list, and a single ID is a list of one (nexus and Crossbar answer match
// with one ID, Bondy with a list).
func decodeIDs(v any) ([]client.ID, error) {
	var ids []client.ID
	var id client.ID
	if codec.DecodeValue(v, &id) == nil {
		ids = []client.ID{id}
	} else if err := codec.DecodeValue(v, &ids); err != nil {
		return nil, fmt.Errorf("not an ID or a list of IDs: %w", quiet(err))
	}
	ids = slices.DeleteFunc(ids, func(id client.ID) bool { return id == 0 })
	if len(ids) == 0 {
		return nil, nil
	}
	return ids, nil
}

// decodeLists reads the answer of list: a dictionary of ID lists by match
// policy, where null and absent lists are empty.
func decodeLists(v any) (Lists, error) {
	d, err := decodeDict(v)
	if err != nil {
		return Lists{}, err
	}
	var l Lists
	for key, dst := range map[string]*[]client.ID{"exact": &l.Exact, "prefix": &l.Prefix, "wildcard": &l.Wildcard} {
		if *dst, err = decodeIDs(d[key]); err != nil {
			return Lists{}, fmt.Errorf("%s: %w", key, quiet(err))
		}
	}
	return l, nil
}

// decodeCount reads a number of sessions.
func decodeCount(v any) (int, error) {
	var n uint32
	if err := codec.DecodeValue(v, &n); err != nil {
		return 0, fmt.Errorf("not a count: %w", quiet(err))
	}
	return int(n), nil
}

// ignore reads an answer that says nothing (remove_callee's).
func ignore(any) (struct{}, error) { return struct{}{}, nil }

// decodeDict reads a dictionary; null gives a nil map.
func decodeDict(v any) (map[string]any, error) {
	var d map[string]any
	if err := codec.DecodeValue(v, &d); err != nil {
		return nil, fmt.Errorf("not a dictionary: %w", quiet(err))
	}
	return d, nil
}

// decodeRegistration reads a registration details dictionary (get,
// on_create). id and uri are required; an absent or empty match or invoke
// reads as Exact or Single; created may be absent.
func decodeRegistration(v any) (Registration, error) {
	d, err := decodeDict(v)
	if err != nil {
		return Registration{}, fmt.Errorf("registration details: %w", quiet(err))
	}
	if d == nil {
		return Registration{}, errors.New("registration details are null, not a dictionary")
	}
	if d["created"] == "" {
		delete(d, "created") // no timestamp; d is the codec's own copy
	}
	var reg Registration
	if err := codec.DecodeValue(d, &reg); err != nil {
		return Registration{}, err
	}
	switch {
	case reg.ID == 0:
		return Registration{}, errors.New("registration details without an id")
	case reg.URI == "":
		return Registration{}, errors.New("registration details without a uri")
	}
	if reg.Match == "" {
		reg.Match = Exact
	}
	if reg.Invoke == "" {
		reg.Invoke = Single
	}
	return reg, nil
}

// quiet leaves codec's prefix out of a decode error's text: the message
// that wraps it says what was decoded.
func quiet(err error) error {
	var de *codec.DecodeError
	if errors.As(err, &de) && de == err {
		return de.Quiet()
	}
	return err
}
