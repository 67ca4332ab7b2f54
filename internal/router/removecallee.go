package router

import (
	"context"
	"fmt"
	"time"

	"github.com/gammazero/nexus/v3/wamp"

	"github.com/wampkit/wampkit/internal/wire"
)

// ProcRemoveCallee is the meta procedure the router implements on top of
// nexus: [registration_id, callee_session_id, reason?] removes that callee
// from the registration.
const ProcRemoveCallee = "wamp.registration.remove_callee"

const (
	// settleTimeout bounds the wait for a callee's REGISTERED replies in
	// flight before remove_callee decides whether it holds a registration.
	settleTimeout = 2 * time.Second
	// removeTimeout bounds a whole remove_callee call.
	removeTimeout = 10 * time.Second
)

// removal is one remove_callee in progress: the UNREGISTERs injected into
// the callee's stream (the registration's, then the barrier) and not yet
// answered by nexus. Guarded by Router.mu.
type removal struct {
	reg     wamp.ID
	reason  string
	left    int
	barrier wamp.ID  // request ID of the trailing UNREGISTER of registration 0
	failed  wamp.URI // nexus refused an injected UNREGISTER
	done    chan struct{}
	// trailing holds the router's answers to client UNREGISTERs of this
	// registration made meanwhile, delivered after the revocation.
	trailing []wamp.Message
}

// replied records nexus's answer to injected UNREGISTER req (failure is ""
// for UNREGISTERED); r.mu is held. After the last one it returns the
// revocation to deliver in the reply's place, when the callee asked for
// revocations, and the completion to signal once it is delivered.
func (rm *removal) replied(c *conn, req wamp.ID, failure wamp.URI) (wamp.Message, func()) {
	if failure != "" && req != rm.barrier {
		rm.failed = failure
	}
	if rm.left--; rm.left > 0 {
		return nil, nil
	}
	trailing := rm.trailing
	finish := func() {
		for _, m := range trailing {
			c.deliver(m)
		}
		close(rm.done)
	}
	if rm.failed != "" || !c.revocation {
		return nil, finish
	}
	return &wire.Unregistered{Details: wire.RevocationDetails(rm.reg, rm.reason)}, finish
}

// removeArgs are the parsed arguments of a remove_callee call.
type removeArgs struct {
	reg, callee wamp.ID
	reason      string
}

func parseRemoveArgs(call *wamp.Call) (removeArgs, *wamp.Error) {
	var a removeArgs
	bad := func(format string, v ...any) (removeArgs, *wamp.Error) {
		return a, callError(call, wamp.ErrInvalidArgument, fmt.Sprintf("router: "+format, v...))
	}
	if len(call.Arguments) < 2 {
		return bad("%s wants [registration_id, callee_session_id, reason?]", ProcRemoveCallee)
	}
	var ok bool
	if a.reg, ok = wamp.AsID(call.Arguments[0]); !ok {
		return bad("registration_id %v is not a WAMP ID", call.Arguments[0])
	}
	if a.callee, ok = wamp.AsID(call.Arguments[1]); !ok {
		return bad("callee_session_id %v is not a WAMP ID", call.Arguments[1])
	}
	reason := call.ArgumentsKw["reason"]
	if len(call.Arguments) > 2 {
		reason = call.Arguments[2]
	}
	if reason != nil {
		s, ok := wamp.AsString(reason)
		if !ok || !wamp.URI(s).ValidURI(false, "") {
			return bad("reason %v is not a URI", reason)
		}
		a.reason = s
	}
	return a, nil
}

// startRemoveCallee answers call on its own goroutine, owned by the router:
// it waits on other sessions, which the pump of the caller must not do.
func (c *conn) startRemoveCallee(call *wamp.Call) {
	a, errMsg := parseRemoveArgs(call)
	if errMsg != nil {
		c.sendLocal(errMsg)
		return
	}
	r := c.r
	r.mu.Lock()
	if r.closing {
		r.mu.Unlock()
		c.sendLocal(callError(call, wamp.ErrSystemShutdown, "router: closing"))
		return
	}
	r.taskWG.Add(1)
	r.mu.Unlock()
	go func() {
		defer r.taskWG.Done()
		ctx, cancel := context.WithTimeout(r.ctx, removeTimeout)
		defer cancel()
		if errMsg := r.removeCallee(ctx, a); errMsg != nil {
			errMsg.Request = call.Request
			c.sendLocal(errMsg)
			return
		}
		c.sendLocal(&wamp.Result{Request: call.Request, Details: wamp.Dict{}})
	}()
}

