// Package interop holds wampkit's interoperability suite: independent WAMP
// peers (Autobahn|JS and wampy from npm, Autobahn|Python from Debian)
// calling wampkit callees and called by wampkit callers, through the
// reference router (internal/router), nexusd and xconn-go's strict nxt (both
// run as separate processes), over websocket with JSON, MsgPack and CBOR;
// and Autobahn|JS reading the registration meta API while wampkit callees
// are registered.
//
// The tests carry the build tag interop, so plain go test ./... needs
// neither node nor Python. Run the whole suite with one command from the
// repository root:
//
//	interop/run.sh
//
// It installs the pinned npm packages (npm ci) and the Debian packages of
// Autobahn|Python, runs go test -tags interop ./interop/, and prints the
// matrix of peer x role x router x serializer results. Known peer and router
// limitations are listed in the matrix as EXPECTED with their reason, and
// each is asserted to behave as documented; see README.md.
package interop
