package callee

import (
	"fmt"
	"maps"

	"github.com/wampkit/wampkit/client"
)

// Option configures a registration. Options are sealed: only this package
// makes them. A bad value, or two options that contradict each other, makes
// the Register call fail with an error wrapping [client.ErrInvalidOption]
// before anything is sent. A nil Option is ignored (the rule of every
// wampkit package, see [client.Option]).
type Option interface {
	apply(*config) error
}

type optionFunc func(*config) error

func (f optionFunc) apply(c *config) error { return f(c) }

// Policy is a shared registration's invocation policy (REGISTER
// Options.invoke): which of the callees registered for one procedure gets
// a call. It is [client.Policy], the type metaclient reports too.
type Policy = client.Policy

// The WAMP invocation policies. Every callee of a shared registration must
// register with the same policy; the router refuses the others.
const (
	// Single (the default): one callee only; a second REGISTER is refused
	// with wamp.error.procedure_already_exists.
	Single = client.InvokeSingle
	// RoundRobin cycles through the callees in registration order.
	RoundRobin = client.InvokeRoundRobin
	// Random picks a callee at random for every call.
	Random = client.InvokeRandom
	// First sends every call to the earliest registered callee still
	// present (hot standby).
	First = client.InvokeFirst
	// Last sends every call to the latest registered callee.
	Last = client.InvokeLast
)

// config is what the options build.
type config struct {
	reg         client.RegisterOptions // what the REGISTER carries
	concurrency int                    // 0: unlimited
	strict      bool
	intercept   []client.Interceptor
}

func newConfig(opts []Option) (*config, error) {
	cfg := &config{}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o.apply(cfg); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("callee: %w: "+format, append([]any{client.ErrInvalidOption}, args...)...)
}

// MatchPrefix registers the procedure as a URI prefix: a call of any URI
// that starts with it reaches the handler ("com.app.echo." matches
// "com.app.echo.hello"). [InvocationFrom] gives the URI actually called.
// It cannot be combined with [MatchWildcard]. On a router whose WELCOME does
// not announce pattern_based_registration, Register fails with
// client.ErrFeatureNotSupported before anything is sent (a router that
// ignores the option would register the exact URI instead).
func MatchPrefix() Option { return matchOption(client.MatchPrefix) }

// MatchWildcard registers the procedure as a wildcard pattern: an empty
// component matches any one component ("com.app..get" matches
// "com.app.user.get"). [InvocationFrom] gives the URI actually called.
// It cannot be combined with [MatchPrefix]. It needs the router's
// pattern_based_registration, as [MatchPrefix] does.
func MatchWildcard() Option { return matchOption(client.MatchWildcard) }

func matchOption(m client.Match) Option {
	return optionFunc(func(c *config) error {
		if c.reg.Match != "" && c.reg.Match != m {
			return invalid("match %q conflicts with match %q", m, c.reg.Match)
		}
		c.reg.Match = m
		return nil
	})
}

// Invoke makes the registration shared with the given invocation policy,
// so that several callees (sessions) can register the same procedure.
// An unknown policy is an error. A policy other than Single needs the
// router's shared_registration: without it Register fails with
// client.ErrFeatureNotSupported before anything is sent.
func Invoke(p Policy) Option {
	return optionFunc(func(c *config) error {
		if !p.Valid() {
			return invalid("unknown invocation policy %q", string(p))
		}
		if c.reg.Invoke != "" && c.reg.Invoke != p {
			return invalid("invocation policy %q conflicts with %q", p, c.reg.Invoke)
		}
		c.reg.Invoke = p
		return nil
	})
}

// DiscloseCaller asks the router to tell the handler who is calling
// (REGISTER Options.disclose_caller): [Invocation] then carries the
// caller's session ID, authid and authrole. Routers may refuse it
// (wamp.error.option_disallowed.disclose_me) or ignore it.
func DiscloseCaller() Option {
	return optionFunc(func(c *config) error { c.reg.DiscloseCaller = true; return nil })
}

// ForwardTimeout asks the router to forward the caller's call timeout
// (REGISTER Options.forward_timeout) instead of enforcing it itself. The
// handler's context then carries the deadline, [Invocation.Timeout] is set,
// and a handler that returns the context's DeadlineExceeded error answers
// wamp.error.timeout.
func ForwardTimeout() Option {
	return optionFunc(func(c *config) error { c.reg.ForwardTimeout = true; return nil })
}

// Concurrency limits how many handlers of this registration run at once
// in this client: at most n. Invocations past n wait for a free slot, in
// arrival order. A waiting invocation whose call is canceled or times out
// (INTERRUPT, a forwarded timeout, the session ending) leaves the queue
// without running, and is answered wamp.error.canceled (wamp.error.timeout
// for a forwarded timeout); after a killnowait cancel the router has
// already answered the caller and the answer is dropped. The slot is held
// for the whole handler, streamed input and progressive results included.
// Without this option handlers run up to the client's cap for the whole
// session (client.WithMaxConcurrentInvocations). n must be at least 1;
// given twice, the last one counts.
func Concurrency(n int) Option {
	return optionFunc(func(c *config) error {
		if n < 1 {
			return invalid("concurrency %d, want at least 1", n)
		}
		c.concurrency = n
		return nil
	})
}

// WithOptions adds raw REGISTER options, for router extensions the typed
// options do not cover: they go in [client.RegisterOptions].Extra. The map
// is copied when the option is made; later changes to it have no effect,
// and it is never modified. A key that a typed option also sets ("match",
// "invoke", "disclose_caller", "forward_timeout") must hold a valid value
// and agree with it: client.Register reads it into the typed field (see
// "Request options" in the client package documentation). Several
// WithOptions merge; later keys win.
func WithOptions(extra map[string]any) Option {
	cp := maps.Clone(extra)
	return optionFunc(func(c *config) error {
		if c.reg.Extra == nil {
			c.reg.Extra = make(map[string]any, len(cp))
		}
		maps.Copy(c.reg.Extra, cp)
		return nil
	})
}

// WithInterceptors wraps this registration's handler in interceptors,
// inside the client's own (client.WithInterceptors), the first given
// outermost: see [client.Interceptor] for the order. They see the handler's
// answer: its result, or its error (a *client.Error goes to the caller as
// is; any other error goes as wamp.error.runtime_error). Several WithInterceptors add to the list.
func WithInterceptors(interceptors ...client.Interceptor) Option {
	return optionFunc(func(c *config) error {
		for _, i := range interceptors {
			if i == nil {
				return invalid("nil interceptor")
			}
		}
		c.intercept = append(c.intercept[:len(c.intercept):len(c.intercept)], interceptors...)
		return nil
	})
}

// Strict makes decoding of the handler's input strict: unknown keyword
// arguments, unknown object keys and extra positional arguments are
// refused with wamp.error.invalid_argument instead of ignored.
func Strict() Option {
	return optionFunc(func(c *config) error { c.strict = true; return nil })
}
