package client

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"fmt"
	"log/slog"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// Serialization selects the WAMP serializer.
type Serialization int

// The serializers every WAMP router speaks.
const (
	JSON Serialization = iota
	MsgPack
	CBOR
)

func (s Serialization) String() string {
	switch s {
	case JSON:
		return "json"
	case MsgPack:
		return "msgpack"
	case CBOR:
		return "cbor"
	}
	return fmt.Sprintf("Serialization(%d)", int(s))
}

// ParseSerialization maps "json", "msgpack" and "cbor" to a Serialization.
func ParseSerialization(name string) (Serialization, error) {
	switch name {
	case "json", "":
		return JSON, nil
	case "msgpack":
		return MsgPack, nil
	case "cbor":
		return CBOR, nil
	}
	return 0, fmt.Errorf("%w: unknown serialization %q (want json, msgpack or cbor)", ErrInvalidOption, name)
}

// Option configures Connect. Options are sealed: only this package makes
// them.
//
// A nil Option is ignored, so that an option can be chosen at run time
// (var o client.Option; if secure { o = client.WithTLSConfig(cfg) }). This
// is the one rule for the functional options of every wampkit package:
// callee, caller, metaclient, client/wampotel and client/wamptest skip nil
// options too.
type Option interface {
	apply(*config) error
}

type optionFunc func(*config) error

func (f optionFunc) apply(c *config) error { return f(c) }

type config struct {
	baseContext     context.Context // handlers' parent (WithBaseContext)
	realm           string
	serialization   Serialization
	tls             *tls.Config
	auth            authenticator
	authID          string
	authExtra       map[string]any
	hello           map[string]any
	logger          *slog.Logger
	listeners       []func(StateChange)
	failover        []string
	connectRetry    bool
	onRestoreErr    func(r *Registration, err error)
	reconnect       bool
	backoff         func() backoff.BackOff
	failFast        bool
	strictURIs      bool
	eventQueueBytes int
	keepAlive       time.Duration
	limits          limits // see limits.go
	assumeFeatures  []string
	timeoutUnit     time.Duration // 0: per session, see WithCallTimeoutUnit
	interceptors    []Interceptor
}

// DefaultKeepAlive is the keepalive interval of websocket and rawsocket
// connections unless WithKeepAlive says otherwise.
const DefaultKeepAlive = 30 * time.Second

func defaultConfig() config {
	return config{
		keepAlive: DefaultKeepAlive,
		realm:     "realm1",
		reconnect: true,
		backoff:   defaultBackoff,

		eventQueueBytes: DefaultEventQueueBytes,
	}
}

func defaultBackoff() backoff.BackOff {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = 100 * time.Millisecond
	b.RandomizationFactor = 0.5
	b.Multiplier = 2
	b.MaxInterval = 10 * time.Second
	b.MaxElapsedTime = 0 // until Close
	return b
}

// WithRealm sets the realm to join (default "realm1").
func WithRealm(realm string) Option {
	return optionFunc(func(c *config) error {
		if realm == "" {
			return fmt.Errorf("%w: empty realm", ErrInvalidOption)
		}
		c.realm = realm
		return nil
	})
}

// WithSerialization selects JSON (default), MsgPack or CBOR.
func WithSerialization(s Serialization) Option {
	return optionFunc(func(c *config) error {
		if s < JSON || s > CBOR {
			return fmt.Errorf("%w: unknown serialization %d", ErrInvalidOption, int(s))
		}
		c.serialization = s
		return nil
	})
}

// WithTLSConfig sets the TLS configuration for wss and tcps URLs. It is
// cloned, never modified. With a ws, tcp or unix URL, Connect fails with
// ErrInvalidOption rather than send the credentials it protects in clear.
func WithTLSConfig(cfg *tls.Config) Option {
	return optionFunc(func(c *config) error {
		c.tls = cfg.Clone()
		return nil
	})
}

// WithLogger sends the client's reports (unexpected router input, restore
// failures, dropped events) to l. Without it the client never logs.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c *config) error {
		c.logger = l
		return nil
	})
}

// WithBaseContext makes ctx the parent of every invocation handler's
// context (as net/http's Server.BaseContext is of requests'), so handlers
// see the application's values (a logger, a trace) and end when ctx ends.
// Default context.Background(). A handler's context is canceled on its own
// too: when the caller cancels, the forwarded timeout passes, the session
// ends, or the handler returns.
func WithBaseContext(ctx context.Context) Option {
	return optionFunc(func(c *config) error {
		if ctx == nil {
			return fmt.Errorf("%w: nil base context", ErrInvalidOption)
		}
		c.baseContext = ctx
		return nil
	})
}

