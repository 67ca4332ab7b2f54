package client

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/wamp"
	"github.com/stretchr/testify/require"
)

// A streamed call whose first CALL the router has may be running at the
// callee: a later chunk refused because the session ended must not read as
// never sent (SafeToRetry), whether the session ended by a lost link or by
// Close, before failAll has ended the call.
func TestStreamChunkAfterSessionEndIsNotSafeToRetry(t *testing.T) {
	for _, cause := range []error{ErrConnectionLost, ErrClosed} {
		t.Run(cause.Error(), func(t *testing.T) {
			f := joinFake(t, sessionConfig{})
			c, _ := f.startCall(context.Background(), engineCallRequest{Procedure: "com.example.sum", Stream: true, Args: wamp.List{1}})
			go f.sess.end(cause) // the router keeps its side open: failAll has not run yet
			require.Eventually(t, func() bool { return ended(f.sess) }, 5*time.Second, time.Millisecond)
			p := &PendingCall{proc: "com.example.sum", call: c}
			err := p.Send(context.Background(), Payload{Args: []any{2}})
			require.Error(t, err)
			require.False(t, SafeToRetry(err), "the CALL went out, yet SafeToRetry is true for %v", err)
			var oe *OpError
			require.True(t, errors.As(err, &oe) && oe.Sent, "%v", err)
			require.ErrorIs(t, err, ErrConnectionLost)
		})
	}
}
