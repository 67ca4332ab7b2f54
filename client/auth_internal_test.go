package client

import (
	"context"
	"crypto/pbkdf2"
	"crypto/sha256"
	"testing"

	"github.com/gammazero/nexus/v3/wamp"
	"github.com/gammazero/nexus/v3/wamp/crsign"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The chunked PBKDF2 gives the standard library's keys, and the signature
// is the one nexus's reference client computes.
func TestCRASignatureMatchesReference(t *testing.T) {
	for _, p := range []struct{ iters, keyLen int }{{1, 1}, {1000, 32}, {4097, 33}, {5000, 64}, {2, 256}} {
		want, err := pbkdf2.Key(sha256.New, "secret", []byte("salt"), p.iters, p.keyLen)
		require.NoError(t, err)
		got, err := pbkdf2SHA256(context.Background(), []byte("secret"), []byte("salt"), p.iters, p.keyLen)
		require.NoError(t, err)
		assert.Equal(t, want, got, "%+v", p)

		ch := &wamp.Challenge{AuthMethod: "wampcra", Extra: wamp.Dict{"challenge": "hello", "salt": "salt",
			"iterations": p.iters, "keylen": p.keyLen}}
		sig, err := craSignature(context.Background(), "secret", ch.Extra)
		require.NoError(t, err)
		assert.Equal(t, crsign.RespondChallenge("secret", ch, sha256.New), sig)
	}
	unsalted := wamp.Dict{"challenge": "hello"}
	sig, err := craSignature(context.Background(), "secret", unsalted)
	require.NoError(t, err)
	assert.Equal(t, crsign.RespondChallenge("secret", &wamp.Challenge{Extra: unsalted}, sha256.New), sig)
}
