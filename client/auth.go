package client

import (
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"

	"github.com/gammazero/nexus/v3/wamp"
)

// Bounds on what a router's WAMP-CRA CHALLENGE may ask of the client. A
// challenge outside them fails the join with an error naming the field: a
// hostile or broken router cannot make the client allocate a huge key or
// spin on PBKDF2. Key derivation also stops when the join's context ends.
const (
	// CRAMaxIterations is the largest PBKDF2 iteration count accepted
	// (Autobahn and Crossbar default to 1000; OWASP's 2023 advice for
	// PBKDF2-HMAC-SHA256 is 600,000). 10 million takes a few seconds.
	CRAMaxIterations = 10_000_000
	// CRAMaxKeyLen is the largest derived key length accepted, in bytes
	// (the default is 32).
	CRAMaxKeyLen = 256
	// craDefaultIterations and craDefaultKeyLen apply when a salted
	// challenge leaves them out, as in Autobahn.
	craDefaultIterations = 1000
	craDefaultKeyLen     = 32
	// craCheckEvery is how many PBKDF2 iterations run between two looks at
	// the context.
	craCheckEvery = 4096
)

// authenticator answers one auth method's CHALLENGE.
type authenticator struct {
	method string
	extra  func() map[string]any
	answer func(ctx context.Context, ch *wamp.Challenge) (string, wamp.Dict, error)
}

func ticketAuth(ticket string) authenticator {
	return authenticator{method: "ticket", answer: func(context.Context, *wamp.Challenge) (string, wamp.Dict, error) {
		return ticket, wamp.Dict{}, nil
	}}
}

func craAuth(secret string) authenticator {
	return authenticator{method: "wampcra", answer: func(ctx context.Context, ch *wamp.Challenge) (string, wamp.Dict, error) {
		sig, err := craSignature(ctx, secret, ch.Extra)
		if err != nil {
			return "", nil, err
		}
		return sig, wamp.Dict{}, nil
	}}
}

// craSignature computes the WAMP-CRA signature: HMAC-SHA256 of the challenge
// string, keyed with the secret, or with the base64 of the PBKDF2-HMAC-SHA256
// key derived from it when the challenge carries a salt.
func craSignature(ctx context.Context, secret string, extra wamp.Dict) (string, error) {
	challenge, ok := extra["challenge"].(string)
	if !ok {
		return "", fmt.Errorf("client: wampcra challenge: \"challenge\" is %s, want a string", describe(extra["challenge"]))
	}
	key := []byte(secret)
	if rawSalt, present := extra["salt"]; present && rawSalt != nil {
		salt, ok := rawSalt.(string)
		if !ok {
			return "", fmt.Errorf("client: wampcra challenge: \"salt\" is %s, want a string", describe(rawSalt))
		}
		if salt != "" {
			iters, err := craParam(extra, "iterations", craDefaultIterations, CRAMaxIterations)
			if err != nil {
				return "", err
			}
			keyLen, err := craParam(extra, "keylen", craDefaultKeyLen, CRAMaxKeyLen)
			if err != nil {
				return "", err
			}
			dk, err := pbkdf2SHA256(ctx, key, []byte(salt), iters, keyLen)
			if err != nil {
				return "", fmt.Errorf("client: wampcra key derivation (%d iterations): %w", iters, err)
			}
			key = []byte(base64.StdEncoding.EncodeToString(dk))
		}
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(challenge))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil)), nil
}

// craParam reads a positive integer parameter of a salted challenge: absent,
// null or 0 gives def (as nexus's and Autobahn's clients read it); anything
// else must be an integer in 1..max.
func craParam(extra wamp.Dict, name string, def, max int) (int, error) {
	v, present := extra[name]
	if !present || v == nil {
		return def, nil
	}
	n, ok := asInteger(v)
	if !ok {
		return 0, fmt.Errorf("client: wampcra challenge: %q is %s, want an integer", name, describe(v))
	}
	if n == 0 {
		return def, nil
	}
	if n < 0 || n > int64(max) {
		return 0, fmt.Errorf("client: wampcra challenge: %q is %d, want 1 to %d", name, n, max)
	}
	return int(n), nil
}