// WithStateCallback calls f on every state change, as a listener given
// with [WithStateListener] does (it is one).
func WithStateCallback(f func(State)) Option {
	return optionFunc(func(c *config) error {
		if f == nil {
			return fmt.Errorf("%w: nil state callback", ErrInvalidOption)
		}
		c.listeners = append(c.listeners, func(sc StateChange) { f(sc.State) })
		return nil
	})
}

// WithStateListener adds f to the client's state listeners; the option may
// be given several times (with [WithStateCallback] too). Every listener is
// called on every state change, once each, with the URL of the router the
// change concerns (see [StateChange]).
//
// All listeners run on one goroutine of the client, never under a lock and
// never on the read loop: change after change, in the order the changes
// happened, and for each change in the order the listeners were given. The
// first call is for Connected (made once Connect has returned the client),
// the last for Closed. A listener must not block for long: later changes
// wait for it. It may call any method of the client, Close included (see
// [Client.Close]), but must not wait for Closed ([Client.Done],
// [Client.WaitState]): the client is not fully closed while a listener runs.
// A panic in a listener is recovered and logged.
func WithStateListener(f func(StateChange)) Option {
	return optionFunc(func(c *config) error {
		if f == nil {
			return fmt.Errorf("%w: nil state listener", ErrInvalidOption)
		}
		c.listeners = append(c.listeners, f)
		return nil
	})
}

// WithFailover adds routers to try after the one given to Connect (or the
// in-process router of client/wamptest), in order. The first connect tries each once, in order,
// until one answers (with [WithConnectRetry], round after round). After a
// lost session the client tries the router after the lost one first,
// walking the list round by round with the reconnect backoff policy
// ([WithReconnect]) between rounds; registrations and subscriptions are
// restored on whichever router answers and their handles stay valid.
// [Client.URL] and [WithStateListener] say which router is in use. Each
// attempt (dial and join) is bounded by 10s. The URLs are checked by
// Connect; an empty one is an error.
func WithFailover(urls ...string) Option {
	return optionFunc(func(c *config) error {
		for _, u := range urls {
			if u == "" {
				return fmt.Errorf("%w: empty failover URL", ErrInvalidOption)
			}
		}
		c.failover = append(c.failover, urls...)
		return nil
	})
}

// WithConnectRetry makes the first connect wait for a router, as a
// reconnect would: Connect tries the routers (the Connect URL, then the
// [WithFailover] ones) round after round, with the reconnect backoff policy
// ([WithReconnect], the default one even with [WithoutReconnect]) between
// rounds, until one answers or ctx ends. When ctx ends first, the error
// wraps ctx's error (errors.Is(err, context.DeadlineExceeded)) and the
// last attempt's; when the policy stops first, it is a *ReconnectError.
// Without this option a Connect that finds no router fails at once.
func WithConnectRetry() Option {
	return optionFunc(func(c *config) error {
		c.connectRetry = true
		return nil
	})
}

// WithRestoreErrorHandler calls f when a registration cannot be restored
// after a reconnect (for example procedure_already_exists because the old
// session still holds it). The client keeps retrying with the reconnect
// backoff policy until the registration is restored, unregistered, or the
// client closes; if the policy stops first, the registration ends with the
// refusal (Done is closed, Err wraps it) and f is called a last time with
// that error. f runs on the client's callback goroutine, in order with the
// state listeners' calls ([WithStateListener]), never under a lock: it may
// call Close, and must not block for long. Reports made once the client is
// Closed are dropped.
func WithRestoreErrorHandler(f func(r *Registration, err error)) Option {
	return optionFunc(func(c *config) error {
		c.onRestoreErr = f
		return nil
	})
}

// WithReconnect sets the backoff policy for reconnecting after a lost
// transport. newBackOff is called once per outage (and once per refused
// restore); the first attempt is immediate, each later one waits
// NextBackOff. A session lost less than a second after it was restored (a
// router that welcomes and then drops it) does not start a new outage: the
// last one goes on under its policy, with a wait before the next attempt. When the policy stops (backoff.ExponentialBackOff's
// MaxElapsedTime, backoff.WithMaxRetries...), the client closes: Err
// returns a *ReconnectError matching ErrReconnectFailed. The default is
// exponential with jitter: 100ms initial, doubling, at most 10s apart,
// retrying until Close. Each attempt (dial and join) is bounded by 10s.
//
//	client.WithReconnect(func() backoff.BackOff {
//		b := backoff.NewExponentialBackOff()
//		b.MaxInterval, b.MaxElapsedTime = 5*time.Second, time.Minute
//		return b
//	})
func WithReconnect(newBackOff func() backoff.BackOff) Option {
	return optionFunc(func(c *config) error {
		if newBackOff == nil {
			return fmt.Errorf("%w: nil backoff factory", ErrInvalidOption)
		}
		c.reconnect, c.backoff = true, newBackOff
		return nil
	})
}

