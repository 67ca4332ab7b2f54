//go:build interop

package interop

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/wampkit/wampkit/callee"
	"github.com/wampkit/wampkit/client"
)

// The registration kinds a meta cell registers with wampkit callees.
var metaKinds = []string{"exact", "prefix", "wildcard", "shared"}

const removeReason = "com.example.interop.removed"

// metaRun is what a meta cell set up and what wampkit's side saw.
type metaRun struct {
	uris     map[string]string // kind -> registered URI or pattern
	matches  map[string]string // kind -> a URI that only that registration matches
	regs     map[string]*callee.Registration
	sharedB  *callee.Registration // the second callee's share of "shared"
	sessionA client.ID
	sessionB client.ID
	viewer   metaView     // wampkit's metaclient, on the first callee's client
	view     metaSnapshot // what wampkit's metaclient said, before the removal
	after    metaAfter    // after Autobahn|JS's remove_callee
}

// metaSnapshot is wampkit's metaclient view of the cell's registrations.
type metaSnapshot struct {
	lists   map[string][]client.ID // "exact", "prefix", "wildcard" -> IDs (all of the router's)
	lookup  map[string]client.ID
	match   map[string][]client.ID
	get     map[string]metaReg
	callees map[string][]client.ID
	count   map[string]int
}

type metaReg struct {
	ID      client.ID
	URI     string
	Match   string // normalized: exact, prefix or wildcard
	Invoke  string // normalized: single, roundrobin, ...
	Created time.Time
}

type metaAfter struct {
	revokedErr error // sharedB.Err() once Done closed (nil: not closed within 5s)
	revoked    bool
	aAlive     bool // the first callee's share is still registered
	count      int  // wampkit count_callees of "shared"
	countErr   error
}

// runMetaCell: Autobahn|JS reads the registration meta API of the reference
// router while wampkit callees are registered, and removes one of them as
// the admin; wampkit's metaclient must see the same.
func runMetaCell(t *testing.T, m *matrix, c cell, rt testRouter) {
	ctx := ctxFor(t, time.Minute)
	run, err := setupMeta(ctx, t, c, rt)
	if err != nil {
		m.failAll(t, c, metaScenarios, "setup: "+err.Error())
		return
	}
	metaEnv, err := json.Marshal(map[string]any{"lookup": run.uris, "match": run.matches, "remove_session": run.sessionB})
	if err != nil {
		t.Fatal(err)
	}
	p := startPeer(t, peerSpec{
		peer: c.peer, role: roleMeta, router: rt, serializer: c.serializer, prefix: c.prefix(),
		env: map[string]string{
			"WAMP_META":         string(metaEnv),
			"WAMP_ADMIN_AUTHID": rt.adminAuthID,
			"WAMP_ADMIN_TICKET": rt.adminTicket,
		},
	})
	if err := p.finish(peerDeadline); err != nil {
		t.Errorf("%s meta: %v", c.peer, err)
	}
	run.after = observeRemoval(ctx, run)
	reports := p.scenarios()
	for _, sc := range metaScenarios {
		m.judge(t, c, sc, obs{report: reports[sc.name], meta: run})
	}
}

