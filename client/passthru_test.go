package client_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gammazero/nexus/v3/wamp"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest/hostile"
)

// Payload Passthru Mode through plain nexus (an independent PPT
// implementation: it checks that both ends announce the feature and copies
// the ppt_* options into the details it forwards) on every transport and
// serializer: a CALL, its YIELD, an ERROR and an EVENT keep their bytes and
// attributes, and the bytes stay bytes under JSON too.
func TestPassthruEveryTransport(t *testing.T) {
	r := startNexus(t)
	for _, tc := range transports() {
		t.Run(tc.name, func(t *testing.T) {
			callee, caller := tc.connect(t, r), tc.connect(t, r)
			ctx := ctxT(t)
			proc, errProc, topic := "test.ppt."+tc.name, "test.ppt.err."+tc.name, "test.ppt.topic."+tc.name
			in := &client.Passthru{Scheme: "x_custom", Serializer: "cbor", Cipher: "xsalsa20poly1305", KeyID: "k1",
				Payload: []byte{0, 1, 2, 0xff}}

			_, err := callee.Register(ctx, proc, func(_ context.Context, inv *client.Invocation) (client.Payload, error) {
				p := inv.Payload()
				if p.Passthru == nil || len(p.Args) != 0 || len(p.Kwargs) != 0 {
					return client.Payload{}, client.NewError("test.error.not_ppt", p)
				}
				got := *p.Passthru
				out := slices.Clone(got.Payload)
				slices.Reverse(out)
				return client.Payload{Passthru: &client.Passthru{Scheme: got.Scheme + "-reply", Serializer: got.Serializer,
					Cipher: got.Cipher, KeyID: got.KeyID, Payload: out}}, nil
			}, client.RegisterOptions{})
			require.NoError(t, err)
			res, err := caller.Call(ctx, client.CallRequest{Procedure: proc, Payload: client.Payload{Passthru: in}}, nil)
			require.NoError(t, err)
			require.NotNil(t, res.Passthru, "result %+v", res)
			assert.Empty(t, res.Args)
			assert.Equal(t, client.Passthru{Scheme: "x_custom-reply", Serializer: "cbor", Cipher: "xsalsa20poly1305",
				KeyID: "k1", Payload: []byte{0xff, 2, 1, 0}}, *res.Passthru)

			_, err = callee.Register(ctx, errProc, func(context.Context, *client.Invocation) (client.Payload, error) {
				return client.Payload{}, &client.Error{URI: "test.error.ppt", Passthru: &client.Passthru{Scheme: "mqtt", Payload: []byte("boom")}}
			}, client.RegisterOptions{})
			require.NoError(t, err)
			_, err = caller.Call(ctx, client.CallRequest{Procedure: errProc, Payload: client.Payload{Passthru: in}}, nil)
			var werr *client.Error
			require.ErrorAs(t, err, &werr)
			assert.Equal(t, "test.error.ppt", werr.URI)
			if assert.NotNil(t, werr.Passthru, "error %+v", werr) {
				assert.Equal(t, "mqtt", werr.Passthru.Scheme)
				assert.Equal(t, []byte("boom"), werr.Passthru.Payload)
			}

			events := make(chan *client.Event, 1)
			_, err = callee.Subscribe(ctx, topic, func(ev *client.Event) { events <- ev }, client.SubscribeOptions{})
			require.NoError(t, err)
			_, err = caller.Publish(ctx, topic, client.Payload{Passthru: &client.Passthru{Scheme: "mqtt", Serializer: "native",
				Payload: []byte("m")}}, client.PublishOptions{Acknowledge: true})
			require.NoError(t, err)
			select {
			case ev := <-events:
				require.NotNil(t, ev.Passthru, "event %+v", ev)
				assert.Equal(t, client.Passthru{Scheme: "mqtt", Serializer: "native", Payload: []byte("m")}, *ev.Passthru)
			case <-ctx.Done():
				t.Fatal("no event")
			}
		})
	}
}

