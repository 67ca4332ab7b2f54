package client

import (
	"context"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/transport/serialize"
	"github.com/gammazero/nexus/v3/wamp"

	"github.com/wampkit/wampkit/internal/wire"
)

// FuzzDispatch feeds arbitrary frames, decoded by each serializer the
// client uses, into an established session. Whatever arrives, the session
// must not panic: it answers, ignores, or ends with a protocol violation.
func FuzzDispatch(f *testing.F) {
	for _, seed := range []string{
		`[50,1,{},["x"]]`, `[68,5,1,{"procedure":"a.b"},[1,2],{"k":1}]`, `[67,0,{"registration":1,"reason":"x"}]`,
		`[67,0,{}]`, `[67,0,"notadict"]`, `[36,9,1,{},[1]]`, `[8,48,1,{},"wamp.error.canceled"]`, `[69,5,{"mode":"kill"}]`,
		`[6,{},"wamp.close.system_shutdown"]`, `[3,{},"x"]`, `[2,1,{}]`, `[65,99,1]`, `[]`, `[999]`, `{}`, `[68,"x"]`,
		`[50,1,{"progress":true},[1]]`, `[68,6,1,{"progress":true},[1]]`,
	} {
		f.Add(byte(0), []byte(seed))
	}
	f.Fuzz(func(t *testing.T, which byte, data []byte) {
		sers := []serialize.Serialization{serialize.JSON, serialize.MSGPACK, serialize.CBOR}
		ser, err := wire.NewSerializer(sers[int(which)%len(sers)])
		if err != nil {
			t.Fatal(err)
		}
		msg, err := ser.Deserialize(data)
		if err != nil || msg == nil {
			t.Fatalf("wire.Serializer must report undecodable input as *wire.Malformed, got %v, %v", msg, err)
		}
		fr := joinFake(t, sessionConfig{})
		fr.register("com.fuzz", 1, func(ctx context.Context, inv *Invocation) (engineResult, error) {
			_, _, _ = inv.NextInput(ctx)
			return engineResult{}, nil
		}, nil)
		go func() { // the router side keeps reading what the client answers
			for range fr.peer.Recv() {
			}
		}()
		select {
		case fr.peer.Send() <- msg:
		case <-time.After(time.Second):
			t.Fatal("session stopped reading")
		}
		fr.peer.Send() <- &wamp.Goodbye{Reason: wamp.CloseSystemShutdown, Details: wamp.Dict{}}
		<-fr.sess.Done()
		fr.hangUp()
	})
}
