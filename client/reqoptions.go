package client

import (
	"fmt"
	"maps"
	"math"
	"time"

	"github.com/gammazero/nexus/v3/wamp"
)

// Match is how a registration or subscription matches URIs: the match
// option of REGISTER and SUBSCRIBE, and what the registration meta-API
// reports. callee.MatchPrefix and callee.MatchWildcard set it, and
// metaclient.Match is this type.
type Match string

// The WAMP match policies.
const (
	// MatchExact (the default): the URI itself.
	MatchExact Match = "exact"
	// MatchPrefix: every URI that starts with the registered one
	// ("com.app." matches "com.app.echo").
	MatchPrefix Match = "prefix"
	// MatchWildcard: an empty component matches any one component
	// ("com.app..get" matches "com.app.user.get").
	MatchWildcard Match = "wildcard"
)

// Valid reports whether m is one of the three WAMP match policies.
func (m Match) Valid() bool {
	switch m {
	case MatchExact, MatchPrefix, MatchWildcard:
		return true
	}
	return false
}

// RegisterOptions are the options of one REGISTER ([Client.Register]). The
// zero value registers the exact URI with the router's default invocation
// policy (single). See "Request options" in the package documentation for
// the rules all request options follow.
type RegisterOptions struct {
	// Match registers a pattern: "" or MatchExact for the URI itself,
	// MatchPrefix or MatchWildcard (they need the router's
	// pattern_based_registration).
	Match Match
	// Invoke makes the registration shared with this invocation policy;
	// "" is the router's default (single). A policy other than
	// InvokeSingle needs the router's shared_registration.
	Invoke Policy
	// DiscloseCaller asks the router to tell the handler who calls
	// (disclose_caller; needs caller_identification).
	DiscloseCaller bool
	// ForwardTimeout asks the router to forward the caller's timeout to the
	// handler instead of enforcing it (forward_timeout; needs call_timeout).
	ForwardTimeout bool
	// Extra holds REGISTER options of router extensions. The keys match,
	// invoke, disclose_caller and forward_timeout are read into the fields
	// above.
	Extra map[string]any

	// typedInput: the handler reads its input only through a typed
	// decoder that takes a received object undecoded (wire.Raw; set by
	// the callee package through kithook.TypedInput for a registration
	// without interceptors of its own).
	typedInput bool
}

// resolved checks o and returns it as the REGISTER will carry it: Extra's
// keys that a field covers read into the field, Extra a copy of the rest
// (nil when empty).
func (o RegisterOptions) resolved() (RegisterOptions, error) {
	const req = "REGISTER"
	if err := checkMatch(req, o.Match); err != nil {
		return o, err
	}
	if o.Invoke != "" && !o.Invoke.Valid() {
		return o, fmt.Errorf("%w: invocation policy %q (want single, roundrobin, random, first or last)", ErrInvalidOption, o.Invoke)
	}
	if len(o.Extra) == 0 {
		o.Extra = nil
		return o, nil
	}
	if err := liftMatch(req, o.Extra, &o.Match); err != nil {
		return o, err
	}
	if err := liftPolicy(req, o.Extra, &o.Invoke); err != nil {
		return o, err
	}
	if err := liftFlag(req, o.Extra, wamp.OptDiscloseCaller, &o.DiscloseCaller); err != nil {
		return o, err
	}
	if err := liftFlag(req, o.Extra, optForwardTimeout, &o.ForwardTimeout); err != nil {
		return o, err
	}
	o.Extra = rest(o.Extra, wamp.OptMatch, wamp.OptInvoke, wamp.OptDiscloseCaller, optForwardTimeout)
	return o, nil
}

// optForwardTimeout is REGISTER.Options.forward_timeout (nexus has no
// constant for it).
const optForwardTimeout = "forward_timeout"

// dict builds the REGISTER options dictionary of resolved options (nil when
// there are none: the engine sends an empty one).
func (o RegisterOptions) dict() wamp.Dict {
	if o.Match == "" && o.Invoke == "" && !o.DiscloseCaller && !o.ForwardTimeout && len(o.Extra) == 0 {
		return nil
	}
	d := make(wamp.Dict, len(o.Extra)+4)
	maps.Copy(d, o.Extra)
	// Plain strings: routers in process read them with type assertions.
	if o.Match != "" {
		d[wamp.OptMatch] = string(o.Match)
	}
	if o.Invoke != "" {
		d[wamp.OptInvoke] = string(o.Invoke)
	}
	if o.DiscloseCaller {
		d[wamp.OptDiscloseCaller] = true
	}
	if o.ForwardTimeout {
		d[optForwardTimeout] = true
	}
	return d
}

// clone returns o with its own copy of Extra.
func (o RegisterOptions) clone() RegisterOptions {
	o.Extra = maps.Clone(o.Extra)
	return o
}

