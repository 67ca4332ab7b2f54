// Package kithook lets wampkit's own test helpers (internal/wamptest) reach
// what the public test kit (client/wamptest) keeps out of its API because it
// involves nexus types. client/wamptest sets the variables in its init, so
// they are set in any program that imports it (grpc's internal-package
// pattern).
package kithook

import "github.com/gammazero/nexus/v3/wamp"

// Attach joins peer, the router-facing end of an in-process client's linked
// peers, to router (a *wamptest.Router of client/wamptest) directly, without
// the router's fault injection: one hop less per message, for the SDK's
// tests, which inject in-process faults with their own helpers.
var Attach func(router any, peer wamp.Peer) error