// removeCallee removes callee a.callee from registration a.reg, checking in
// Crossbar's order: unknown session, unknown registration, not a callee.
func (r *Router) removeCallee(ctx context.Context, a removeArgs) *wamp.Error {
	r.mu.Lock()
	target := r.sessions[a.callee]
	r.mu.Unlock()
	if target == nil {
		return removeError(wamp.ErrNoSuchSession, "router: no session %d on this router", a.callee)
	}
	rm, errMsg := r.inject(ctx, target, a)
	if errMsg != nil {
		return errMsg
	}
	select {
	case <-rm.done:
		if rm.failed != "" {
			return removeError(rm.failed, "router: nexus refused to unregister session %d from registration %d", a.callee, a.reg)
		}
	case <-target.finished:
		// The callee left: nexus dropped all its registrations.
	case <-ctx.Done():
		// Injected requests stay registered: a late reply is still
		// swallowed and the revocation still sent.
		return removeError(wamp.ErrCanceled, "router: removing session %d from registration %d: %v", a.callee, a.reg, ctx.Err())
	}
	return nil
}

// inject decides, at an exact point of the callee's inbound stream, whether
// it holds the registration, and if so puts an UNREGISTER of it into that
// stream under a private request ID. nexus then unregisters it exactly
// as if the client had asked, on_unregister and on_delete included.
//
// nexus publishes those events after replying, from the session's own
// goroutine, before it reads the session's next message. So a last
// UNREGISTER of registration 0 (no such registration: no effect) follows as
// a barrier: once it is answered the events have reached the broker, and the
// events of a later remove_callee come after them.
func (r *Router) inject(ctx context.Context, c *conn, a removeArgs) (*removal, *wamp.Error) {
	c.inMu.Lock()
	defer c.inMu.Unlock()
	// With inMu held no REGISTER can start; wait for those in flight.
	r.awaitSettled(ctx, c)

	r.mu.Lock()
	closed := c.inClosed || c.id == 0 || r.sessions[c.id] != c
	known := r.registrationKnown(a.reg)
	_, held := c.track.regs[a.reg]
	var rm *removal
	var msgs []*wamp.Unregister
	if !closed && held {
		rm = &removal{reg: a.reg, reason: a.reason, left: 2, done: make(chan struct{})}
		r.noteRevocation(c.id, a.reg, a.reason)
		c.track.dropReg(a.reg)
		unreg := &wamp.Unregister{Request: c.track.privateID(), Registration: a.reg}
		c.track.injected[unreg.Request] = rm
		barrier := &wamp.Unregister{Request: c.track.privateID(), Registration: 0}
		c.track.injected[barrier.Request] = rm
		rm.barrier = barrier.Request
		msgs = []*wamp.Unregister{unreg, barrier}
	}
	r.mu.Unlock()

	switch {
	case closed:
		return nil, removeError(wamp.ErrNoSuchSession, "router: no session %d on this router", a.callee)
	case !known:
		return nil, removeError(wamp.ErrNoSuchRegistration, "router: no registration %d on this router", a.reg)
	case !held:
		return nil, removeError(wamp.ErrNoSuchRegistration, "router: session %d is not a callee of registration %d", a.callee, a.reg)
	}
	for _, m := range msgs {
		if !c.toNexus(m) {
			break // the session ended; removeCallee sees c.finished
		}
	}
	return rm, nil
}

// awaitSettled waits, bounded by settleTimeout, until no REGISTER of c
// awaits its reply.
func (r *Router) awaitSettled(ctx context.Context, c *conn) {
	ctx, cancel := context.WithTimeout(ctx, settleTimeout)
	defer cancel()
	for {
		r.mu.Lock()
		if len(c.track.pendingReg) == 0 {
			r.mu.Unlock()
			return
		}
		ch := c.track.settledChan()
		r.mu.Unlock()
		select {
		case <-ch:
		case <-c.finished:
			return
		case <-ctx.Done():
			r.log.Warn("router: REGISTERED replies did not arrive", "session", c.id)
			return
		}
	}
}

func removeError(uri wamp.URI, format string, v ...any) *wamp.Error {
	return &wamp.Error{
		Type:      wamp.CALL,
		Details:   wamp.Dict{},
		Error:     uri,
		Arguments: wamp.List{fmt.Sprintf(format, v...)},
	}
}

// callError answers call with error uri and message msg.
func callError(call *wamp.Call, uri wamp.URI, msg string) *wamp.Error {
	return &wamp.Error{
		Type:      wamp.CALL,
		Request:   call.Request,
		Details:   wamp.Dict{},
		Error:     uri,
		Arguments: wamp.List{msg},
	}
}
