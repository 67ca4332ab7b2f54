package client

import (
	"context"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/transport"
	"github.com/gammazero/nexus/v3/transport/serialize"
	"github.com/gammazero/nexus/v3/wamp"

	"github.com/wampkit/wampkit/internal/wire"
)

// FuzzJoin feeds the router's side of the opening handshake: two frames,
// decoded by each serializer, in answer to HELLO (and to AUTHENTICATE),
// then the router hangs up. joinSession must return a session or an error, never
// panic, and within its context.
func FuzzJoin(f *testing.F) {
	for _, seed := range [][2]string{
		{`[2,1,{"roles":{"dealer":{}}}]`, `[]`},
		{`[4,"ticket",{}]`, `[2,5,{}]`},
		{`[4,"wampcra",{"challenge":"x"}]`, `[4,"wampcra",{"challenge":"y"}]`},
		{`[3,{"message":"no"},"wamp.error.no_such_realm"]`, `[]`},
		{`[2,0,null]`, `[]`},
		{`[2,1,{"authrole":7,"roles":[]}]`, `[50,1,{}]`},
		{`[36,1,{}]`, `[2,1,{}]`},
		{`[6,{},"wamp.close.system_shutdown"]`, `[]`},
		{`[4]`, `[2]`},
	} {
		f.Add(byte(0), []byte(seed[0]), []byte(seed[1]))
	}
	f.Fuzz(func(t *testing.T, which byte, first, second []byte) {
		sers := []serialize.Serialization{serialize.JSON, serialize.MSGPACK, serialize.CBOR}
		ser, err := wire.NewSerializer(sers[int(which)%len(sers)])
		if err != nil {
			t.Fatal(err)
		}
		m1, _ := ser.Deserialize(first)
		m2, _ := ser.Deserialize(second)
		cli, rtr := transport.LinkedPeers()
		routerDone := make(chan struct{})
		go func() {
			defer close(routerDone)
			defer rtr.Close()
			timeout := time.After(3 * time.Second)
			for _, m := range []wamp.Message{m1, m2} {
				select { // what the client says before (HELLO, AUTHENTICATE, ABORT)
				case _, ok := <-rtr.Recv():
					if !ok {
						return
					}
				case <-timeout:
					return
				}
				select {
				case rtr.Send() <- m:
				case <-timeout:
					return
				}
			}
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		begin := time.Now()
		s, err := joinSession(ctx, cli, sessionConfig{Realm: "realm1",
			Auth: func(context.Context, *wamp.Challenge) (string, wamp.Dict, error) { return "sig", nil, nil }})
		if d := time.Since(begin); d > 4*time.Second {
			t.Fatalf("Join returned after %s", d)
		}
		if err == nil {
			go func() { // the client's GOODBYE and anything after
				for range rtr.Recv() {
				}
			}()
			cctx, ccancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			_ = s.Close(cctx)
			ccancel()
			<-s.Done()
		}
		<-routerDone
	})
}
