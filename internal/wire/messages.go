package wire

import "github.com/gammazero/nexus/v3/wamp"

// Unregistered is an UNREGISTERED message with its Details dictionary:
// [UNREGISTERED, Request|id, Details|dict]. A router sends it with Request 0 to
// revoke a registration (registration_revocation):
//
//	[67, 0, {"registration": 1293722, "reason": "wamp.error.unregistered"}]
//
// nexus's wamp.Unregistered has no Details field, so its serializers drop
// them; this type keeps them. Its field layout is what nexus serializers
// reflect over, so it also serializes correctly through them.
type Unregistered struct {
	Request wamp.ID
	Details wamp.Dict `wamp:"omitempty"`
}

// MessageType implements wamp.Message.
func (*Unregistered) MessageType() wamp.MessageType { return wamp.UNREGISTERED }

// Malformed stands for a frame that could not be decoded into a WAMP message.
// The serializer wrapper returns it in place of an error so that the session
// sees the fault and can report it, instead of the transport logging and
// dropping the frame.
type Malformed struct {
	Err error
	// Size is the length of the frame in bytes.
	Size int
}

// MessageType implements wamp.Message. A Malformed has no real type; 0 is not
// used by WAMP.
func (*Malformed) MessageType() wamp.MessageType { return 0 }

// RevocationDetails builds the Details of a revocation message.
func RevocationDetails(registration wamp.ID, reason string) wamp.Dict {
	d := wamp.Dict{"registration": registration}
	if reason != "" {
		d["reason"] = reason
	}
	return d
}