// setupMeta connects two wampkit callees (A and B), registers one
// registration of each kind (B shares "shared" with A), and takes
// wampkit's metaclient view of them.
func setupMeta(ctx context.Context, t *testing.T, c cell, rt testRouter) (*metaRun, error) {
	a, err := connect(ctx, t, rt, c.serializer)
	if err != nil {
		return nil, err
	}
	b, err := connect(ctx, t, rt, c.serializer)
	if err != nil {
		return nil, err
	}
	p := c.prefix()
	run := &metaRun{
		uris: map[string]string{"exact": p + ".exact", "prefix": p + ".pfx", "wildcard": p + "..wild", "shared": p + ".shared"},
		matches: map[string]string{
			"exact": p + ".exact", "prefix": p + ".pfx.deeper", "wildcard": p + ".any.wild", "shared": p + ".shared",
		},
		regs:     map[string]*callee.Registration{},
		sessionA: a.ID(),
		sessionB: b.ID(),
	}
	h := func(context.Context, client.Payload) (any, error) { return nil, nil }
	opts := map[string][]callee.Option{
		"prefix":   {callee.MatchPrefix()},
		"wildcard": {callee.MatchWildcard()},
		"shared":   {callee.Invoke(callee.RoundRobin)},
	}
	for _, kind := range metaKinds {
		if run.regs[kind], err = callee.Register(ctx, a, run.uris[kind], h, opts[kind]...); err != nil {
			return nil, fmt.Errorf("register %s: %w", kind, err)
		}
	}
	if run.sharedB, err = callee.Register(ctx, b, run.uris["shared"], h, opts["shared"]...); err != nil {
		return nil, fmt.Errorf("register shared on the second callee: %w", err)
	}
	run.viewer = newMetaView(a)
	run.view, err = takeSnapshot(ctx, run.viewer, run)
	return run, err
}

func takeSnapshot(ctx context.Context, v metaView, run *metaRun) (metaSnapshot, error) {
	s := metaSnapshot{
		lookup: map[string]client.ID{}, match: map[string][]client.ID{}, get: map[string]metaReg{},
		callees: map[string][]client.ID{}, count: map[string]int{},
	}
	var err error
	if s.lists, err = v.List(ctx); err != nil {
		return s, fmt.Errorf("metaclient list: %w", err)
	}
	for _, kind := range metaKinds {
		match := kind
		if kind == "shared" {
			match = "exact"
		}
		id, ok, err := v.Lookup(ctx, run.uris[kind], match)
		if err != nil || !ok {
			return s, fmt.Errorf("metaclient lookup %s: found %v, %w", kind, ok, err)
		}
		s.lookup[kind] = id
		if s.match[kind], err = v.Match(ctx, run.matches[kind]); err != nil {
			return s, fmt.Errorf("metaclient match %s: %w", kind, err)
		}
		if s.get[kind], err = v.Get(ctx, id); err != nil {
			return s, fmt.Errorf("metaclient get %s: %w", kind, err)
		}
		if s.callees[kind], err = v.ListCallees(ctx, id); err != nil {
			return s, fmt.Errorf("metaclient list_callees %s: %w", kind, err)
		}
		if s.count[kind], err = v.CountCallees(ctx, id); err != nil {
			return s, fmt.Errorf("metaclient count_callees %s: %w", kind, err)
		}
	}
	return s, nil
}

// observeRemoval waits for the removed callee's registration to end and
// asks the metaclient again.
func observeRemoval(ctx context.Context, run *metaRun) metaAfter {
	var after metaAfter
	select {
	case <-run.sharedB.Done():
		after.revoked, after.revokedErr = true, run.sharedB.Err()
	case <-time.After(5 * time.Second):
	}
	select {
	case <-run.regs["shared"].Done():
	default:
		after.aAlive = true
	}
	after.count, after.countErr = run.viewer.CountCallees(ctx, run.regs["shared"].ID())
	return after
}

// --- scenarios ---

var metaScenarios = func() []scenarioDef {
	var out []scenarioDef
	out = append(out, scenarioDef{"list", checkMetaList})
	for _, kind := range metaKinds {
		out = append(out, scenarioDef{"lookup_" + kind, func(o obs) error { return checkMetaLookup(o, kind) }})
	}
	for _, kind := range metaKinds {
		if kind == "shared" {
			continue
		}
		out = append(out, scenarioDef{"match_" + kind, func(o obs) error { return checkMetaMatch(o, kind) }})
	}
	for _, kind := range metaKinds {
		out = append(out,
			scenarioDef{"get_" + kind, func(o obs) error { return checkMetaGet(o, kind) }},
			scenarioDef{"list_callees_" + kind, func(o obs) error { return checkMetaCallees(o, kind) }},
			scenarioDef{"count_callees_" + kind, func(o obs) error { return checkMetaCount(o, kind) }},
		)
	}
	return append(out,
		scenarioDef{"remove_callee_anonymous", checkRemoveAnonymous},
		scenarioDef{"remove_callee_admin", checkRemoveAdmin},
		scenarioDef{"count_callees_shared_after", checkCountAfter},
	)
}()