// SubscribeOptions are the options of one SUBSCRIBE ([Client.Subscribe]).
// The zero value subscribes to the exact topic, in the client's ordered
// delivery. See "Request options" in the package documentation.
type SubscribeOptions struct {
	// Match subscribes to a pattern: "" or MatchExact for the topic itself,
	// MatchPrefix or MatchWildcard (they need the router's
	// pattern_based_subscription).
	Match Match
	// ConcurrentDelivery takes the subscription out of the client's
	// ordered delivery: its events are delivered by a goroutine and queue
	// of its own, still one at a time and in the order the router sent
	// them, but concurrently with the events of every other subscription,
	// so neither waits for the other. Its queue has the same byte bound and
	// the same policy at the bound as the client's ([WithEventQueueBytes]).
	ConcurrentDelivery bool
	// OnGap, when set, is called in the subscription's event order where
	// events may be missing: after events dropped at the queue bound
	// (Gap.Dropped), and when the subscription was restored on a new
	// session after a lost connection (Gap.Resubscribed), before the first
	// event of that session. It runs like the handler (one call at a time,
	// never on the read loop).
	OnGap func(Gap)
	// Extra holds SUBSCRIBE options of router extensions. The key match is
	// read into Match.
	Extra map[string]any
}

// resolved checks o and returns it as the SUBSCRIBE will carry it.
func (o SubscribeOptions) resolved() (SubscribeOptions, error) {
	const req = "SUBSCRIBE"
	if err := checkMatch(req, o.Match); err != nil {
		return o, err
	}
	if len(o.Extra) == 0 {
		o.Extra = nil
		return o, nil
	}
	if err := liftMatch(req, o.Extra, &o.Match); err != nil {
		return o, err
	}
	o.Extra = rest(o.Extra, wamp.OptMatch)
	return o, nil
}

// dict builds the SUBSCRIBE options dictionary of resolved options (nil
// when there are none). Subscriptions with equal dictionaries share one
// router subscription.
func (o SubscribeOptions) dict() wamp.Dict {
	if o.Match == "" && len(o.Extra) == 0 {
		return nil
	}
	d := make(wamp.Dict, len(o.Extra)+1)
	maps.Copy(d, o.Extra)
	if o.Match != "" {
		d[wamp.OptMatch] = string(o.Match)
	}
	return d
}

// PublishOptions are the options of one PUBLISH ([Client.Publish]). The
// zero value publishes without acknowledgement, with the router's default
// of not sending the event back to the publisher. See "Request options" in
// the package documentation.
type PublishOptions struct {
	// Acknowledge waits for the router's PUBLISHED (or ERROR).
	Acknowledge bool
	// ExcludeMe, when set, overrides the router default of not sending the
	// event back to the publisher.
	ExcludeMe *bool
	// Extra holds PUBLISH options of router extensions. The keys
	// acknowledge and exclude_me are read into the fields above.
	Extra map[string]any
}

// resolved checks o and returns it as the PUBLISH will carry it.
func (o PublishOptions) resolved() (PublishOptions, error) {
	if len(o.Extra) == 0 {
		o.Extra = nil
		return o, nil
	}
	const req = "PUBLISH"
	if err := liftFlag(req, o.Extra, wamp.OptAcknowledge, &o.Acknowledge); err != nil {
		return o, err
	}
	if v, ok := o.Extra[wamp.OptExcludeMe]; ok {
		b, isBool := v.(bool)
		if !isBool {
			return o, fmt.Errorf("%w: %s option exclude_me=%v in Extra, want a bool", ErrInvalidOption, req, v)
		}
		if o.ExcludeMe != nil && *o.ExcludeMe != b {
			return o, fmt.Errorf("%w: %s option exclude_me=%v in Extra conflicts with ExcludeMe", ErrInvalidOption, req, b)
		}
		o.ExcludeMe = &b
	}
	o.Extra = without(o.Extra, wamp.OptAcknowledge, wamp.OptExcludeMe)
	return o, nil
}

// dict builds the PUBLISH options dictionary of resolved options, without
// acknowledge (the engine adds it); nil when there are none.
func (o PublishOptions) dict() wamp.Dict {
	if o.ExcludeMe == nil && len(o.Extra) == 0 {
		return nil
	}
	d := make(wamp.Dict, len(o.Extra)+1)
	maps.Copy(d, o.Extra)
	if o.ExcludeMe != nil {
		d[wamp.OptExcludeMe] = *o.ExcludeMe
	}
	return d
}

