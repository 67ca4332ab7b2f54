package client

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/gammazero/nexus/v3/wamp"
	"github.com/gammazero/nexus/v3/wamp/crsign"
)

// authenticator answers one auth method's CHALLENGE.
type authenticator struct {
	method string
	extra  func() map[string]any
	answer func(ch *wamp.Challenge) (string, wamp.Dict, error)
}

func ticketAuth(ticket string) authenticator {
	return authenticator{method: "ticket", answer: func(*wamp.Challenge) (string, wamp.Dict, error) {
		return ticket, wamp.Dict{}, nil
	}}
}

func craAuth(secret string) authenticator {
	return authenticator{method: "wampcra", answer: func(ch *wamp.Challenge) (string, wamp.Dict, error) {
		if _, ok := ch.Extra["challenge"].(string); !ok {
			return "", nil, errors.New("client: wampcra challenge has no challenge string")
		}
		return crsign.RespondChallenge(secret, ch, sha256.New), wamp.Dict{}, nil
	}}
}

func cryptosignAuth(key ed25519.PrivateKey) authenticator {
	pub := hex.EncodeToString(key.Public().(ed25519.PublicKey))
	return authenticator{
		method: "cryptosign",
		extra:  func() map[string]any { return map[string]any{"pubkey": pub} },
		answer: func(ch *wamp.Challenge) (string, wamp.Dict, error) {
			hexCh, _ := ch.Extra["challenge"].(string)
			msg, err := hex.DecodeString(hexCh)
			if err != nil || len(msg) != 32 {
				return "", nil, fmt.Errorf("client: cryptosign challenge %q is not 32 hex-encoded bytes", hexCh)
			}
			sig := ed25519.Sign(key, msg)
			return hex.EncodeToString(sig) + hexCh, wamp.Dict{}, nil
		},
	}
}

// helloDetails builds the HELLO details from the configuration.
func (c *config) helloDetails() wamp.Dict {
	d := wamp.Dict{}
	for k, v := range c.hello {
		d[k] = v
	}
	if c.authID != "" {
		d["authid"] = c.authID
	}
	extra := wamp.Dict{}
	for k, v := range c.authExtra {
		extra[k] = v
	}
	if c.auth.method != "" {
		d["authmethods"] = wamp.List{c.auth.method}
		if c.auth.extra != nil {
			for k, v := range c.auth.extra() {
				extra[k] = v
			}
		}
	}
	if len(extra) > 0 {
		d["authextra"] = extra
	}
	return d
}

func (c *config) authFunc() func(ctx context.Context, ch *wamp.Challenge) (string, wamp.Dict, error) {
	if c.auth.method == "" {
		return nil
	}
	return func(_ context.Context, ch *wamp.Challenge) (string, wamp.Dict, error) {
		if ch.AuthMethod != c.auth.method {
			return "", nil, fmt.Errorf("client: router challenged with %q, configured for %q", ch.AuthMethod, c.auth.method)
		}
		return c.auth.answer(ch)
	}
}
