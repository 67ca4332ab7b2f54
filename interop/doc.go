// Package interop holds wampkit's interoperability suite: independent WAMP
// peers from npm (Autobahn|JS and wampy) calling wampkit callees and called
// by wampkit callers, through the reference router (internal/router) and
// through nexusd run as a separate process, over websocket with JSON,
// MsgPack and CBOR; and Autobahn|JS reading the registration meta API
// while wampkit callees are registered.
//
// The tests carry the build tag interop, so plain go test ./... needs no
// node. Run the whole suite with one command from the repository root:
//
//	interop/run.sh
//
// It installs the pinned npm packages (npm ci), runs
// go test -tags interop ./interop/, and prints the matrix of
// peer x role x router x serializer results. Known peer limitations are
// listed in the matrix as EXPECTED with their reason, and each is asserted
// to behave as documented; see README.md.
package interop
