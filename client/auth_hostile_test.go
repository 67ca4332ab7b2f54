package client_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/wamp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest"
)

// challengeThenWait answers HELLO with ch and then reads until the client
// goes away (it must give up on its own).
func challengeThenWait(ch *wamp.Challenge) func(r *routerSide) {
	return func(r *routerSide) {
		expectMsg[*wamp.Hello](r)
		r.send(ch)
		for range r.peer.Recv() {
		}
	}
}

// A router's absurd WAMP-CRA parameters fail the join at once with an error
// naming the field: no panic, no huge allocation, no long key derivation.
func TestCRAChallengeWithAbsurdParameters(t *testing.T) {
	cases := []struct {
		name  string
		extra wamp.Dict
		want  string
	}{
		{"negative keylen", wamp.Dict{"challenge": "c", "salt": "s", "keylen": -1}, `"keylen" is -1`},
		{"huge keylen", wamp.Dict{"challenge": "c", "salt": "s", "keylen": int64(1) << 40}, `"keylen" is 1099511627776`},
		{"negative iterations", wamp.Dict{"challenge": "c", "salt": "s", "iterations": -5}, `"iterations" is -5`},
		{"huge iterations", wamp.Dict{"challenge": "c", "salt": "s", "iterations": uint64(1) << 63}, `"iterations" is`},
		{"fractional iterations", wamp.Dict{"challenge": "c", "salt": "s", "iterations": 1000.5}, `"iterations" is float64`},
		{"string keylen", wamp.Dict{"challenge": "c", "salt": "s", "keylen": "32"}, `"keylen" is string`},
		{"salt not a string", wamp.Dict{"challenge": "c", "salt": 7}, `"salt" is int`},
		{"no challenge", wamp.Dict{"salt": "s"}, `"challenge" is missing`},
		{"challenge not a string", wamp.Dict{"challenge": wamp.List{1}}, `"challenge" is []interface {}`}, // in process too: payloads arrive in canonical types
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			_, err := connectScripted(t, challengeThenWait(&wamp.Challenge{AuthMethod: "wampcra", Extra: tc.extra}),
				client.WithCRA("bob", "secret"))
			require.Error(t, err)
			assert.Contains(t, err.Error(), "wampcra challenge")
			assert.Contains(t, err.Error(), tc.want)
			assert.Less(t, time.Since(start), 2*time.Second)
		})
	}
}

// A challenge within the bounds but expensive stops deriving when the
// join's context ends.
func TestCRAKeyDerivationHonoursContext(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := wamptest.ConnectLocal(ctx, newScripted(t, challengeThenWait(&wamp.Challenge{AuthMethod: "wampcra",
		Extra: wamp.Dict{"challenge": "c", "salt": "s", "iterations": client.CRAMaxIterations, "keylen": client.CRAMaxKeyLen}})),
		client.WithCRA("bob", "secret"), client.WithoutReconnect())
	elapsed := time.Since(start)
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), "key derivation")
	// 256 bytes at 10M iterations is minutes of CPU; the join gives up
	// with its context (slack for a loaded machine).
	assert.Less(t, elapsed, 3*time.Second)
	t.Logf("gave up after %v", elapsed)
}

// A second CHALLENGE after AUTHENTICATE is a protocol violation: the join
// fails with ErrProtocol and the router is told with ABORT.
func TestSecondChallengeFailsJoin(t *testing.T) {
	aborted := make(chan *wamp.Abort, 1)
	_, err := connectScripted(t, func(r *routerSide) {
		expectMsg[*wamp.Hello](r)
		ch := &wamp.Challenge{AuthMethod: "ticket", Extra: wamp.Dict{}}
		r.send(ch)
		expectMsg[*wamp.Authenticate](r)
		r.send(ch)
		for m := range r.peer.Recv() {
			if a, ok := m.(*wamp.Abort); ok {
				aborted <- a
			}
		}
	}, client.WithTicket("alice", "t"))
	require.Error(t, err)
	assert.ErrorIs(t, err, client.ErrProtocol)
	assert.Contains(t, err.Error(), "second CHALLENGE")
	select {
	case a := <-aborted:
		assert.Equal(t, wamp.ErrProtocolViolation, a.Reason)
	case <-time.After(2 * time.Second):
		t.Error("no ABORT sent")
	}
}

// Cryptosign challenges that are not 32 hex-encoded bytes fail the join
// clearly.
func TestCryptosignChallengeOddities(t *testing.T) {
	_, key, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	for name, extra := range map[string]wamp.Dict{
		"missing":    {},
		"not string": {"challenge": 12},
		"not hex":    {"challenge": "zz"},
		"too short":  {"challenge": "abcd"},
		"too long":   {"challenge": string(make([]byte, 1<<20))},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := connectScripted(t, challengeThenWait(&wamp.Challenge{AuthMethod: "cryptosign", Extra: extra}),
				client.WithCryptosign("carol", key))
			require.Error(t, err)
			assert.Contains(t, err.Error(), "cryptosign challenge")
			assert.Less(t, len(err.Error()), 400, "the error does not carry the whole challenge")
		})
	}
}

// A challenge for a method the client did not offer fails the join.
func TestChallengeForOtherMethod(t *testing.T) {
	_, err := connectScripted(t, challengeThenWait(&wamp.Challenge{AuthMethod: "wampcra", Extra: wamp.Dict{"challenge": "x"}}),
		client.WithTicket("alice", "t"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `challenged with "wampcra"`)
	assert.False(t, errors.Is(err, context.DeadlineExceeded))
}
