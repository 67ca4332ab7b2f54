// Package kithook lets wampkit's own packages reach what the public API
// keeps out because it involves nexus types (grpc's internal-package
// pattern): the in-process link between a client and a router in the same
// process. Package client sets ConnectLocal in its init and client/wamptest
// sets Attach in its init, so they are set in any program that imports
// them.
package kithook

import (
	"context"

	"github.com/gammazero/nexus/v3/wamp"
)

// Attach joins peer, the router-facing end of an in-process client's linked
// peers, to router (a *wamptest.Router of client/wamptest) directly, without
// the router's fault injection: one hop less per message, for the SDK's
// tests, which inject in-process faults with their own helpers.
var Attach func(router any, peer wamp.Peer) error

// ConnectLocal is package client's in-process connect, of type
//
//	func(ctx context.Context, attach func(wamp.Peer) error, opts ...client.Option) (*client.Client, error)
//
// (kithook cannot name client's types: client imports it). The client
// joins through an in-memory peer handed to attach (a router's Attach),
// again on every reconnect. Call it through [Connect].
var ConnectLocal any

// The hooks below are of the types named in their comments (functions of
// package client's types, by value: nothing escapes to the heap). Package
// client sets them in its init.

// FreezeCall, a func(client.CallRequest, outgoing.Built)
// client.CallRequest, returns the request with its payload marked frozen
// (b.Fresh): its Args and Kwargs were built by wampkit's typed encoder for
// this call, no application code sees them, and nothing modifies them once
// sent (internal/handover); b is what the encoder knows of them.
var FreezeCall any

// FreezeAnswer, a func(*client.Invocation, client.Payload, outgoing.Built),
// marks p, the answer the handler of inv is about to return, as frozen, as
// FreezeCall does a call's payload.
var FreezeAnswer any

// ReadOnlyResult, a func(client.CallRequest) client.CallRequest, returns
// the request marked as one whose final result is only read, by a typed
// decoder that copies what it keeps: over the in-process link a frozen
// result is then handed over without a copy.
var ReadOnlyResult any

// ReadPayload, a func(*client.Invocation) client.Payload, returns the
// payload of an invocation as it arrived, possibly the caller's frozen
// values (internal/handover): for a typed decoder that only reads it and
// copies what it keeps. Anything else takes Invocation.Payload, a copy of
// its own.
var ReadPayload any

// CallSink, a func(*client.Client) *wire.Sink, returns a Sink of the
// serializer of the client's session for a typed call's arguments written
// straight into it (outgoing.Built.Direct), or nil where they go as values
// (no session, the in-process link, interceptors).
var CallSink any

// AnswerSink, a func(*client.Invocation) *wire.Sink, is CallSink for the
// answer of an invocation, in its session.
var AnswerSink any

// CallTwin, a func(*client.Client) bool, reports whether a typed call's
// arguments built now may be handed to their receiver over the in-process
// link, so that their twin may be taken (internal/payload): the client's
// session is in process, and no interceptor of the client's sees them.
// The call's own interceptors are the caller's to check.
var CallTwin any

// AnswerTwin, a func(*client.Invocation) bool, is CallTwin for the answer
// of an invocation, in its session.
var AnswerTwin any

// TypedInput, a func(client.RegisterOptions) client.RegisterOptions,
// returns the options marked as those of a registration whose handler
// reads its input only through a typed decoder that takes a received
// object undecoded (wire.Raw), as the typed callee's does.
var TypedInput any

// Connect calls [ConnectLocal]: C is *client.Client and O client.Option.
func Connect[C, O any](ctx context.Context, attach func(wamp.Peer) error, opts []O) (C, error) {
	return ConnectLocal.(func(context.Context, func(wamp.Peer) error, ...O) (C, error))(ctx, attach, opts...)
}
