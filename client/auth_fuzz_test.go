package client

import (
	"context"
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/transport/serialize"
	"github.com/gammazero/nexus/v3/wamp"

	"github.com/wampkit/wampkit/internal/wire"
)

// FuzzChallenge feeds CHALLENGE frames, as a router sends them, decoded by
// each serializer, to every authenticator. Whatever the challenge says
// (absurd iterations or keylen, wrong types, huge strings), the answer
// comes back (a signature or an error) without a panic and within the
// join's context.
func FuzzChallenge(f *testing.F) {
	for _, seed := range []string{
		`[4,"wampcra",{"challenge":"{\"nonce\":1}"}]`,
		`[4,"wampcra",{"challenge":"x","salt":"s","iterations":1000,"keylen":32}]`,
		`[4,"wampcra",{"challenge":"x","salt":"s","iterations":-1,"keylen":-5}]`,
		`[4,"wampcra",{"challenge":"x","salt":"s","iterations":1e300,"keylen":"32"}]`,
		`[4,"wampcra",{"challenge":7,"salt":[]}]`,
		`[4,"cryptosign",{"challenge":"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"}]`,
		`[4,"cryptosign",{"challenge":"zz"}]`,
		`[4,"ticket",{}]`,
		`[4,"other",{"challenge":null}]`,
	} {
		f.Add(byte(0), []byte(seed))
	}
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	auths := []authenticator{craAuth("secret"), cryptosignAuth(key), ticketAuth("ticket")}
	f.Fuzz(func(t *testing.T, which byte, frame []byte) {
		sers := []serialize.Serialization{serialize.JSON, serialize.MSGPACK, serialize.CBOR}
		ser, err := wire.NewSerializer(sers[int(which)%len(sers)])
		if err != nil {
			t.Fatal(err)
		}
		msg, _ := ser.Deserialize(frame)
		ch, ok := msg.(*wamp.Challenge)
		if !ok {
			return
		}
		for _, a := range auths {
			cfg := config{auth: a}
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			begin := time.Now()
			_, _, _ = cfg.authFunc()(ctx, ch)
			cancel()
			if d := time.Since(begin); d > 2*time.Second {
				t.Fatalf("%s answered after %s, its context ended after 100ms", a.method, d)
			}
		}
	})
}
