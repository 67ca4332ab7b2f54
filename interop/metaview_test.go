//go:build interop

package interop

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/wampkit/wampkit/client"
)

// metaView is wampkit's view of the registration meta API.
type metaView interface {
	List(ctx context.Context) (map[string][]client.ID, error)
	Lookup(ctx context.Context, uri, match string) (client.ID, bool, error)
	Match(ctx context.Context, uri string) ([]client.ID, error)
	Get(ctx context.Context, id client.ID) (metaReg, error)
	ListCallees(ctx context.Context, id client.ID) ([]client.ID, error)
	CountCallees(ctx context.Context, id client.ID) (int, error)
}

// rawMeta calls wamp.registration.* with the raw client.
// TODO: replace with metaclient once it lands.
type rawMeta struct{ c *client.Client }

func newMetaView(c *client.Client) metaView { return rawMeta{c} }

func (r rawMeta) call(ctx context.Context, proc string, out any, args ...any) error {
	res, err := r.c.Call(ctx, client.CallRequest{Procedure: proc, Payload: client.Payload{Args: args}}, nil)
	if err != nil {
		return err
	}
	var v any
	if len(res.Args) > 0 {
		v = res.Args[0]
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

func (r rawMeta) List(ctx context.Context) (map[string][]client.ID, error) {
	var out map[string][]client.ID
	return out, r.call(ctx, "wamp.registration.list", &out)
}

func (r rawMeta) Lookup(ctx context.Context, uri, match string) (client.ID, bool, error) {
	var id *client.ID
	err := r.call(ctx, "wamp.registration.lookup", &id, uri, map[string]any{"match": match})
	if err != nil || id == nil || *id == 0 {
		return 0, false, err
	}
	return *id, true, nil
}

func (r rawMeta) Match(ctx context.Context, uri string) ([]client.ID, error) {
	var id *client.ID
	err := r.call(ctx, "wamp.registration.match", &id, uri)
	if err != nil || id == nil || *id == 0 {
		return nil, err
	}
	return []client.ID{*id}, nil
}

func (r rawMeta) Get(ctx context.Context, id client.ID) (metaReg, error) {
	var d map[string]any
	if err := r.call(ctx, "wamp.registration.get", &d, id); err != nil {
		return metaReg{}, err
	}
	created, _ := parseCreated(d["created"])
	f, _ := d["id"].(float64)
	uri, _ := d["uri"].(string)
	return metaReg{ID: client.ID(f), URI: uri, Match: normalize(d["match"], "exact"), Invoke: normalize(d["invoke"], "single"), Created: created}, nil
}

func (r rawMeta) ListCallees(ctx context.Context, id client.ID) ([]client.ID, error) {
	var out []client.ID
	return out, r.call(ctx, "wamp.registration.list_callees", &out, id)
}

func (r rawMeta) CountCallees(ctx context.Context, id client.ID) (int, error) {
	var n int
	if err := r.call(ctx, "wamp.registration.count_callees", &n, id); err != nil {
		return 0, fmt.Errorf("count_callees: %w", err)
	}
	return n, nil
}
