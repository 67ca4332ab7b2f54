package metaclient_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/wamp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest"
	"github.com/wampkit/wampkit/metaclient"
)

// scripted is an in-process router that answers every CALL with the
// scripted result for its procedure: routers differ in shape, and this
// plays each of them.
type scripted map[string]wamp.Message // procedure -> RESULT or ERROR (request ID filled in)

func (s scripted) Attach(p wamp.Peer) error {
	go s.serve(p, nil)
	return nil
}

// recording is a scripted router that also hands over every CALL.
type recording struct {
	answers scripted
	calls   chan *wamp.Call
}

func (r recording) Attach(p wamp.Peer) error {
	go r.answers.serve(p, r.calls)
	return nil
}

func (s scripted) serve(p wamp.Peer, calls chan<- *wamp.Call) {
	defer p.Close()
	for msg := range p.Recv() {
		switch m := msg.(type) {
		case *wamp.Hello:
			p.Send() <- &wamp.Welcome{ID: 1, Details: wamp.Dict{}}
		case *wamp.Goodbye:
			p.Send() <- &wamp.Goodbye{Reason: wamp.CloseGoodbyeAndOut, Details: wamp.Dict{}}
			return
		case *wamp.Subscribe:
			p.Send() <- &wamp.Subscribed{Request: m.Request, Subscription: 9}
			if batch, ok := s[string(m.Topic)].(eventBatch); ok {
				for i, args := range batch {
					p.Send() <- &wamp.Event{Subscription: 9, Publication: wamp.ID(i + 1), Details: wamp.Dict{}, Arguments: args}
				}
			}
		case *wamp.Call:
			if calls != nil {
				calls <- m
			}
			switch ans := s[string(m.Procedure)].(type) {
			case *wamp.Result:
				r := *ans
				r.Request = m.Request
				p.Send() <- &r
			case *wamp.Error:
				e := *ans
				e.Request = m.Request
				p.Send() <- &e
			default:
				p.Send() <- &wamp.Error{Type: wamp.CALL, Request: m.Request, Details: wamp.Dict{}, Error: wamp.ErrNoSuchProcedure}
			}
		}
	}
}

// eventBatch scripts the events a subscription to a topic receives at
// once, as their argument lists.
type eventBatch []wamp.List

func (eventBatch) MessageType() wamp.MessageType { return wamp.EVENT }

func result(args ...any) *wamp.Result { return &wamp.Result{Details: wamp.Dict{}, Arguments: args} }

func connectScripted(t *testing.T, s scripted, opts ...client.Option) *metaclient.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := wamptest.ConnectLocal(ctx, s, append([]client.Option{client.WithoutReconnect()}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = c.Close(ctx)
	})
	return metaclient.New(c)
}

func TestLookupShapes(t *testing.T) {
	for name, tc := range map[string]struct {
		answer *wamp.Result
		id     client.ID
		found  bool
	}{
		"nexus none is 0":         {result(uint64(0)), 0, false},
		"crossbar none is null":   {result(nil), 0, false},
		"no args at all":          {result(), 0, false},
		"uint64 id":               {result(uint64(1 << 52)), 1 << 52, true},
		"int64 id":                {result(int64(77)), 77, true},
		"msgpack uint8 id":        {result(uint8(9)), 9, true},
		"json float id":           {result(float64(12345)), 12345, true},
		"in-process wamp.ID type": {result(wamp.ID(31)), 31, true},
		"json.Number id":          {result(json.Number("4503599627370496")), 1 << 52, true},
		"cbor uint32 id":          {result(uint32(70000)), 70000, true},
	} {
		t.Run(name, func(t *testing.T) {
			m := connectScripted(t, scripted{metaclient.ProcLookup: tc.answer})
			id, found, err := m.Lookup(context.Background(), "com.x", metaclient.Exact)
			require.NoError(t, err)
			assert.Equal(t, tc.id, id)
			assert.Equal(t, tc.found, found)
		})
	}
}