// An INVOCATION that claims PPT but carries no binary is refused with
// wamp.error.invalid_argument: the handler never sees it as plain arguments.
func TestPassthruMalformedInvocationIsRefused(t *testing.T) {
	r := startNexus(t)
	callee, caller := dial(t, r.wsURL), dial(t, r.wsURL)
	ctx := ctxT(t)
	var ran atomic.Int32
	_, err := callee.Register(ctx, "test.ppt.bad", func(context.Context, *client.Invocation) (client.Payload, error) {
		ran.Add(1)
		return client.Payload{}, nil
	}, client.RegisterOptions{})
	require.NoError(t, err)
	for _, p := range []client.Payload{
		{Args: []any{"not binary"}},
		{Args: []any{[]byte{1}, []byte{2}}},
		{Args: []any{[]byte{1}}, Kwargs: map[string]any{"k": 1}},
	} {
		_, err = caller.Call(ctx, client.CallRequest{Procedure: "test.ppt.bad", Payload: p,
			Extra: map[string]any{"ppt_scheme": "x_custom"}}, nil)
		var werr *client.Error
		require.ErrorAs(t, err, &werr, "payload %+v", p)
		assert.ErrorIs(t, err, client.ErrInvalidArgument)
		assert.Contains(t, werr.Message(), "Payload Passthru Mode")
	}
	assert.Zero(t, ran.Load(), "the handler ran on a malformed PPT invocation")
}

// A Passthru goes without Args and Kwargs, and needs a scheme: both are
// refused before anything is sent.
func TestPassthruBadRequestFailsBeforeSending(t *testing.T) {
	r := startNexus(t)
	c := dial(t, r.wsURL)
	ctx := ctxT(t)
	for _, p := range []client.Payload{
		{Passthru: &client.Passthru{Payload: []byte{1}}},
		{Args: []any{1}, Passthru: &client.Passthru{Scheme: "x", Payload: []byte{1}}},
	} {
		_, err := c.Call(ctx, client.CallRequest{Procedure: "test.ppt.none", Payload: p}, nil)
		assert.ErrorIs(t, err, client.ErrInvalidOption)
		assert.False(t, errors.Is(err, client.ErrNoSuchProcedure), "it was sent: %v", err)
		_, err = c.Publish(ctx, "test.ppt.none", p, client.PublishOptions{})
		assert.ErrorIs(t, err, client.ErrInvalidOption)
	}
}

// A RESULT that claims PPT but carries a string fails the call with an
// error matching ErrProtocol; the string is never handed on as a result.
func TestPassthruMalformedResultFailsTheCall(t *testing.T) {
	r := hostile.New(t, func(c *hostile.Conn) {
		c.Welcome(nil)
		call := c.Expect(wamp.CALL).(*wamp.Call)
		c.Send(&wamp.Result{Request: call.Request, Details: wamp.Dict{"ppt_scheme": "x_custom"}, Arguments: wamp.List{"not binary"}})
		c.Serve(nil)
	})
	cl := dial(t, r.URL())
	_, err := cl.Call(ctxT(t), client.CallRequest{Procedure: "test.ppt.result"}, nil)
	assert.ErrorIs(t, err, client.ErrProtocol)
	assert.Contains(t, fmt.Sprint(err), "RESULT in Payload Passthru Mode")
}