// resolve checks req's options and reads the keys of Extra that a field
// covers into the field; Extra is then the rest (the caller's map itself
// when no key was read, never modified: dict copies it). It runs on every
// call: unless Extra holds a covered key it allocates nothing.
func (req *CallRequest) resolve() error {
	switch req.CancelMode {
	case "", CancelKill, CancelKillNoWait, CancelSkip:
	default:
		return fmt.Errorf("%w: cancel mode %q", ErrInvalidOption, req.CancelMode)
	}
	if req.Timeout < 0 {
		return fmt.Errorf("%w: negative timeout %s", ErrInvalidOption, req.Timeout)
	}
	if len(req.Extra) == 0 {
		req.Extra = nil
		return nil
	}
	const r = "CALL"
	if v, ok := req.Extra[wamp.OptTimeout]; ok {
		ms, ok := asInteger(v)
		if !ok || ms < 0 || ms > int64(math.MaxInt64/time.Millisecond) {
			return fmt.Errorf("%w: %s option timeout=%v in Extra, want milliseconds (a whole number, not negative)", ErrInvalidOption, r, v)
		}
		d := time.Duration(ms) * time.Millisecond
		if req.Timeout != 0 && req.Timeout != d {
			return fmt.Errorf("%w: %s option timeout=%v in Extra conflicts with Timeout %s", ErrInvalidOption, r, v, req.Timeout)
		}
		req.Timeout = d
	}
	if err := liftFlag(r, req.Extra, wamp.OptDiscloseMe, &req.DiscloseMe); err != nil {
		return err
	}
	if err := liftFlag(r, req.Extra, wamp.OptReceiveProgress, &req.ReceiveProgress); err != nil {
		return err
	}
	if err := liftFlag(r, req.Extra, wamp.OptProgress, &req.Stream); err != nil {
		return err
	}
	req.Extra = without(req.Extra, wamp.OptTimeout, wamp.OptDiscloseMe, wamp.OptReceiveProgress, wamp.OptProgress)
	return nil
}

// dict builds the CALL options dictionary of a resolved request, without
// timeout (its unit depends on the router: added per session),
// receive_progress and progress (the engine adds them); nil when there are
// none.
func (req *CallRequest) dict() wamp.Dict {
	if len(req.Extra) == 0 && req.Timeout == 0 && !req.DiscloseMe {
		return nil
	}
	d := make(wamp.Dict, len(req.Extra)+2) // room for timeout
	maps.Copy(d, req.Extra)
	if req.DiscloseMe {
		d[wamp.OptDiscloseMe] = true
	}
	return d
}

func checkMatch(req string, m Match) error {
	if m != "" && !m.Valid() {
		return fmt.Errorf("%w: %s match policy %q (want exact, prefix or wildcard)", ErrInvalidOption, req, m)
	}
	return nil
}

// liftMatch reads extra's match key into m.
func liftMatch(req string, extra map[string]any, m *Match) error {
	return liftEnum(req, extra, wamp.OptMatch, "Match", m, Match.Valid, "exact, prefix or wildcard")
}

// liftPolicy reads extra's invoke key into p.
func liftPolicy(req string, extra map[string]any, p *Policy) error {
	return liftEnum(req, extra, wamp.OptInvoke, "Invoke", p, Policy.Valid, "single, roundrobin, random, first or last")
}

// liftEnum reads extra's key, a string that must be valid, into the field
// f (named field).
func liftEnum[T ~string](req string, extra map[string]any, key, field string, f *T, valid func(T) bool, want string) error {
	v, ok := extra[key]
	if !ok {
		return nil
	}
	s, _ := v.(string)
	if !valid(T(s)) {
		return fmt.Errorf("%w: %s option %s=%v in Extra (want %s)", ErrInvalidOption, req, key, v, want)
	}
	if *f != "" && *f != T(s) {
		return fmt.Errorf("%w: %s option %s=%q in Extra conflicts with %s %q", ErrInvalidOption, req, key, s, field, *f)
	}
	*f = T(s)
	return nil
}

// liftFlag reads extra's boolean key into f.
func liftFlag(req string, extra map[string]any, key string, f *bool) error {
	v, ok := extra[key]
	if !ok {
		return nil
	}
	b, isBool := v.(bool)
	if !isBool {
		return fmt.Errorf("%w: %s option %s=%v in Extra, want a bool", ErrInvalidOption, req, key, v)
	}
	if *f && !b {
		return fmt.Errorf("%w: %s option %s=false in Extra conflicts with the field set to true", ErrInvalidOption, req, key)
	}
	*f = *f || b
	return nil
}

// rest returns a copy of extra without the keys a field covers, nil when
// nothing is left.
func rest(extra map[string]any, covered ...string) map[string]any {
	out := make(map[string]any, len(extra))
	for k, v := range extra {
		out[k] = v
	}
	for _, k := range covered {
		delete(out, k)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// without returns extra without the covered keys: extra itself when it has
// none of them (it is not modified), else a copy (nil when nothing is
// left). For options that are not kept past the request.
func without(extra map[string]any, covered ...string) map[string]any {
	for _, k := range covered {
		if _, ok := extra[k]; ok {
			return rest(extra, covered...)
		}
	}
	return extra
}
