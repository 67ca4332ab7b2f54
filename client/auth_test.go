package client_test

import (
	"context"
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/client"
)

func TestAuthAgainstNexusAuthenticators(t *testing.T) {
	r := startNexus(t)
	_, otherKey, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	cases := []struct {
		name     string
		opt      client.Option
		wantRole string
		wantErr  bool
	}{
		{"ticket", client.WithTicket("alice", "alice-ticket"), "user-alice", false},
		{"ticket wrong secret", client.WithTicket("alice", "nope"), "", true},
		{"wampcra", client.WithCRA("bob", "bob-secret"), "user-bob", false},
		{"wampcra wrong secret", client.WithCRA("bob", "wrong"), "", true},
		{"cryptosign", client.WithCryptosign("carol", r.signKey), "user-carol", false},
		{"cryptosign wrong key", client.WithCryptosign("carol", otherKey), "", true},
	}
	for _, tc := range cases {
		for _, url := range []string{r.wsURL, r.tcpURL} {
			t.Run(tc.name+"/"+url[:3], func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				c, err := client.Connect(ctx, url, client.WithRealm("secure"), tc.opt)
				if tc.wantErr {
					require.Error(t, err)
					assert.Contains(t, err.Error(), "join realm secure")
					// nexus answers ABORT authentication_failed, but may close
					// the connection before the ABORT is read; either way the
					// error says what happened.
					if !client.IsRemote(err) {
						assert.Contains(t, err.Error(), "credentials refused")
					}
					t.Log(err)
					return
				}
				require.NoError(t, err)
				defer closeClient(t, c)
				assert.Equal(t, tc.wantRole, c.RouterDetails()["authrole"])
				assert.NotZero(t, c.ID())
			})
		}
	}
}

func TestAuthRequiredButNotConfigured(t *testing.T) {
	r := startNexus(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := client.Connect(ctx, r.wsURL, client.WithRealm("secure"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "secure")
}

func TestInvalidOptionsRejected(t *testing.T) {
	ctx := context.Background()
	for name, opt := range map[string]client.Option{
		"empty realm":    client.WithRealm(""),
		"bad serializer": client.WithSerialization(client.Serialization(9)),
		"ticket no id":   client.WithTicket("", "x"),
		"short key":      client.WithCryptosign("x", ed25519.PrivateKey{1, 2}),
		"event queue":    client.WithEventQueueBytes(0),
	} {
		_, err := client.Connect(ctx, "ws://127.0.0.1:1/ws", opt)
		assert.ErrorIs(t, err, client.ErrInvalidOption, name)
	}
	_, err := client.Connect(ctx, "http://127.0.0.1:1/", client.WithRealm("x"))
	assert.ErrorIs(t, err, client.ErrInvalidOption)
}
