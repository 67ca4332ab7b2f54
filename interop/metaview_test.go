//go:build interop

package interop

import (
	"context"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/metaclient"
)

// metaView is wampkit's view of the registration meta API, as the meta
// cells compare it with Autobahn|JS's.
type metaView interface {
	List(ctx context.Context) (map[string][]client.ID, error)
	Lookup(ctx context.Context, uri, match string) (client.ID, bool, error)
	Match(ctx context.Context, uri string) ([]client.ID, error)
	Get(ctx context.Context, id client.ID) (metaReg, error)
	ListCallees(ctx context.Context, id client.ID) ([]client.ID, error)
	CountCallees(ctx context.Context, id client.ID) (int, error)
}

// mcView is metaclient behind metaView.
type mcView struct{ m *metaclient.Client }

func newMetaView(c *client.Client) metaView { return mcView{metaclient.New(c)} }

func (v mcView) List(ctx context.Context) (map[string][]client.ID, error) {
	l, err := v.m.List(ctx)
	return map[string][]client.ID{"exact": l.Exact, "prefix": l.Prefix, "wildcard": l.Wildcard}, err
}

func (v mcView) Lookup(ctx context.Context, uri, match string) (client.ID, bool, error) {
	return v.m.Lookup(ctx, uri, metaclient.Match(match))
}

func (v mcView) Match(ctx context.Context, uri string) ([]client.ID, error) {
	return v.m.Match(ctx, uri)
}

func (v mcView) Get(ctx context.Context, id client.ID) (metaReg, error) {
	r, err := v.m.Get(ctx, id)
	return metaReg{ID: r.ID, URI: r.URI, Match: string(r.Match), Invoke: string(r.Invoke), Created: r.Created}, err
}

func (v mcView) ListCallees(ctx context.Context, id client.ID) ([]client.ID, error) {
	return v.m.ListCallees(ctx, id)
}

func (v mcView) CountCallees(ctx context.Context, id client.ID) (int, error) {
	return v.m.CountCallees(ctx, id)
}