// Progressive results and streamed input chunks in PPT, both ways, through
// plain nexus (JSON and MsgPack). The bytes arrive in order and as bytes;
// the results keep their attributes. (nexus forwards a streamed call's
// ppt_* options with its first chunk only: a router limitation wampkit
// cannot repair, since a later chunk without them is plain arguments.)
func TestPassthruProgressiveAndStreamed(t *testing.T) {
	r := startNexus(t)
	for _, tc := range transports()[1:3] {
		t.Run(tc.name, func(t *testing.T) {
			callee, caller := tc.connect(t, r), tc.connect(t, r)
			ctx := ctxT(t)
			proc := "test.ppt.stream." + tc.name
			_, err := callee.Register(ctx, proc, func(ctx context.Context, inv *client.Invocation) (client.Payload, error) {
				var got [][]byte
				if p := inv.Payload().Passthru; p != nil {
					got = append(got, p.Payload)
				}
				for {
					p, ok, err := inv.NextInput(ctx)
					if err != nil {
						return client.Payload{}, err
					}
					if !ok {
						break
					}
					switch {
					case p.Passthru != nil:
						got = append(got, p.Passthru.Payload)
					case len(p.Args) == 1:
						// nexus 3.3.0 copies the ppt_* options into the
						// first INVOCATION of a streamed call only; the
						// later chunks come as one plain binary argument.
						b, _ := p.Args[0].([]byte)
						got = append(got, b)
					default:
						return client.Payload{}, client.NewError("test.error.not_ppt", p)
					}
				}
				for _, b := range got { // echoed as progressive results
					if err := inv.Progress(client.Payload{Passthru: &client.Passthru{Scheme: "mqtt", Payload: b}}); err != nil {
						return client.Payload{}, err
					}
				}
				return client.Payload{Passthru: &client.Passthru{Scheme: "mqtt", Payload: []byte("end")}}, nil
			}, client.RegisterOptions{})
			require.NoError(t, err)
			chunk := func(s string) client.Payload {
				return client.Payload{Passthru: &client.Passthru{Scheme: "x_custom", Serializer: "native", Payload: []byte(s)}}
			}
			call, err := caller.StartCall(ctx, client.CallRequest{Procedure: proc, Payload: chunk("a"), Stream: true, ReceiveProgress: true})
			require.NoError(t, err)
			require.NoError(t, call.Send(ctx, chunk("b")))
			require.NoError(t, call.SendFinal(ctx, chunk("c")))
			var got []string
			for {
				res, err := call.Next(ctx)
				require.NoError(t, err)
				require.NotNil(t, res.Passthru, "result %+v", res)
				assert.Equal(t, "mqtt", res.Passthru.Scheme)
				got = append(got, string(res.Passthru.Payload))
				if !res.Progress {
					break
				}
			}
			assert.Equal(t, []string{"a", "b", "c", "end"}, got)
		})
	}
}

// A router that forwards ppt_* with every chunk of a streamed call (the
// spec's reading) has each chunk arrive as a Passthru; a chunk that claims
// PPT without a binary is an error from NextInput, not plain arguments.
func TestPassthruStreamedChunksFromARouterThatForwardsThem(t *testing.T) {
	yields := make(chan *wamp.Yield, 1)
	r := hostile.New(t, func(c *hostile.Conn) {
		c.Welcome(nil)
		reg := c.Expect(wamp.REGISTER).(*wamp.Register)
		c.Send(&wamp.Registered{Request: reg.Request, Registration: 7})
		ppt := func(more bool) wamp.Dict { return wamp.Dict{"ppt_scheme": "mqtt", "progress": more} }
		c.Send(&wamp.Invocation{Request: 1, Registration: 7, Details: ppt(true), Arguments: wamp.List{[]byte("a")}})
		c.Send(&wamp.Invocation{Request: 1, Registration: 7, Details: ppt(true), Arguments: wamp.List{[]byte("b")}})
		c.Send(&wamp.Invocation{Request: 1, Registration: 7, Details: ppt(false), Arguments: wamp.List{"not binary"}})
		yields <- c.Expect(wamp.YIELD).(*wamp.Yield)
		c.Serve(nil)
	})
	cl := dial(t, r.URL())
	_, err := cl.Register(ctxT(t), "test.ppt.chunks", func(ctx context.Context, inv *client.Invocation) (client.Payload, error) {
		got := []any{string(inv.Payload().Passthru.Payload)}
		for {
			p, ok, err := inv.NextInput(ctx)
			if err != nil {
				got = append(got, errors.Is(err, client.ErrProtocol))
				break
			}
			if !ok {
				break
			}
			got = append(got, string(p.Passthru.Payload))
		}
		return client.Payload{Args: got}, nil
	}, client.RegisterOptions{})
	require.NoError(t, err)
	select {
	case y := <-yields:
		assert.Equal(t, wamp.List{"a", "b", true}, y.Arguments)
	case <-ctxT(t).Done():
		t.Fatal("no YIELD")
	}
}
