package caller

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/wampkit/wampkit/client"
)

// The local failures are hard to provoke against a live router at the
// exact moment; their classification is checked here.
func TestRetriesSafelyLocalFailures(t *testing.T) {
	cases := map[string]struct {
		err  error
		want bool
	}{
		"not connected, not sent": {&client.OpError{Op: "call", Err: client.ErrNotConnected}, true},
		"lost before sending":     {fmt.Errorf("wrapped: %w", &client.OpError{Op: "call", Err: client.ErrConnectionLost}), true},
		"lost after sending":      {&client.OpError{Op: "call", Err: client.ErrConnectionLost, Sent: true}, false},
		"closed":                  {&client.OpError{Op: "call", Err: client.ErrClosed}, false},
		"ctx ended, not sent":     {&client.OpError{Op: "call", Err: context.Canceled}, false},
		"unavailable":             {&client.Error{URI: "wamp.error.unavailable"}, true},
		"no available callee":     {&client.Error{URI: "wamp.error.no_available_callee"}, true},
		"no eligible callee":      {client.ErrNoEligibleCallee, false},
		"no such procedure":       {client.ErrNoSuchProcedure, false},
		"plain error":             {fmt.Errorf("boom"), false},
	}
	for name, tc := range cases {
		assert.Equal(t, tc.want, retriesSafely(tc.err), name)
	}
}
