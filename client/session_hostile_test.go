package client

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/wamp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// expectAbort reads until the ABORT the session sends after a violation.
func (f *fakeRouter) expectAbort() *wamp.Abort {
	f.t.Helper()
	deadline := time.After(3 * time.Second)
	for {
		select {
		case m, ok := <-f.peer.Recv():
			if !ok {
				f.t.Error("fake router: client went away without ABORT")
				return nil
			}
			if a, isAbort := m.(*wamp.Abort); isAbort {
				return a
			}
		case <-deadline:
			f.t.Error("fake router: no ABORT within 3s")
			return nil
		}
	}
}

// A reply of the wrong type to any request fails that request with
// ErrProtocol (no panic, no success with a zero ID) and aborts the session
// with wamp.error.protocol_violation.
func TestWrongReplyTypeIsProtocolViolation(t *testing.T) {
	wrong := func(req wamp.ID) []wamp.Message {
		return []wamp.Message{
			&wamp.Subscribed{Request: req, Subscription: 5},
			&wamp.Registered{Request: req, Registration: 6},
			&wamp.Published{Request: req, Publication: 7},
			&wamp.Unsubscribed{Request: req},
		}
	}
	requests := []struct {
		name  string
		kind  wamp.MessageType
		setup func(f *fakeRouter) func(ctx context.Context) error
	}{
		{"register", wamp.REGISTER, func(f *fakeRouter) func(ctx context.Context) error {
			return func(ctx context.Context) error {
				reg, err := f.sess.Register(ctx, "com.p", nil, nil, nil)
				if err == nil {
					return errors.New("success with registration " + reg.Procedure)
				}
				return err
			}
		}},
		{"unregister", wamp.UNREGISTER, func(f *fakeRouter) func(ctx context.Context) error {
			reg := f.register("com.p", 9, nil, nil)
			return func(ctx context.Context) error { return f.sess.Unregister(ctx, reg) }
		}},
		{"subscribe", wamp.SUBSCRIBE, func(f *fakeRouter) func(ctx context.Context) error {
			return func(ctx context.Context) error {
				_, err := f.sess.Subscribe(ctx, "com.t", nil, func(*Event) {}, nil)
				return err
			}
		}},
		{"unsubscribe", wamp.UNSUBSCRIBE, func(f *fakeRouter) func(ctx context.Context) error {
			done := make(chan *sessionSub, 1)
			go func() {
				sub, err := f.sess.Subscribe(context.Background(), "com.t", nil, func(*Event) {}, nil)
				assert.NoError(t, err)
				done <- sub
			}()
			m := f.expect(wamp.SUBSCRIBE).(*wamp.Subscribe)
			f.send(&wamp.Subscribed{Request: m.Request, Subscription: 3})
			sub := <-done
			return func(ctx context.Context) error { return f.sess.Unsubscribe(ctx, sub) }
		}},
		{"publish", wamp.PUBLISH, func(f *fakeRouter) func(ctx context.Context) error {
			return func(ctx context.Context) error {
				_, err := f.sess.Publish(ctx, "com.t", nil, wamp.List{1}, nil, true)
				return err
			}
		}},
	}
	for _, rq := range requests {
		for i := range wrong(0) {
			t.Run(rq.name+"/"+wrong(0)[i].MessageType().String(), func(t *testing.T) {
				f := joinFake(t, sessionConfig{})
				do := rq.setup(f)
				errc := make(chan error, 1)
				go func() {
					ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
					defer cancel()
					errc <- do(ctx)
				}()
				m := f.expect(rq.kind)
				if m == nil {
					return
				}
				id := requestID(m)
				answer := wrong(id)[i]
				if answer.MessageType() == replyOf(rq.kind) {
					// the right type: an ERROR for another request kind instead
					other := wamp.SUBSCRIBE
					if rq.kind == wamp.SUBSCRIBE {
						other = wamp.REGISTER
					}
					answer = &wamp.Error{Type: other, Request: id, Details: wamp.Dict{}, Error: "x"}
				}
				f.send(answer)
				err := <-errc
				require.Error(t, err)
				assert.ErrorIs(t, err, ErrProtocol)
				assert.Contains(t, err.Error(), rq.kind.String()+" answered with")
				a := f.expectAbort()
				if a != nil {
					assert.Equal(t, wamp.ErrProtocolViolation, a.Reason)
				}
				select {
				case <-f.sess.Done():
				case <-time.After(3 * time.Second):
					t.Fatal("session did not end")
				}
				assert.ErrorIs(t, f.sess.Err(), ErrProtocol)
			})
		}
	}
}

func requestID(m wamp.Message) wamp.ID {
	switch m := m.(type) {
	case *wamp.Register:
		return m.Request
	case *wamp.Unregister:
		return m.Request
	case *wamp.Subscribe:
		return m.Request
	case *wamp.Unsubscribe:
		return m.Request
	case *wamp.Publish:
		return m.Request
	}
	return 0
}

func replyOf(kind wamp.MessageType) wamp.MessageType {
	return map[wamp.MessageType]wamp.MessageType{
		wamp.REGISTER: wamp.REGISTERED, wamp.UNREGISTER: wamp.UNREGISTERED, wamp.SUBSCRIBE: wamp.SUBSCRIBED,
		wamp.UNSUBSCRIBE: wamp.UNSUBSCRIBED, wamp.PUBLISH: wamp.PUBLISHED,
	}[kind]
}

// A CALL answered with anything but RESULT or a CALL ERROR (here
// REGISTERED, or an ERROR for SUBSCRIBE) fails with ErrProtocol and aborts
// the session, instead of leaving the call waiting.
func TestCallAnsweredWithWrongType(t *testing.T) {
	for _, wrong := range []func(id wamp.ID) wamp.Message{
		func(id wamp.ID) wamp.Message { return &wamp.Registered{Request: id, Registration: 4} },
		func(id wamp.ID) wamp.Message {
			return &wamp.Error{Type: wamp.SUBSCRIBE, Request: id, Details: wamp.Dict{}, Error: "x"}
		},
	} {
		f := joinFake(t, sessionConfig{})
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		c, m := f.startCall(ctx, engineCallRequest{Procedure: "com.p"})
		f.send(wrong(m.Request))
		_, err := c.Next(ctx)
		cancel()
		assert.ErrorIs(t, err, ErrProtocol)
		assert.Contains(t, err.Error(), "CALL answered with")
		if a := f.expectAbort(); a != nil {
			assert.Equal(t, wamp.ErrProtocolViolation, a.Reason)
		}
	}
}
