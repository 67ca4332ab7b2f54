package metaclient

import (
	"fmt"
	"time"

	"github.com/wampkit/wampkit/client"
)

// Match is a registration's match policy: [client.Match], the type
// client.RegisterOptions and callee register with.
type Match = client.Match

// The match policies.
const (
	Exact    = client.MatchExact
	Prefix   = client.MatchPrefix
	Wildcard = client.MatchWildcard
)

// Policy is a shared registration's invocation policy: [client.Policy],
// the type callee registers with.
type Policy = client.Policy

// The invocation policies.
const (
	Single     = client.InvokeSingle
	RoundRobin = client.InvokeRoundRobin
	Random     = client.InvokeRandom
	First      = client.InvokeFirst
	Last       = client.InvokeLast
)

// Lists is the answer of wamp.registration.list: registration IDs by
// match policy.
type Lists struct {
	Exact, Prefix, Wildcard []client.ID
}

// All returns every ID of l.
func (l Lists) All() []client.ID {
	out := make([]client.ID, 0, len(l.Exact)+len(l.Prefix)+len(l.Wildcard))
	out = append(out, l.Exact...)
	out = append(out, l.Prefix...)
	return append(out, l.Wildcard...)
}

// Registration is the answer of wamp.registration.get. Routers that echo an
// empty match or invoke option (nexus) read as Exact and Single.
type Registration struct {
	ID      client.ID `wamp:"id"`
	Created time.Time `wamp:"created"`
	URI     string    `wamp:"uri"`
	Match   Match     `wamp:"match"`
	Invoke  Policy    `wamp:"invoke"`
}

// IsMeta reports whether the registration is one of the router's own
// wamp.* procedures.
func (r Registration) IsMeta() bool { return len(r.URI) >= 5 && r.URI[:5] == "wamp." }

// CreateEvent is wamp.registration.on_create: a session created a new
// registration.
type CreateEvent struct {
	Session      client.ID
	Registration Registration
}

// RegisterEvent is wamp.registration.on_register: a session was added as a
// callee of a registration.
type RegisterEvent struct {
	Session        client.ID
	RegistrationID client.ID
}

// UnregisterEvent is wamp.registration.on_unregister: a session was removed
// as a callee of a registration.
type UnregisterEvent struct {
	Session        client.ID
	RegistrationID client.ID
	// Reason is why the router removed the callee (a revocation, such as
	// remove_callee's reason), when the event carries one: as a third
	// positional argument or a "reason" keyword argument. The spec's event
	// has none; nexus and Crossbar send none.
	Reason string
}

// DeleteEvent is wamp.registration.on_delete: a registration lost its last
// callee and is gone.
type DeleteEvent struct {
	Session        client.ID
	RegistrationID client.ID
}

func validMatch(m Match) error {
	if m.Valid() {
		return nil
	}
	return fmt.Errorf("metaclient: %w: match %q (want exact, prefix or wildcard)", client.ErrInvalidOption, m)
}
