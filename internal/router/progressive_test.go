package router_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/wamp"

	"github.com/wampkit/wampkit/internal/router"
)

// A caller that did not announce progressive_call_invocations and streams
// CALL chunks (progress: true) anyway, back to back, is aborted by the router
// with wamp.error.protocol_violation naming the feature; nexus never sees the
// chunks (nexus v3.3.0 answers the later ones on the session it has already
// closed, which panics when the peer's send channel is closed). Other
// sessions go on and new ones join.
func TestUnannouncedProgressiveCallChunks(t *testing.T) {
	r := startRouter(t, router.Config{})
	callee := join(t, r, joinOpts{})
	callee.register("com.example.sum", nil)
	bystander := join(t, r, joinOpts{})

	for round := range 3 {
		c := dialRaw(t, r)
		c.send(&wamp.Hello{Realm: wamp.URI(r.Realm()), Details: helloDetails(joinOpts{})})
		if m := c.recv(); m.MessageType() != wamp.WELCOME {
			t.Fatalf("want WELCOME, got %v", m.MessageType())
		}
		var burst bytes.Buffer
		for i := range 200 {
			b, err := c.ser.Serialize(&wamp.Call{Request: 1, Procedure: "com.example.sum",
				Options: wamp.Dict{"progress": i < 199}, Arguments: wamp.List{i}})
			if err != nil {
				t.Fatal(err)
			}
			n := len(b)
			burst.Write([]byte{0, byte(n >> 16), byte(n >> 8), byte(n)})
			burst.Write(b)
		}
		if _, err := c.nc.Write(burst.Bytes()); err != nil {
			t.Fatalf("round %d: write chunks: %v", round, err)
		}
		m := c.recv()
		if a, ok := m.(*wamp.Abort); !ok || a.Reason != wamp.ErrProtocolViolation {
			t.Fatalf("round %d: got %s, want ABORT %s", round, describe(m), wamp.ErrProtocolViolation)
		} else if msg, _ := a.Details[wamp.OptMessage].(string); !strings.Contains(msg, "progressive_call_invocations") {
			t.Errorf("round %d: ABORT message %q does not name progressive_call_invocations", round, msg)
		}
		if !c.closedByRouter() {
			t.Errorf("round %d: the router kept the connection open", round)
		}
		bystander.callOK(string(wamp.MetaProcSessionCount))
	}
	late := join(t, r, joinOpts{})
	late.callOK(string(wamp.MetaProcSessionCount))
}

// The same over the in-process link, chunk after chunk, some of them after
// the ABORT.
func TestUnannouncedProgressiveCallChunksInProcess(t *testing.T) {
	r := newRouter(t, router.Config{})
	callee := join(t, r, joinOpts{})
	callee.register("com.example.sum", nil)
	bystander := join(t, r, joinOpts{})
	for round := range 3 {
		s := join(t, r, joinOpts{})
		for i := range 5 {
			select {
			case s.peer.Send() <- &wamp.Call{Request: 1, Procedure: "com.example.sum",
				Options: wamp.Dict{"progress": true}, Arguments: wamp.List{i}}:
			case <-time.After(quiet): // the session is over: nobody reads
			}
		}
		if a := expect[*wamp.Abort](s); a.Reason != wamp.ErrProtocolViolation {
			t.Errorf("round %d: ABORT %s, want %s", round, a.Reason, wamp.ErrProtocolViolation)
		}
		bystander.callOK(string(wamp.MetaProcSessionCount))
	}
	late := join(t, r, joinOpts{})
	late.callOK(string(wamp.MetaProcSessionCount))
}
