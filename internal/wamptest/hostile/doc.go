// Package hostile is a scripted WAMP router for tests: it accepts a client
// over websocket, rawsocket or in process, and then does exactly what the
// test's script says, including what a real router never would: wrong
// replies, floods, oversized or undecodable frames, reserved frame types,
// random IDs, stalls.
//
// A script is a function run once per accepted connection, on a goroutine
// the Router owns. It talks to the client through a *Conn:
//
//	r := hostile.New(t, func(c *hostile.Conn) {
//		c.Welcome(nil) // HELLO -> WELCOME
//		reg := c.Expect(wamp.REGISTER).(*wamp.Register)
//		c.Send(&wamp.Subscribed{Request: reg.Request, Subscription: 1}) // the wrong reply
//		c.Stall() // say nothing more, answer no pings, until the client leaves
//	})
//	cl, err := client.Connect(ctx, r.URL()) // or r.RawSocketURL(), wamptest.ConnectLocal(ctx, r)
//
// A Conn method that cannot do what the script asks because the client
// left, or because the Router is closing, ends the script quietly
// (runtime.Goexit); Expect reports a wrong message or a timeout with
// t.Errorf first. What the client sent is kept for the test: Router.Received.
//
// Everything listens on 127.0.0.1 ephemeral ports; New closes the Router at
// cleanup, which cuts every connection and waits for every goroutine it
// started (scripts included), so goleak finds nothing left.
package hostile
