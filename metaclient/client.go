package metaclient

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/wampkit/wampkit/client"
)

// The registration meta procedures and topics.
const (
	ProcList         = "wamp.registration.list"
	ProcLookup       = "wamp.registration.lookup"
	ProcMatch        = "wamp.registration.match"
	ProcGet          = "wamp.registration.get"
	ProcListCallees  = "wamp.registration.list_callees"
	ProcCountCallees = "wamp.registration.count_callees"
	ProcRemoveCallee = "wamp.registration.remove_callee"
	TopicOnCreate    = "wamp.registration.on_create"
	TopicOnRegister  = "wamp.registration.on_register"
	TopicOnUnregist  = "wamp.registration.on_unregister"
	TopicOnDelete    = "wamp.registration.on_delete"
)

// Option configures a metaclient ([New]). A nil Option is ignored (the rule
// of every wampkit package, see [client.Option]).
type Option interface{ apply(*Client) }

type optionFunc func(*Client)

func (f optionFunc) apply(m *Client) { f(m) }

// WithLogger logs malformed events to l at level Warn. By default nothing
// is logged; a nil l keeps that default.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(m *Client) {
		if l != nil {
			m.log = l
		}
	})
}

// WithErrorHandler calls f with every malformed event, on the event's
// delivery goroutine.
func WithErrorHandler(f func(error)) Option { return optionFunc(func(m *Client) { m.onError = f }) }

// Client is a typed client of the registration meta-API over a
// *client.Client. It is safe for concurrent use.
type Client struct {
	c       *client.Client
	log     *slog.Logger
	onError func(error)
}

// New returns a meta-API client using c.
func New(c *client.Client, opts ...Option) *Client {
	m := &Client{c: c, log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		if o != nil {
			o.apply(m)
		}
	}
	return m
}

// ask calls a meta procedure and reads its answer with read: args[0], nil
// when absent (the meta procedures answer with one positional argument).
// An answer read refuses is malformed.
func ask[T any](ctx context.Context, m *Client, read func(any) (T, error), proc string, args ...any) (T, error) {
	var zero T
	res, err := m.c.Call(ctx, client.CallRequest{Procedure: proc, Payload: client.Payload{Args: args}}, nil)
	if err != nil {
		return zero, explain(proc, err)
	}
	var v any
	if len(res.Args) > 0 {
		v = res.Args[0]
	}
	t, err := read(v)
	if err != nil {
		return zero, malformed(proc, v, err)
	}
	return t, nil
}

// ErrNotSupported is in the chain of every error from a meta procedure the
// router does not offer: it answered wamp.error.no_such_procedure (nexus
// and Bondy have no remove_callee), wamp.error.not_implemented (Bondy's
// list_callees and count_callees) or wamp.error.feature_not_supported.
// The router's own error stays in the chain too. Match it with errors.Is.
var ErrNotSupported = errors.New("metaclient: not supported by this router")

// errNotImplemented matches the ERROR Bondy answers for meta procedures it
// does not implement.
var errNotImplemented = &client.Error{URI: "wamp.error.not_implemented"}

// explain wraps a meta-API error with what it means, keeping it matchable.
func explain(proc string, err error) error {
	name := proc[len("wamp.registration."):]
	switch {
	case errors.Is(err, client.ErrNoSuchProcedure), errors.Is(err, errNotImplemented),
		errors.Is(err, client.ErrFeatureNotSupported):
		return &notSupported{fmt.Errorf("metaclient: %s: the router does not implement %s: %w", name, proc, err)}
	case errors.Is(err, client.ErrNoSuchRegistration):
		return fmt.Errorf("metaclient: %s: no such registration: %w", name, err)
	case errors.Is(err, client.ErrNoSuchSession):
		return fmt.Errorf("metaclient: %s: no such session: %w", name, err)
	case errors.Is(err, client.ErrNotAuthorized):
		return fmt.Errorf("metaclient: %s: this session's role may not call %s: %w", name, proc, err)
	}
	return fmt.Errorf("metaclient: %s: %w", name, err)
}

