package router_test

import (
	"testing"

	"github.com/gammazero/nexus/v3/transport/serialize"
	"github.com/gammazero/nexus/v3/wamp"

	"github.com/wampkit/wampkit/internal/router"
	"github.com/wampkit/wampkit/internal/wire"
)

// FuzzRouterInbound sends one message a client may send after WELCOME,
// decoded by each serializer from arbitrary bytes as the network
// transports would, into a session of the reference router. Whatever it
// is, the router does not panic, and goes on serving other sessions.
func FuzzRouterInbound(f *testing.F) {
	for _, seed := range []string{
		`[48,1,{},"wamp.session.count"]`, `[48,2,{},"wamp.registration.remove_callee",[1,2]]`,
		`[64,3,{"match":"prefix"},"com.x"]`, `[64,3,{"match":"bogus","invoke":7},""]`,
		`[16,4,{"acknowledge":true},"wamp.session.on_join",[{"session":1}]]`,
		`[32,5,{"match":"wildcard"},"a..b"]`, `[66,6,1]`, `[34,7,99]`, `[49,8,{"mode":"kill"}]`,
		`[70,9,{"progress":true},[1]]`, `[8,68,10,{},"wamp.error.x"]`, `[1,"realm1",{}]`, `[5,"sig",{}]`,
		`[6,{},"wamp.close.close_realm"]`, `[3,{},"wamp.error.x"]`, `[48,1,{"timeout":-1e30},"wamp.session.get",["x"]]`,
		`[48,1,{},"wamp.registration.match",[null]]`, `[999]`, `[]`,
	} {
		f.Add(byte(0), []byte(seed))
	}
	r, err := router.New(router.Config{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = r.Close() })
	bystander := join(f, r, joinOpts{})
	f.Fuzz(func(t *testing.T, which byte, frame []byte) {
		sers := []serialize.Serialization{serialize.JSON, serialize.MSGPACK, serialize.CBOR}
		ser, err := wire.NewSerializer(sers[int(which)%len(sers)])
		if err != nil {
			t.Fatal(err)
		}
		msg, _ := ser.Deserialize(frame)
		s := join(t, r, joinOpts{})
		s.send(msg)
		s.leave()
		bystander.t = t
		bystander.callOK(string(wamp.MetaProcSessionCount))
	})
}