// asInteger accepts any integer kind, and a float without a fraction (JSON
// decoders may give either).
func asInteger(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int8:
		return int64(n), true
	case int16:
		return int64(n), true
	case int32:
		return int64(n), true
	case int64:
		return n, true
	case uint:
		return clampUint(uint64(n)), true
	case uint8:
		return int64(n), true
	case uint16:
		return int64(n), true
	case uint32:
		return int64(n), true
	case uint64:
		return clampUint(n), true
	case float32:
		return asInteger(float64(n))
	case float64:
		if n != math.Trunc(n) || math.IsInf(n, 0) || n < math.MinInt64 || n >= math.MaxInt64 {
			return 0, false
		}
		return int64(n), true
	}
	return 0, false
}

func clampUint(n uint64) int64 {
	if n > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(n)
}

// describe names the JSON-ish kind of a value in an error message.
func describe(v any) string {
	if v == nil {
		return "missing"
	}
	s := fmt.Sprintf("%v", v)
	if len(s) > 32 {
		s = s[:32] + "..."
	}
	return fmt.Sprintf("%T %s", v, s)
}

// pbkdf2SHA256 is PBKDF2 (RFC 8018) with HMAC-SHA256, checking ctx every
// craCheckEvery iterations so that a join whose context ends stops deriving.
func pbkdf2SHA256(ctx context.Context, password, salt []byte, iters, keyLen int) ([]byte, error) {
	prf := hmac.New(sha256.New, password)
	size := prf.Size()
	blocks := (keyLen + size - 1) / size
	out := make([]byte, 0, blocks*size)
	u := make([]byte, 0, size)
	t := make([]byte, size)
	var index [4]byte
	for block := 1; block <= blocks; block++ {
		binary.BigEndian.PutUint32(index[:], uint32(block))
		prf.Reset()
		prf.Write(salt)
		prf.Write(index[:])
		u = prf.Sum(u[:0])
		copy(t, u)
		for i := 2; i <= iters; i++ {
			if i%craCheckEvery == 0 {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
			}
			prf.Reset()
			prf.Write(u)
			u = prf.Sum(u[:0])
			for j := range t {
				t[j] ^= u[j]
			}
		}
		out = append(out, t...)
	}
	return out[:keyLen], nil
}

func cryptosignAuth(key ed25519.PrivateKey) authenticator {
	pub := hex.EncodeToString(key.Public().(ed25519.PublicKey))
	return authenticator{
		method: "cryptosign",
		extra:  func() map[string]any { return map[string]any{"pubkey": pub} },
		answer: func(_ context.Context, ch *wamp.Challenge) (string, wamp.Dict, error) {
			hexCh, ok := ch.Extra["challenge"].(string)
			if !ok {
				return "", nil, fmt.Errorf("client: cryptosign challenge: \"challenge\" is %s, want a string", describe(ch.Extra["challenge"]))
			}
			msg, err := hex.DecodeString(hexCh)
			if err != nil || len(msg) != 32 {
				if len(hexCh) > 40 {
					hexCh = hexCh[:40] + "..."
				}
				return "", nil, fmt.Errorf("client: cryptosign challenge %q is not 32 hex-encoded bytes", hexCh)
			}
			sig := ed25519.Sign(key, msg)
			return hex.EncodeToString(sig) + hex.EncodeToString(msg), wamp.Dict{}, nil
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
	return func(ctx context.Context, ch *wamp.Challenge) (string, wamp.Dict, error) {
		if ch.AuthMethod != c.auth.method {
			return "", nil, fmt.Errorf("client: router challenged with %q, configured for %q", ch.AuthMethod, c.auth.method)
		}
		return c.auth.answer(ctx, ch)
	}
}
