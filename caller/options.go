package caller

import (
	"fmt"
	"time"

	"github.com/wampkit/wampkit/client"
)

// Option configures one call. Options are sealed: only this package makes
// them. A nil Option is ignored (the rule of every wampkit package, see
// [client.Option]). A bad value makes the call fail with an error wrapping
// client.ErrInvalidOption before anything is sent.
type Option interface {
	apply(*config) error
}

type optionFunc func(*config) error

func (f optionFunc) apply(c *config) error { return f(c) }

type config struct {
	timeout    time.Duration
	cancelMode client.CancelMode
	discloseMe bool
	extra      map[string]any
	buffer     int
	killWait   time.Duration
	strict     bool
	intercept  []client.Interceptor
	retry      retryPolicy
}

func buildConfig(opts []Option) (config, error) {
	if len(opts) == 0 {
		return config{}, nil // the common case, without the escape below
	}
	var cfg config // escapes: options apply through an interface
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o.apply(&cfg); err != nil {
			return config{}, err
		}
	}
	return cfg, nil
}

// timeoutGrace is how much longer the caller's own deadline runs than the
// router-side timeout, so that the router's wamp.error.timeout normally
// arrives first.
const timeoutGrace = 250 * time.Millisecond

// Timeout asks the router to cancel the call after d (CALL.Options.timeout,
// in the unit the router reads: milliseconds as the spec, nexus and Bondy
// read it, whole seconds rounded up on Crossbar.io, see
// client.WithCallTimeoutUnit; the router answers wamp.error.timeout, Crossbar
// wamp.error.canceled "timeout reached") and also bounds the call locally
// with a deadline of d plus a short grace, so the call ends even against a
// router that ignores the option. A router that does not read the option
// (its WELCOME does not announce call_timeout and it is not Crossbar, whose
// dealer implements it unannounced: xconn-go's nxt, fox-wamp) is not sent
// it at all: the local deadline alone ends the call, with a CANCEL when the
// router announces call_canceling. Either way, a call ended by its Timeout
// fails with an error matching both client.ErrTimeout and
// context.DeadlineExceeded (ended by the local deadline, it also matches
// client.ErrCanceled); a deadline of the caller's own ctx stays a context
// error. Timeout(0) means no timeout (it undoes a Timeout given to [New]); a
// negative d is invalid.
func Timeout(d time.Duration) Option {
	return optionFunc(func(c *config) error {
		if d < 0 {
			return fmt.Errorf("caller: %w: negative timeout %s", client.ErrInvalidOption, d)
		}
		c.timeout = d
		return nil
	})
}

// Cancel modes, re-exported for use with CancelMode.
const (
	Skip       = client.CancelSkip
	Kill       = client.CancelKill
	KillNoWait = client.CancelKillNoWait
)

// CancelMode sets how the call is canceled when its context ends or its
// Progress loop is left: [KillNoWait] (the default: the router answers at
// once and interrupts the callee), [Kill] (the callee is interrupted and the
// call waits for its answer, up to [KillWait]) or [Skip] (the router answers
// at once; the callee is not told and runs to its end).
func CancelMode(m client.CancelMode) Option {
	return optionFunc(func(c *config) error {
		switch m {
		case Skip, Kill, KillNoWait:
			c.cancelMode = m
			return nil
		}
		return fmt.Errorf("caller: %w: cancel mode %q (want skip, kill or killnowait)", client.ErrInvalidOption, m)
	})
}

// KillWait bounds how long a call canceled with [Kill] waits for the
// callee's answer to the interruption (default 5 seconds), and how long a
// call canceled explicitly (Sender.Cancel) waits for the router's answer
// before it ends locally. d must be positive.
func KillWait(d time.Duration) Option {
	return optionFunc(func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("caller: %w: kill wait %s must be positive", client.ErrInvalidOption, d)
		}
		c.killWait = d
		return nil
	})
}

// DiscloseMe asks the router to tell the callee who is calling
// (CALL.Options.disclose_me). A router may refuse it with
// client.ErrOptionDisallowedDiscloseMe.
func DiscloseMe() Option {
	return optionFunc(func(c *config) error {
		c.discloseMe = true
		return nil
	})
}

// WithOptions adds raw CALL options, for router extensions this package
// does not name: they go in [client.CallRequest].Extra. The map is copied
// when the option is made; later changes to it have no effect. A key that
// an option of this package also sets (timeout, in milliseconds, and
// disclose_me) must hold a valid value and agree with it: the client reads
// it into the typed field, as it does for every raw option (see "Request
// options" in the client package documentation).
func WithOptions(extra map[string]any) Option {
	cp := make(map[string]any, len(extra))
	for k, v := range extra {
		cp[k] = v
	}
	return optionFunc(func(c *config) error {
		if c.extra == nil {
			c.extra = map[string]any{}
		}
		for k, v := range cp {
			c.extra[k] = v
		}
		return nil
	})
}

// Buffer bounds how many progressive results may wait unread (default
// 65536). A consumer that falls further behind fails the call with
// client.ErrSlowConsumer, and the call is canceled: nothing is dropped
// silently.
func Buffer(n int) Option {
	return optionFunc(func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("caller: %w: buffer %d must be positive", client.ErrInvalidOption, n)
		}
		c.buffer = n
		return nil
	})
}

// Strict makes decoding the result refuse unknown fields and extra
// arguments.
func Strict() Option {
	return optionFunc(func(c *config) error {
		c.strict = true
		return nil
	})
}

func (c *config) request(procedure string, p client.Payload) client.CallRequest {
	return client.CallRequest{
		Procedure: procedure, Payload: p, Extra: c.extra, Timeout: c.timeout,
		CancelMode: c.cancelMode, DiscloseMe: c.discloseMe, Buffer: c.buffer, KillWait: c.killWait,
		Interceptors: c.intercept,
	}
}

// WithInterceptors wraps this call (or every call of a [Procedure]) in
// interceptors, inside the client's own (client.WithInterceptors), the
// first given outermost: see [client.Interceptor] for the order. Several
// WithInterceptors add to the list.
func WithInterceptors(interceptors ...client.Interceptor) Option {
	return optionFunc(func(c *config) error {
		for _, i := range interceptors {
			if i == nil {
				return fmt.Errorf("caller: %w: nil interceptor", client.ErrInvalidOption)
			}
		}
		c.intercept = append(c.intercept[:len(c.intercept):len(c.intercept)], interceptors...)
		return nil
	})
}