// WithoutReconnect turns reconnection off: a lost transport closes the
// client (Err then matches ErrConnectionLost).
func WithoutReconnect() Option {
	return optionFunc(func(c *config) error {
		c.reconnect = false
		return nil
	})
}

// WithFailFast makes requests made while the client is reconnecting fail at
// once with ErrNotConnected instead of waiting for the connection.
func WithFailFast() Option {
	return optionFunc(func(c *config) error {
		c.failFast = true
		return nil
	})
}

// WithStrictURIs validates URIs with the strict rules ([0-9a-z_] components)
// instead of the loose default.
func WithStrictURIs() Option {
	return optionFunc(func(c *config) error {
		c.strictURIs = true
		return nil
	})
}

// WithEventQueueBytes bounds each event queue (the client's ordered one,
// and each [SubscribeOptions].ConcurrentDelivery subscription's own) by the approximate
// encoded size of the events it holds, in bytes (default
// [DefaultEventQueueBytes], 64 MiB). An event arriving at a queue over its
// bound is dropped: the subscriptions it was for count it
// ([Subscription.Dropped]), [SubscribeOptions].OnGap reports it in their event order, and the
// client logs a warning once per slow episode. The bound is exceeded by at
// most one event: an empty queue takes an event of any size.
func WithEventQueueBytes(n int) Option {
	return optionFunc(func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("%w: event queue bound %d must be positive", ErrInvalidOption, n)
		}
		c.eventQueueBytes = n
		return nil
	})
}

// WithKeepAlive sets the keepalive interval (default [DefaultKeepAlive],
// 30 s; zero turns keepalive off): the client pings the router at this
// interval (websocket ping frames; rawsocket PING frames, which the spec
// has every router answer), and when nothing at all came in during a whole
// interval after a ping, the link counts as stalled: it is dropped and,
// unless reconnecting is off, the client reconnects. A stalled link is so
// noticed within two intervals; a router gets one interval to answer a
// ping. In-process connections have no keepalive.
func WithKeepAlive(d time.Duration) Option {
	return optionFunc(func(c *config) error {
		if d < 0 {
			return fmt.Errorf("%w: negative keepalive", ErrInvalidOption)
		}
		c.keepAlive = d
		return nil
	})
}

// WithHelloDetails adds entries to the HELLO details (roles are always the
// client's own). The map is copied.
func WithHelloDetails(details map[string]any) Option {
	return optionFunc(func(c *config) error {
		c.hello = make(map[string]any, len(details))
		for k, v := range details {
			c.hello[k] = v
		}
		return nil
	})
}

// WithAuthExtra sets HELLO authextra (copied).
func WithAuthExtra(extra map[string]any) Option {
	return optionFunc(func(c *config) error {
		if c.authExtra == nil {
			c.authExtra = map[string]any{}
		}
		for k, v := range extra {
			c.authExtra[k] = v
		}
		return nil
	})
}

// WithTicket authenticates with WAMP ticket auth.
func WithTicket(authID, ticket string) Option {
	return optionFunc(func(c *config) error {
		if authID == "" {
			return fmt.Errorf("%w: ticket auth needs an authid", ErrInvalidOption)
		}
		c.authID, c.auth = authID, ticketAuth(ticket)
		return nil
	})
}

// WithCRA authenticates with WAMP-CRA (challenge-response); salted secrets
// are derived (PBKDF2-HMAC-SHA256) as the challenge's salt, iterations and
// keylen say. A challenge asking for more than [CRAMaxIterations] iterations
// or a key longer than [CRAMaxKeyLen] bytes, or with a field of the wrong
// type, fails the join; key derivation stops when Connect's context ends.
func WithCRA(authID, secret string) Option {
	return optionFunc(func(c *config) error {
		if authID == "" {
			return fmt.Errorf("%w: wampcra auth needs an authid", ErrInvalidOption)
		}
		c.authID, c.auth = authID, craAuth(secret)
		return nil
	})
}

// WithCryptosign authenticates with WAMP-cryptosign using an Ed25519 key.
func WithCryptosign(authID string, key ed25519.PrivateKey) Option {
	return optionFunc(func(c *config) error {
		if len(key) != ed25519.PrivateKeySize {
			return fmt.Errorf("%w: cryptosign key has %d bytes, want %d", ErrInvalidOption, len(key), ed25519.PrivateKeySize)
		}
		c.authID, c.auth = authID, cryptosignAuth(key)
		return nil
	})
}