// metaValue is the value Autobahn|JS reported for a meta scenario.
func metaValue(o obs) (any, error) {
	if o.report == nil {
		return nil, errors.New("Autobahn|JS reported nothing for this scenario")
	}
	if e, ok := o.report["error"]; ok {
		return nil, fmt.Errorf("Autobahn|JS got an error: %v", e)
	}
	return o.report["value"], nil
}

// metaIDs is the ID or IDs Autobahn|JS reported for the scenario.
func metaIDs(o obs) ([]client.ID, error) {
	v, err := metaValue(o)
	if err != nil {
		return nil, err
	}
	return ids(v)
}

// ids reads one ID, or a list of IDs, as Autobahn|JS reported them (0 and
// null are "none").
func ids(v any) ([]client.ID, error) {
	switch v := v.(type) {
	case nil:
		return nil, nil
	case float64:
		if v == 0 {
			return nil, nil
		}
		if v < 0 || v != float64(uint64(v)) {
			return nil, fmt.Errorf("%v is not an ID", v)
		}
		return []client.ID{client.ID(v)}, nil
	case []any:
		var out []client.ID
		for _, e := range v {
			one, err := ids(e)
			if err != nil {
				return nil, err
			}
			out = append(out, one...)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%v (%T) is not an ID or a list of IDs", v, v)
}

func sameIDs(a, b []client.ID) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func checkMetaList(o obs) error {
	v, err := metaValue(o)
	if err != nil {
		return err
	}
	lists, _ := v.(map[string]any)
	run := o.meta
	want := map[string][]string{"exact": {"exact", "shared"}, "prefix": {"prefix"}, "wildcard": {"wildcard"}}
	for list, kinds := range want {
		got, err := ids(lists[list])
		if err != nil {
			return fmt.Errorf("list.%s: %w", list, err)
		}
		for _, kind := range kinds {
			id := run.regs[kind].ID()
			if !slices.Contains(got, id) {
				return fmt.Errorf("Autobahn|JS list.%s %v lacks the %s registration %d", list, got, kind, id)
			}
			if !slices.Contains(run.view.lists[list], id) {
				return fmt.Errorf("metaclient list.%s %v lacks the %s registration %d", list, run.view.lists[list], kind, id)
			}
		}
	}
	return nil
}

func checkMetaLookup(o obs, kind string) error {
	got, err := metaIDs(o)
	if err != nil {
		return err
	}
	id := o.meta.regs[kind].ID()
	if len(got) != 1 || got[0] != id || o.meta.view.lookup[kind] != id {
		return fmt.Errorf("lookup: Autobahn|JS %v, metaclient %d, registration handle %d", got, o.meta.view.lookup[kind], id)
	}
	return nil
}

func checkMetaMatch(o obs, kind string) error {
	got, err := metaIDs(o)
	if err != nil {
		return err
	}
	want := []client.ID{o.meta.regs[kind].ID()}
	if !sameIDs(got, want) || !sameIDs(o.meta.view.match[kind], want) {
		return fmt.Errorf("match %s: Autobahn|JS %v, metaclient %v, want %v", o.meta.matches[kind], got, o.meta.view.match[kind], want)
	}
	return nil
}

func checkMetaGet(o obs, kind string) error {
	v, err := metaValue(o)
	if err != nil {
		return err
	}
	d, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("get gave %v, want a dictionary", v)
	}
	gotID, err := ids(d["id"])
	if err != nil {
		return err
	}
	wantMatch := map[string]string{"exact": "exact", "prefix": "prefix", "wildcard": "wildcard", "shared": "exact"}[kind]
	wantInvoke := "single"
	if kind == "shared" {
		wantInvoke = "roundrobin"
	}
	mc := o.meta.view.get[kind]
	id := o.meta.regs[kind].ID()
	switch {
	case len(gotID) != 1 || gotID[0] != id || mc.ID != id:
		return fmt.Errorf("get id: Autobahn|JS %v, metaclient %d, handle %d", d["id"], mc.ID, id)
	case d["uri"] != o.meta.uris[kind] || mc.URI != o.meta.uris[kind]:
		return fmt.Errorf("get uri: Autobahn|JS %v, metaclient %q, want %q", d["uri"], mc.URI, o.meta.uris[kind])
	case normalize(d["match"], "exact") != wantMatch || mc.Match != wantMatch:
		return fmt.Errorf("get match: Autobahn|JS %v, metaclient %q, want %q", d["match"], mc.Match, wantMatch)
	case normalize(d["invoke"], "single") != wantInvoke || mc.Invoke != wantInvoke:
		return fmt.Errorf("get invoke: Autobahn|JS %v, metaclient %q, want %q", d["invoke"], mc.Invoke, wantInvoke)
	}
	created, ok := parseCreated(d["created"])
	if !ok || mc.Created.IsZero() || created.Sub(mc.Created).Abs() > time.Second {
		return fmt.Errorf("get created: Autobahn|JS %v, metaclient %v", d["created"], mc.Created)
	}
	return nil
}

// normalize maps the empty string (nexus echoes unset options) to def.
func normalize(v any, def string) string {
	s, _ := v.(string)
	if s == "" {
		return def
	}
	return s
}

func parseCreated(v any) (time.Time, bool) {
	s, _ := v.(string)
	for _, layout := range []string{"2006-01-02T15:04:05-0700", time.RFC3339Nano, "2006-01-02T15:04:05.999999999-0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func checkMetaCallees(o obs, kind string) error {
	got, err := metaIDs(o)
	if err != nil {
		return err
	}
	want := []client.ID{o.meta.sessionA}
	if kind == "shared" {
		want = append(want, o.meta.sessionB)
	}
	if !sameIDs(got, want) || !sameIDs(o.meta.view.callees[kind], want) {
		return fmt.Errorf("list_callees: Autobahn|JS %v, metaclient %v, want sessions %v", got, o.meta.view.callees[kind], want)
	}
	return nil
}

func checkMetaCount(o obs, kind string) error {
	v, err := metaValue(o)
	if err != nil {
		return err
	}
	want := 1
	if kind == "shared" {
		want = 2
	}
	if n, _ := v.(float64); int(n) != want || o.meta.view.count[kind] != want {
		return fmt.Errorf("count_callees: Autobahn|JS %v, metaclient %d, want %d", v, o.meta.view.count[kind], want)
	}
	return nil
}

func checkRemoveAnonymous(o obs) error {
	e, err := reportError(o)
	if err != nil {
		return err
	}
	if e.URI != client.ErrNotAuthorized.URI {
		return fmt.Errorf("anonymous remove_callee: got %+v, want %s", e, client.ErrNotAuthorized.URI)
	}
	return nil
}

func checkRemoveAdmin(o obs) error {
	if _, err := metaValue(o); err != nil {
		return err
	}
	a := o.meta.after
	if !a.revoked {
		return errors.New("the removed wampkit registration's Done did not close within 5s")
	}
	var re *client.RevokedError
	if !errors.Is(a.revokedErr, callee.ErrRevoked) || !errors.As(a.revokedErr, &re) || re.Reason != removeReason {
		return fmt.Errorf("removed registration ended with %v, want callee.ErrRevoked with reason %s", a.revokedErr, removeReason)
	}
	if !a.aAlive {
		return errors.New("the other callee's share of the registration ended too")
	}
	return nil
}

func checkCountAfter(o obs) error {
	v, err := metaValue(o)
	if err != nil {
		return err
	}
	a := o.meta.after
	if n, _ := v.(float64); n != 1 || a.countErr != nil || a.count != 1 {
		return fmt.Errorf("count_callees after the removal: Autobahn|JS %v, metaclient %d (%v), want 1", v, a.count, a.countErr)
	}
	return nil
}
