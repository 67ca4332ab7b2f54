package client

import (
	"fmt"
	"strings"
	"time"

	"github.com/gammazero/nexus/v3/wamp"

	"github.com/wampkit/wampkit/internal/wire"
)

// The unit of CALL.Options.timeout differs between routers. The spec, nexus
// and Bondy read milliseconds. Crossbar.io reads seconds: its dealer
// (src/crossbar/router/dealer.py) hands the value unchanged to a timer
// whose delays are seconds, and Autobahn's message parser requires an
// integer. So a 2 s timeout sent as 2000 lets a call run for 33 minutes
// there. Crossbar's dealer also implements the timeout without announcing
// call_timeout in its WELCOME, and answers an expired call with
// wamp.error.canceled ("timeout reached"), sent only to callers that
// announce call_canceling (wampkit does).
//
// A Crossbar router is recognised by its WELCOME: every router session adds
// x_cb_node, x_cb_worker, x_cb_peer and x_cb_pid to Details and to
// Details.authextra (src/crossbar/router/session.py); a session through a
// Crossbar proxy worker keeps them in authextra and adds x_cb_proxy_*
// (src/crossbar/worker/proxy.py). No other router sends x_cb_ keys.

// WithCallTimeoutUnit says in which unit the router reads
// CALL.Options.timeout, time.Millisecond (the spec, nexus, Bondy) or
// time.Second (Crossbar.io), and that it reads the option (as
// WithRouterFeatures(FeatureCallTimeout) would), for a router whose WELCOME
// does not show what it is: a Crossbar behind a proxy that rewrites the
// WELCOME, say. Without it the client chooses per session: seconds when the
// WELCOME is Crossbar's (Details or authextra carry x_cb_ keys), else
// milliseconds. A timeout is rounded up to the unit, so a router never
// cancels a call before the time asked (100ms is 1 second on Crossbar).
// Any other unit is invalid.
func WithCallTimeoutUnit(unit time.Duration) Option {
	return optionFunc(func(c *config) error {
		if unit != time.Millisecond && unit != time.Second {
			return fmt.Errorf("%w: call timeout unit %s (want 1ms or 1s)", ErrInvalidOption, unit)
		}
		c.timeoutUnit = unit
		return nil
	})
}

// CallTimeoutUnit returns the unit in which the current session's router
// reads CALL.Options.timeout, and whether it reads the option at all (its
// dealer announces call_timeout, it is Crossbar.io, or WithCallTimeoutUnit
// or WithRouterFeatures said so). A call with a timeout to a router that
// does not read it fails with ErrFeatureNotSupported before anything is
// sent. Before the first join it returns time.Millisecond and false.
func (c *Client) CallTimeoutUnit() (unit time.Duration, reads bool) {
	c.mu.Lock()
	sess := c.sess
	c.mu.Unlock()
	if sess == nil {
		return time.Millisecond, false
	}
	return c.cfg.callTimeoutUnit(sess.Welcome(), sess.Features())
}

// callTimeoutUnit decides the unit from the configuration and the router's
// WELCOME details and features.
func (cfg *config) callTimeoutUnit(welcome wamp.Dict, f Features) (time.Duration, bool) {
	if cfg.timeoutUnit != 0 {
		return cfg.timeoutUnit, true
	}
	if isCrossbar(welcome) {
		return time.Second, true
	}
	return time.Millisecond, f.Dealer(FeatureCallTimeout)
}

// callTimeout returns the CALL.Options.timeout value for d (positive) on a
// session whose router sent welcome and announced f, or a *FeatureError
// when that router does not read the option.
func (cfg *config) callTimeout(welcome wamp.Dict, f Features, d time.Duration) (int64, error) {
	unit, reads := cfg.callTimeoutUnit(welcome, f)
	if !reads {
		return 0, &FeatureError{Role: "dealer", Feature: FeatureCallTimeout, Need: "a call timeout"}
	}
	return timeoutIn(d, unit), nil
}

// timeoutIn is d in whole units, rounded up: at least 1 for a positive d.
func timeoutIn(d, unit time.Duration) int64 {
	n := d / unit
	if d%unit != 0 {
		n++
	}
	return int64(n)
}

// isCrossbar reports whether WELCOME details are Crossbar.io's: x_cb_ keys
// in Details (a router session) or in Details.authextra (also through a
// proxy worker).
func isCrossbar(welcome wamp.Dict) bool {
	if hasCrossbarKey(welcome) {
		return true
	}
	extra, _ := wire.AsDict(welcome["authextra"])
	return hasCrossbarKey(extra)
}

func hasCrossbarKey(d wamp.Dict) bool {
	for k := range d {
		if strings.HasPrefix(k, "x_cb_") {
			return true
		}
	}
	return false
}
