package caller

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"testing"
	"time"

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

// The wait before each retry lies between half and all of its ceiling,
// backoff doubled per retry up to 32 times backoff, even for a backoff so
// long that 32 times it overflows a Duration: a backoff meant as "until
// ctx ends" must wait long, not go negative and panic in rand.N.
func TestRetryPauseSaturatesForHugeBackoffs(t *testing.T) {
	largest := big.NewInt(math.MaxInt64)
	for _, backoff := range []time.Duration{
		time.Millisecond,
		math.MaxInt64 / maxBackoffFactor,
		math.MaxInt64/maxBackoffFactor + 1,
		math.MaxInt64 / 3,
		math.MaxInt64,
	} {
		for attempt := 1; attempt <= 70; attempt++ {
			// The ceiling computed without overflow, then saturated.
			ceiling := new(big.Int).Lsh(big.NewInt(int64(backoff)), uint(min(attempt-1, 5)))
			if ceiling.Cmp(largest) > 0 {
				ceiling.Set(largest)
			}
			c := time.Duration(ceiling.Int64())
			got := retryPolicy{attempts: 100, backoff: backoff}.pause(attempt)
			if got < c/2 || got > c {
				t.Fatalf("backoff %d, attempt %d: pause %d, want between %d and %d", backoff, attempt, got, c/2, c)
			}
		}
	}
}