// notSupported is a meta procedure's error that also matches
// ErrNotSupported.
type notSupported struct{ error }

func (e *notSupported) Unwrap() []error { return []error{e.error, ErrNotSupported} }

// wrap says what this package was doing when err happened: "metaclient:
// op: cause". A cause from this package reads without its own
// "metaclient: " prefix, so that the prefix appears once however deeply the
// package wraps its own errors. errors.Is and errors.As see err.
func wrap(op string, err error) error { return &wrapped{op: op, err: err} }

type wrapped struct {
	op  string
	err error
}

func (e *wrapped) Error() string {
	return "metaclient: " + e.op + ": " + strings.TrimPrefix(e.err.Error(), "metaclient: ")
}

func (e *wrapped) Unwrap() error { return e.err }

func malformed(proc string, v any, err error) error {
	return fmt.Errorf("metaclient: %s: malformed answer %v: %w", proc[len("wamp.registration."):], v, err)
}

// List returns the IDs of all registrations by match policy. Routers may
// include their own wamp.* procedures (nexus does); use UserRegistrations to
// leave them out.
func (m *Client) List(ctx context.Context) (Lists, error) {
	return ask(ctx, m, decodeLists, ProcList)
}

// UserRegistrations returns the details of every registration except the
// router's own wamp.* procedures.
func (m *Client) UserRegistrations(ctx context.Context) ([]Registration, error) {
	l, err := m.List(ctx)
	if err != nil {
		return nil, err
	}
	var out []Registration
	for _, id := range l.All() {
		reg, err := m.Get(ctx, id)
		if errors.Is(err, client.ErrNoSuchRegistration) {
			continue // deleted since the list
		}
		if err != nil {
			return nil, err
		}
		if !reg.IsMeta() {
			out = append(out, reg)
		}
	}
	return out, nil
}

// Lookup returns the registration of procedure under the match policy;
// found is false when there is none (routers answer null or 0).
func (m *Client) Lookup(ctx context.Context, procedure string, match Match) (id client.ID, found bool, err error) {
	if err := validMatch(match); err != nil {
		return 0, false, err
	}
	id, err = ask(ctx, m, decodeID, ProcLookup, procedure, map[string]any{"match": string(match)})
	return id, id != 0, err
}

// Match returns the registration a call of procedure would reach: none, or
// one (routers answer one ID, null or 0; a list is accepted too).
func (m *Client) Match(ctx context.Context, procedure string) ([]client.ID, error) {
	return ask(ctx, m, decodeIDs, ProcMatch, procedure)
}

// Get returns a registration's details.
func (m *Client) Get(ctx context.Context, id client.ID) (Registration, error) {
	return ask(ctx, m, decodeRegistration, ProcGet, uint64(id))
}

// ListCallees returns the session IDs of a registration's callees, in
// registration order.
func (m *Client) ListCallees(ctx context.Context, id client.ID) ([]client.ID, error) {
	return ask(ctx, m, decodeIDs, ProcListCallees, uint64(id))
}

// CountCallees returns how many callees a registration has.
func (m *Client) CountCallees(ctx context.Context, id client.ID) (int, error) {
	return ask(ctx, m, decodeCount, ProcCountCallees, uint64(id))
}

// RemoveCallee removes session callee from registration id; the router
// revokes it (the callee's registration handle ends with ErrRevoked). It
// needs a router that implements it (wampkit's reference router, Crossbar)
// and a role allowed to call it.
func (m *Client) RemoveCallee(ctx context.Context, id, callee client.ID, reason string) error {
	args := []any{uint64(id), uint64(callee)}
	if reason != "" {
		args = append(args, reason)
	}
	_, err := ask(ctx, m, ignore, ProcRemoveCallee, args...)
	return err
}
