package router

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	nexus "github.com/gammazero/nexus/v3/router"
	"github.com/gammazero/nexus/v3/router/auth"
	"github.com/gammazero/nexus/v3/wamp"
)

// Defaults applied by [New] and [Start] to the zero fields of a [Config].
const (
	DefaultRealm         = "realm1"
	DefaultAdminAuthID   = "admin"
	DefaultAdminRole     = "admin"
	DefaultListenAddress = "127.0.0.1:0"
)

// DefaultAdminRoles returns the authroles allowed to call admin procedures
// when [Config.AdminRoles] is nil: "admin" (the ticket user) and "trusted"
// (nexus's role for in-process sessions when [Config.TrustInProcess] is set).
func DefaultAdminRoles() []string { return []string{DefaultAdminRole, "trusted"} }

// Config configures a [Router]. The zero value is usable: every zero field
// takes the default named in its comment. [New] copies the Config; changing
// it afterwards has no effect.
type Config struct {
	// Realm is the one realm the router serves. Default "realm1".
	Realm string

	// DisableAnonymous refuses sessions that do not authenticate. By default
	// anonymous sessions are welcomed with authrole "anonymous".
	DisableAnonymous bool

	// AdminAuthID and AdminTicket are the credentials of the admin user
	// (WAMP-Ticket authentication). AdminAuthID defaults to "admin". There is
	// no default ticket: when AdminTicket is empty, [New] generates a random
	// one (128 bits, URL-safe base64), which [Router.AdminCredentials]
	// returns. A fixed well-known secret would let anyone who reads this
	// comment remove callees and kill sessions.
	AdminAuthID string
	AdminTicket string
	// AdminRole is the authrole given to the admin user. Default "admin".
	AdminRole string

	// AdminRoles lists the authroles allowed to call admin procedures:
	// wamp.registration.remove_callee and the wamp.session.kill* family.
	// Others get wamp.error.not_authorized. nil means [DefaultAdminRoles];
	// an empty non-nil slice allows nobody.
	AdminRoles []string

	// RestrictReadOnlyMeta limits the read-only meta procedures
	// (wamp.registration.list, get, ..., wamp.session.list, get, count,
	// wamp.subscription.*) to AdminRoles too. By default they are open to
	// every session.
	RestrictReadOnlyMeta bool

	// TrustInProcess makes sessions attached in-process (a peer whose
	// IsLocal reports true, such as one from transport.LinkedPeers) skip
	// authentication and get authrole "trusted", as plain nexus does. By
	// default they authenticate like network clients, so a test sees the
	// same roles whatever the transport.
	TrustInProcess bool

	// WebsocketAddr and RawSocketAddr are where [Start] listens.
	// Default "127.0.0.1:0" (an ephemeral port) for both.
	WebsocketAddr string
	RawSocketAddr string

	// AllowOrigins lists the websocket Origin values accepted besides the
	// router's own host; "*" accepts any. Requests without an Origin header
	// (non-browser clients) are always accepted.
	AllowOrigins []string

	// Logger receives the router's logs, nexus's included (at debug level).
	// nil discards them: the router never prints.
	Logger *slog.Logger
}

// withDefaults returns a copy of c with the defaults filled in.
func (c Config) withDefaults() Config {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.Realm, DefaultRealm)
	def(&c.AdminAuthID, DefaultAdminAuthID)
	if c.AdminTicket == "" {
		c.AdminTicket = NewTicket()
	}
	def(&c.AdminRole, DefaultAdminRole)
	def(&c.WebsocketAddr, DefaultListenAddress)
	def(&c.RawSocketAddr, DefaultListenAddress)
	if c.AdminRoles == nil {
		c.AdminRoles = DefaultAdminRoles()
	} else {
		c.AdminRoles = slices.Clone(c.AdminRoles)
	}
	c.AllowOrigins = slices.Clone(c.AllowOrigins)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// NewTicket returns a random admin ticket: 128 bits from crypto/rand,
// URL-safe base64 without padding.
func NewTicket() string {
	return base64.RawURLEncoding.EncodeToString(randomBytes(16))
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return b
}

// validate reports a configuration nexus would reject or misuse.
func (c Config) validate() error {
	if !wamp.URI(c.Realm).ValidURI(false, "") {
		return fmt.Errorf("router: invalid realm URI %q", c.Realm)
	}
	if c.AdminAuthID == "" || c.AdminTicket == "" {
		return errors.New("router: admin authid and ticket must not be empty")
	}
	return nil
}

// isAdmin reports whether authrole may call admin procedures.
func (c Config) isAdmin(authrole string) bool {
	return slices.Contains(c.AdminRoles, authrole)
}

// nexusConfig is the nexus router configuration for c.
func (c Config) nexusConfig() *nexus.Config {
	keys := ticketStore{authid: c.AdminAuthID, ticket: c.AdminTicket, role: c.AdminRole}
	return &nexus.Config{RealmConfigs: []*nexus.RealmConfig{{
		URI:              wamp.URI(c.Realm),
		AnonymousAuth:    !c.DisableAnonymous,
		AllowDisclose:    true,
		Authenticators:   []auth.Authenticator{auth.NewTicketAuthenticator(keys, 0)},
		RequireLocalAuth: !c.TrustInProcess,
		EnableMetaKill:   true,
	}}}
}

// ticketStore is the auth.KeyStore of the single admin user.
type ticketStore struct {
	authid, ticket, role string
}

var errUnknownAuthID = errors.New("router: unknown authid")

func (s ticketStore) AuthKey(authid, authmethod string) ([]byte, error) {
	if authid != s.authid || authmethod != "ticket" {
		return nil, errUnknownAuthID
	}
	return []byte(s.ticket), nil
}

func (s ticketStore) PasswordInfo(string) (string, int, int) { return "", 0, 0 }

func (s ticketStore) AuthRole(authid string) (string, error) {
	if authid != s.authid {
		return "", errUnknownAuthID
	}
	return s.role, nil
}

func (s ticketStore) Provider() string { return "wampkit" }

// nexusLog adapts a *slog.Logger to nexus's stdlog.StdLog. nexus logs
// routine chatter and real trouble through the same calls, so everything goes
// out at debug level, tagged component=nexus.
type nexusLog struct{ l *slog.Logger }

func (n nexusLog) Print(v ...any) { n.log(fmt.Sprint(v...)) }

func (n nexusLog) Println(v ...any) {
	s := fmt.Sprintln(v...)
	n.log(s[:len(s)-1])
}

func (n nexusLog) Printf(format string, v ...any) { n.log(fmt.Sprintf(format, v...)) }

func (n nexusLog) log(msg string) {
	n.l.Log(context.Background(), slog.LevelDebug, msg, "component", "nexus")
}
