package wire

import (
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/gammazero/nexus/v3/wamp"
)

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

// ErrUnencodable matches the error of a message the serializer refused.
var ErrUnencodable = errors.New("wire: message cannot be serialized")

// TooLargeError is the error of a message larger than the other side
// accepts.
type TooLargeError struct {
	Size, Limit int
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("wire: message of %d bytes exceeds the limit of %d", e.Size, e.Limit)
}

// unsentReport holds the peer's OnUnsent function.
type unsentReport struct {
	f atomic.Pointer[func(wamp.Message, error)]
}

func (u *unsentReport) set(f func(wamp.Message, error)) { u.f.Store(&f) }

// report tells the OnUnsent function; false when there is none (the
// router's side of a connection), and the peer then drops the connection
// rather than the message alone.
func (u *unsentReport) report(msg wamp.Message, err error) bool {
	if f := u.f.Load(); f != nil && *f != nil {
		(*f)(msg, err)
		return true
	}
	return false
}

// EncodedSize is the size of msg serialized by s (an error wrapping
// ErrUnencodable when s cannot encode it): counted without encoding where
// the fast path can count it (MsgPack), else encoded.
func (s *Serializer) EncodedSize(msg wamp.Message) (int, error) {
	if s.fastSize != nil {
		if n, ok := s.fastSize(msg); ok {
			return n, nil
		}
	}
	b, err := s.Append(nil, msg)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrUnencodable, err)
	}
	return len(b), nil
}
