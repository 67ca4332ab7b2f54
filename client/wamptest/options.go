package wamptest

import (
	"fmt"
	"log/slog"

	"github.com/gammazero/nexus/v3/wamp"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/router"
)

// RouterOption configures a [Router] ([NewRouter], [StartRouter]). Options
// are sealed: only this package makes them. A nil RouterOption is ignored
// (the rule of every wampkit package, see [client.Option]).
type RouterOption interface {
	apply(*router.Config) error
}

type optionFunc func(*router.Config) error

func (f optionFunc) apply(c *router.Config) error { return f(c) }

// WithRealm sets the realm the router serves (default "realm1"). The
// router's clients ([Router.Connect], [Router.Dial]) join it unless given
// another with client.WithRealm.
func WithRealm(uri string) RouterOption {
	return optionFunc(func(c *router.Config) error {
		if !wamp.URI(uri).ValidURI(false, "") {
			return fmt.Errorf("%w: realm %q is not a valid URI", client.ErrInvalidOption, uri)
		}
		c.Realm = uri
		return nil
	})
}

// WithLogger sends the router's logs (nexus's included, at debug level) to
// l. By default they are discarded: the router never prints.
func WithLogger(l *slog.Logger) RouterOption {
	return optionFunc(func(c *router.Config) error {
		if l == nil {
			return fmt.Errorf("%w: nil logger", client.ErrInvalidOption)
		}
		c.Logger = l
		return nil
	})
}