func TestMatchShapes(t *testing.T) {
	for name, tc := range map[string]struct {
		answer *wamp.Result
		want   []client.ID
	}{
		"one id":        {result(uint64(123)), []client.ID{123}},
		"list":          {result([]any{uint64(1), int64(2)}), []client.ID{1, 2}},
		"wamp.List":     {result(wamp.List{wamp.ID(5)}), []client.ID{5}},
		"null":          {result(nil), nil},
		"zero":          {result(uint64(0)), nil},
		"no result arg": {result(), nil},
	} {
		t.Run(name, func(t *testing.T) {
			m := connectScripted(t, scripted{metaclient.ProcMatch: tc.answer})
			got, err := m.Match(context.Background(), "com.x")
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestListShapes(t *testing.T) {
	m := connectScripted(t, scripted{metaclient.ProcList: result(map[string]any{
		"exact": []any{uint64(1), float64(2)}, "prefix": nil, "wildcard": []any{int64(1 << 53)},
	})})
	l, err := m.List(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []client.ID{1, 2}, l.Exact)
	assert.Empty(t, l.Prefix)
	assert.Equal(t, []client.ID{1 << 53}, l.Wildcard)
	assert.Len(t, l.All(), 3)

	m = connectScripted(t, scripted{metaclient.ProcList: result(map[string]any{})})
	l, err = m.List(context.Background())
	require.NoError(t, err)
	assert.Empty(t, l.All(), "absent lists are empty")

	m = connectScripted(t, scripted{metaclient.ProcList: result(map[any]any{"exact": []any{uint8(3)}})})
	l, err = m.List(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []client.ID{3}, l.Exact, "msgpack map[any]any")

	m = connectScripted(t, scripted{metaclient.ProcList: result("nonsense")})
	_, err = m.List(context.Background())
	assert.ErrorContains(t, err, "malformed")
}

func TestGetShapes(t *testing.T) {
	for name, tc := range map[string]struct {
		details map[string]any
		want    metaclient.Registration
	}{
		"nexus empty match and invoke, offset without colon": {
			map[string]any{"id": uint64(7), "uri": "com.a", "match": "", "invoke": "", "created": "2026-03-03T09:16:37-1000"},
			metaclient.Registration{ID: 7, URI: "com.a", Match: metaclient.Exact, Invoke: metaclient.Single,
				Created: time.Date(2026, 3, 3, 19, 16, 37, 0, time.UTC)},
		},
		"crossbar milliseconds and Z": {
			map[string]any{"id": int64(8), "uri": "com.b.", "match": "prefix", "invoke": "roundrobin", "created": "2026-01-04T12:03:56.123Z"},
			metaclient.Registration{ID: 8, URI: "com.b.", Match: metaclient.Prefix, Invoke: metaclient.RoundRobin,
				Created: time.Date(2026, 1, 4, 12, 3, 56, 123e6, time.UTC)},
		},
		"rfc3339 with colon offset": {
			map[string]any{"id": float64(9), "uri": "com..c", "match": "wildcard", "invoke": "last", "created": "2026-05-01T10:00:00+02:00"},
			metaclient.Registration{ID: 9, URI: "com..c", Match: metaclient.Wildcard, Invoke: metaclient.Last,
				Created: time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)},
		},
	} {
		t.Run(name, func(t *testing.T) {
			m := connectScripted(t, scripted{metaclient.ProcGet: result(tc.details)})
			got, err := m.Get(context.Background(), tc.want.ID)
			require.NoError(t, err)
			assert.True(t, tc.want.Created.Equal(got.Created), "created %v, want %v", got.Created, tc.want.Created)
			got.Created, tc.want.Created = time.Time{}, time.Time{}
			assert.Equal(t, tc.want, got)
		})
	}
	m := connectScripted(t, scripted{metaclient.ProcGet: result(map[string]any{"id": uint64(1), "created": "yesterday"})})
	_, err := m.Get(context.Background(), 1)
	assert.ErrorContains(t, err, "malformed")
}

func TestCalleesShapes(t *testing.T) {
	m := connectScripted(t, scripted{
		metaclient.ProcListCallees:  result(nil),
		metaclient.ProcCountCallees: result(uint16(3)),
	})
	ids, err := m.ListCallees(context.Background(), 1)
	require.NoError(t, err)
	assert.Empty(t, ids)
	n, err := m.CountCallees(context.Background(), 1)
	require.NoError(t, err)
	assert.Equal(t, 3, n)
}

func TestErrorsAreMatchableAndExplained(t *testing.T) {
	errAns := func(uri string) *wamp.Error {
		return &wamp.Error{Type: wamp.CALL, Details: wamp.Dict{}, Error: wamp.URI(uri), Arguments: wamp.List{"router says no"}}
	}
	m := connectScripted(t, scripted{
		metaclient.ProcGet:         errAns("wamp.error.no_such_registration"),
		metaclient.ProcListCallees: errAns("wamp.error.not_authorized"),
		// no remove_callee: the scripted router answers no_such_procedure, like nexus
	})
	ctx := context.Background()
	_, err := m.Get(ctx, 5)
	assert.ErrorIs(t, err, client.ErrNoSuchRegistration)
	assert.ErrorContains(t, err, "no such registration")
	_, err = m.ListCallees(ctx, 5)
	assert.ErrorIs(t, err, client.ErrNotAuthorized)
	err = m.RemoveCallee(ctx, 5, 6, "")
	assert.ErrorIs(t, err, client.ErrNoSuchProcedure)
	assert.ErrorContains(t, err, "does not implement wamp.registration.remove_callee")
	_, _, err = m.Lookup(ctx, "x", metaclient.Match("fuzzy"))
	assert.ErrorIs(t, err, client.ErrInvalidOption)
}

// Every wrapper turns an answer it cannot read into an error that says
// which procedure and what was wrong, never a zero value or a panic.
func TestMalformedAnswers(t *testing.T) {
	type call func(m *metaclient.Client) error
	lookup := func(m *metaclient.Client) error {
		_, _, err := m.Lookup(context.Background(), "com.x", metaclient.Exact)
		return err
	}
	match := func(m *metaclient.Client) error { _, err := m.Match(context.Background(), "com.x"); return err }
	list := func(m *metaclient.Client) error { _, err := m.List(context.Background()); return err }
	get := func(m *metaclient.Client) error { _, err := m.Get(context.Background(), 1); return err }
	callees := func(m *metaclient.Client) error { _, err := m.ListCallees(context.Background(), 1); return err }
	count := func(m *metaclient.Client) error { _, err := m.CountCallees(context.Background(), 1); return err }
	for name, tc := range map[string]struct {
		proc   string
		answer *wamp.Result
		call   call
		want   string
	}{
		"lookup string":          {metaclient.ProcLookup, result("12abc"), lookup, "lookup: malformed answer"},
		"lookup negative":        {metaclient.ProcLookup, result(int64(-1)), lookup, "not an ID"},
		"lookup fraction":        {metaclient.ProcLookup, result(1.5), lookup, "not an ID"},
		"lookup bool":            {metaclient.ProcLookup, result(true), lookup, "not an ID"},
		"match list with string": {metaclient.ProcMatch, result([]any{uint64(1), "x"}), match, "match: malformed answer"},
		"match dict":             {metaclient.ProcMatch, result(map[string]any{}), match, "not an ID"},
		"list not a dict":        {metaclient.ProcList, result([]any{uint64(1)}), list, "list: malformed answer"},
		"list exact not a list":  {metaclient.ProcList, result(map[string]any{"exact": "x"}), list, "exact"},
		"get not a dict":         {metaclient.ProcGet, result("com.x"), get, "not a dictionary"},
		"get null":               {metaclient.ProcGet, result(nil), get, "not a dictionary"},
		"get without id":         {metaclient.ProcGet, result(map[string]any{"uri": "com.x"}), get, "without an id"},
		"get without uri":        {metaclient.ProcGet, result(map[string]any{"id": uint64(1)}), get, "without a uri"},
		"get numeric match":      {metaclient.ProcGet, result(map[string]any{"id": 1, "uri": "com.x", "match": 5}), get, `"match": want client.Match, got 5`},
		"get bad created":        {metaclient.ProcGet, result(map[string]any{"id": 1, "uri": "com.x", "created": "yesterday"}), get, `"created": want time.Time, got "yesterday"`},
		"list_callees dict":      {metaclient.ProcListCallees, result(map[string]any{"a": 1}), callees, "list_callees: malformed answer"},
		"count_callees string":   {metaclient.ProcCountCallees, result("three"), count, "count_callees: malformed answer"},
		"count_callees negative": {metaclient.ProcCountCallees, result(int8(-3)), count, "not a count"},
	} {
		t.Run(name, func(t *testing.T) {
			m := connectScripted(t, scripted{tc.proc: tc.answer})
			err := tc.call(m)
			require.Error(t, err)
			assert.ErrorContains(t, err, "metaclient: ")
			assert.ErrorContains(t, err, tc.want)
		})
	}
}

// The wrappers send what the spec and both routers read: positional
// arguments only, lookup's match in an options dictionary, remove_callee's
// reason only when given.
func TestCallArguments(t *testing.T) {
	rec := recording{answers: scripted{}, calls: make(chan *wamp.Call, 1)}
	c, err := wamptest.ConnectLocal(context.Background(), rec, client.WithoutReconnect())
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	m := metaclient.New(c)
	ctx := context.Background()
	for name, tc := range map[string]struct {
		call func()
		proc string
		args wamp.List
	}{
		"list":          {func() { _, _ = m.List(ctx) }, metaclient.ProcList, nil},
		"lookup prefix": {func() { _, _, _ = m.Lookup(ctx, "com.a.", metaclient.Prefix) }, metaclient.ProcLookup, wamp.List{"com.a.", wamp.Dict{"match": "prefix"}}},
		"match":         {func() { _, _ = m.Match(ctx, "com.a.b") }, metaclient.ProcMatch, wamp.List{"com.a.b"}},
		"get":           {func() { _, _ = m.Get(ctx, 7) }, metaclient.ProcGet, wamp.List{uint64(7)}},
		"list_callees":  {func() { _, _ = m.ListCallees(ctx, 7) }, metaclient.ProcListCallees, wamp.List{uint64(7)}},
		"count_callees": {func() { _, _ = m.CountCallees(ctx, 7) }, metaclient.ProcCountCallees, wamp.List{uint64(7)}},
		"remove_callee": {func() { _ = m.RemoveCallee(ctx, 7, 8, "") }, metaclient.ProcRemoveCallee, wamp.List{uint64(7), uint64(8)}},
		"remove_callee with reason": {func() { _ = m.RemoveCallee(ctx, 7, 8, "com.why") },
			metaclient.ProcRemoveCallee, wamp.List{uint64(7), uint64(8), "com.why"}},
	} {
		t.Run(name, func(t *testing.T) {
			tc.call()
			got := <-rec.calls
			assert.Equal(t, tc.proc, string(got.Procedure))
			assert.Equal(t, len(tc.args), len(got.Arguments), "%v", got.Arguments)
			for i := range min(len(tc.args), len(got.Arguments)) {
				assert.EqualValues(t, tc.args[i], normalizeArg(got.Arguments[i]))
			}
			assert.Empty(t, got.ArgumentsKw)
		})
	}
}

// normalizeArg reads in-process argument types the way the test writes
// them.
func normalizeArg(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return wamp.Dict(x)
	case client.ID:
		return uint64(x)
	}
	return v
}

// Bondy answers list_callees and count_callees with
// wamp.error.not_implemented, and has no remove_callee (no_such_procedure):
// each is ErrNotSupported, and the router's error stays matchable.
func TestNotSupportedByThisRouter(t *testing.T) {
	notImpl := &wamp.Error{Type: wamp.CALL, Details: wamp.Dict{}, Error: "wamp.error.not_implemented"}
	m := connectScripted(t, scripted{
		metaclient.ProcListCallees:  notImpl,
		metaclient.ProcCountCallees: notImpl,
		metaclient.ProcGet:          &wamp.Error{Type: wamp.CALL, Details: wamp.Dict{}, Error: "wamp.error.no_such_registration"},
	})
	ctx := context.Background()
	_, err := m.ListCallees(ctx, 5)
	assert.ErrorIs(t, err, metaclient.ErrNotSupported)
	assert.ErrorIs(t, err, &client.Error{URI: "wamp.error.not_implemented"})
	assert.ErrorContains(t, err, "metaclient: list_callees: the router does not implement wamp.registration.list_callees")
	_, err = m.CountCallees(ctx, 5)
	assert.ErrorIs(t, err, metaclient.ErrNotSupported)
	err = m.RemoveCallee(ctx, 5, 6, "")
	assert.ErrorIs(t, err, metaclient.ErrNotSupported)
	assert.ErrorIs(t, err, client.ErrNoSuchProcedure)
	// A missing registration is not a missing procedure.
	_, err = m.Get(ctx, 5)
	assert.ErrorIs(t, err, client.ErrNoSuchRegistration)
	assert.NotErrorIs(t, err, metaclient.ErrNotSupported)
}

// Bondy's shapes for match (a list of IDs) and lookup (no arguments when
// nothing matches), as WaitForProcedure meets them.
func TestBondyMatchAndLookupShapes(t *testing.T) {
	ctx := context.Background()
	m := connectScripted(t, scripted{
		metaclient.ProcMatch:  result([]any{uint64(8), uint64(9)}),
		metaclient.ProcLookup: result(),
	})
	ids, err := m.Match(ctx, "com.x")
	require.NoError(t, err)
	assert.Equal(t, []client.ID{8, 9}, ids)
	_, found, err := m.Lookup(ctx, "com.x", metaclient.Exact)
	require.NoError(t, err)
	assert.False(t, found)
	id, err := m.WaitForProcedure(ctx, "com.x")
	require.NoError(t, err)
	assert.Equal(t, client.ID(8), id)

	m = connectScripted(t, scripted{metaclient.ProcMatch: result([]any{})})
	wctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	_, err = m.WaitForProcedure(wctx, "com.x")
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

// On Bondy list_callees is not implemented: Watch still builds the view
// from list and get, with the callees unknown.
func TestWatchWithoutListCallees(t *testing.T) {
	m := connectScripted(t, scripted{
		metaclient.ProcList:        result(map[string]any{"exact": []any{uint64(5)}}),
		metaclient.ProcGet:         result(map[string]any{"id": uint64(5), "uri": "com.bondy.add", "match": "exact", "invoke": "roundrobin"}),
		metaclient.ProcListCallees: &wamp.Error{Type: wamp.CALL, Details: wamp.Dict{}, Error: "wamp.error.not_implemented"},
	}, client.WithRouterFeatures("pattern_based_subscription"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	reg, err := m.Watch(ctx)
	require.NoError(t, err)
	defer func() { // the scripted router does not answer UNSUBSCRIBE
		cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		_ = reg.Close(cctx)
	}()
	info, ok := reg.Get(5)
	require.True(t, ok)
	assert.Equal(t, "com.bondy.add", info.URI)
	assert.Equal(t, metaclient.RoundRobin, info.Invoke)
	assert.Empty(t, info.Callees)
}
