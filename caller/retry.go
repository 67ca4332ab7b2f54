package caller

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/wampkit/wampkit/client"
)

// retryPolicy is the configuration of RetrySafe; attempts 0 means no retry.
type retryPolicy struct {
	attempts int
	backoff  time.Duration
}

// maxBackoffFactor caps the doubling of RetrySafe's wait at this many times
// the first wait.
const maxBackoffFactor = 32

// RetrySafe retries a call, up to maxAttempts calls in all (maxAttempts 1 is
// no retry; it undoes a RetrySafe given to [New]), but only on an error
// that proves the procedure never ran, so no call runs twice. The waits
// between attempts start at backoff and double after each retry, up to 32
// times backoff, each drawn at random between half and all of that (so
// callers shed at once do not come back at once); backoff 0 retries at
// once. The call's ctx bounds the whole: once it ends, no attempt starts and
// a wait is cut short. A [Timeout] bounds each attempt on its own. When no
// attempt succeeds the call fails with the last attempt's error (wrapped,
// naming the number of attempts; errors.Is and errors.As see through it).
//
// Retried, and why each is safe:
//
//   - A local failure before the CALL was written ([client.SafeToRetry]
//     holds: a *client.OpError with Sent false, such as
//     client.ErrNotConnected while the client reconnects). Nothing reached
//     the transport. client.ErrClosed is not retried: the client will not
//     come back.
//   - wamp.error.no_available_callee ([client.ErrNoAvailableCallee]): the
//     spec's answer of a router that rerouted the call and found every callee
//     of the registration unavailable. Every callee refused it before
//     running it.
//   - wamp.error.unavailable ([client.ErrUnavailable]): a callee's refusal
//     to take the invocation. The spec defines it for a callee that cannot
//     handle the call and wants it rerouted; wampkit's client answers it to
//     invocations past its bounds (client.WithMaxConcurrentInvocations,
//     client.WithInvocationBytes) without starting a handler, and a handler
//     that returns it must do so before doing anything (see
//     [client.ErrUnavailable]). A router without rerouting passes it on to the
//     caller, and the retry gives the router another chance to pick a callee.
//
// Not retried:
//
//   - wamp.error.no_such_procedure: in most deployments a wrong URI or a
//     callee that is not deployed, which waiting does not fix; retrying it
//     hides the mistake behind the backoff. To wait for a procedure during a
//     rolling start, wait for its registration instead.
//   - wamp.error.no_eligible_callee: Bondy answers it both where the call
//     never ran (bondy_dealer.erl sends it when an invocation forwarded to
//     another node finds the callee's registration gone) and to the calls in
//     flight of a callee that died, which may have run; the answer is the
//     same URI, so the caller cannot tell them apart. Spec routers use it
//     for callee exclusion, which a retry does not change either.
//   - client.ErrConnectionLost and any other local failure after the CALL
//     was written (Sent true), timeouts, cancels, and every other error: the
//     call may have run.
//
// RetrySafe applies to [Call] and [Procedure.Call]; a progressive or
// streamed call given it fails with client.ErrInvalidOption, since its
// callee may already have sent results. maxAttempts below 1 and a negative
// backoff are invalid.
func RetrySafe(maxAttempts int, backoff time.Duration) Option {
	return optionFunc(func(c *config) error {
		if maxAttempts < 1 {
			return fmt.Errorf("caller: %w: retry max attempts %d must be at least 1", client.ErrInvalidOption, maxAttempts)
		}
		if backoff < 0 {
			return fmt.Errorf("caller: %w: negative retry backoff %s", client.ErrInvalidOption, backoff)
		}
		c.retry = retryPolicy{attempts: maxAttempts, backoff: backoff}
		return nil
	})
}

// retriesSafely reports whether err, the end of one attempt, proves the
// call never ran (see RetrySafe).
func retriesSafely(err error) bool {
	if client.SafeToRetry(err) {
		return !errors.Is(err, client.ErrClosed) && !errors.Is(err, context.Canceled) &&
			!errors.Is(err, context.DeadlineExceeded)
	}
	return client.IsRemote(err) && (errors.Is(err, client.ErrUnavailable) || errors.Is(err, client.ErrNoAvailableCallee))
}

// noRetry refuses RetrySafe for a progressive or streamed call.
func (c *config) noRetry(procedure string) error {
	if c.retry.attempts > 1 {
		return fmt.Errorf("caller: %w: RetrySafe applies to Call only, not to the progressive or streamed call of %s",
			client.ErrInvalidOption, procedure)
	}
	return nil
}

// callRetrying makes the call of req, again while RetrySafe allows.
func (c *config) callRetrying(ctx context.Context, cl *client.Client, req client.CallRequest) (client.Result, error) {
	for attempt := 1; ; attempt++ {
		actx, cancel := c.bound(ctx)
		res, err := cl.Call(actx, req, nil)
		err = c.timedOut(actx, req.Procedure, err)
		cancel()
		if err == nil || attempt >= c.retry.attempts || !retriesSafely(err) || !c.wait(ctx, attempt) {
			if err != nil && attempt > 1 {
				err = &callError{proc: req.Procedure, what: fmt.Sprintf("failed after %d attempts", attempt), err: err}
			}
			return res, err
		}
	}
}

// pause returns the wait before the attempt after attempt: backoff doubled
// after each retry up to maxBackoffFactor times backoff, drawn at random
// between half and all of that. The arithmetic saturates at the longest
// Duration, so a backoff meant as "wait until ctx ends"
// (time.Duration(math.MaxInt64)) stays a long wait.
func (p retryPolicy) pause(attempt int) time.Duration {
	ceiling := time.Duration(math.MaxInt64)
	if p.backoff <= ceiling/maxBackoffFactor {
		ceiling = p.backoff * maxBackoffFactor
	}
	d := p.backoff
	for i := 1; i < attempt && d < ceiling; i++ {
		if d > ceiling/2 {
			d = ceiling
		} else {
			d *= 2
		}
	}
	return d/2 + rand.N(d/2+1)
}

// wait sleeps before the attempt after attempt; false when ctx ended first.
func (c *config) wait(ctx context.Context, attempt int) bool {
	if ctx.Err() != nil {
		return false
	}
	if c.retry.backoff <= 0 {
		return true
	}
	t := time.NewTimer(c.retry.pause(attempt))
	defer t.Stop()
	select {
	case <-t.C:
		return ctx.Err() == nil
	case <-ctx.Done():
		return false
	}
}
