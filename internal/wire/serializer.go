package wire

import (
	"bytes"
	"fmt"
	"sync/atomic"

	"github.com/gammazero/nexus/v3/transport/serialize"
	"github.com/gammazero/nexus/v3/wamp"
)

// Serializer wraps a nexus serializer:
//   - an UNREGISTERED with a Details element decodes to *Unregistered, with
//     the Details kept;
//   - a frame that fails to decode, or makes the inner serializer panic,
//     decodes to *Malformed instead of an error;
//   - every message it writes is spec-shaped (spec.go): no null where the
//     spec has a dictionary or a list, and under JSON binary goes as the
//     spec's "\u0000"+base64 string, which decodes back to []byte;
//   - the messages of calls and events take a fast path that gives what
//     the fallback gives (fastpath.go: json.go, msgpack.go, cbor.go);
//   - payloads come out in the canonical Go types (canonical.go) whichever
//     path decoded them.
type Serializer struct {
	Inner serialize.Serializer
	// format is the serialization: JSON's binaries need converting, and a
	// Raw value is checked against it.
	format serialization
	// fastAppend and fastDecode are the fast path of the serialization.
	// fastSize counts what fastAppend would write, without writing it; nil
	// where nothing counts (JSON, CBOR: EncodedSize encodes).
	// fastDecode is given the serializer when it keeps arguments raw
	// (KeepRaw), else nil.
	fastAppend func([]byte, wamp.Message) ([]byte, bool)
	fastDecode func([]byte, *Serializer) (wamp.Message, bool)
	fastSize   func(wamp.Message) (int, bool)
	// keep is set by KeepRaw and KeepRawIf: which messages' arguments
	// stay raw.
	keep atomic.Pointer[KeepFunc]
}

// KeepFunc says whether a RESULT (registration 0) or an INVOCATION keeps
// its one dictionary raw, from what the message holds before it. It runs
// on the goroutine that decodes, for each such message whose arguments are
// a list of one dictionary ending the message (the only ones it can keep),
// and for no other.
type KeepFunc func(t wamp.MessageType, request, registration wamp.ID, details wamp.Dict) bool

// KeepRaw makes the fast path leave the arguments of a RESULT or an
// INVOCATION encoded when they are a list of exactly one dictionary and the
// message's last element: Arguments is then a list of one Raw holding the
// dictionary's bytes (a slice of the string the frame's strings are slices
// of, or for a frame over sharedStringsMax a copy), which a typed decoder reads directly
// (Raw.Reader) or Raw.Value reads into values. The dictionary's contents are
// not checked on decoding: a malformed one fails when it is read.
func (s *Serializer) KeepRaw() {
	s.KeepRawIf(func(wamp.MessageType, wamp.ID, wamp.ID, wamp.Dict) bool { return true })
}

// KeepRawIf is KeepRaw for the messages keep says yes to (nil: none), so
// that a reader that wants values does not read the dictionary twice. It may be
// called while s decodes.
func (s *Serializer) KeepRawIf(keep KeepFunc) {
	if keep == nil {
		s.keep.Store(nil)
		return
	}
	s.keep.Store(&keep)
}

// keeper is what fastDecode is given: s when it keeps arguments raw.
func (s *Serializer) keeper() *Serializer {
	if s.keep.Load() != nil {
		return s
	}
	return nil
}

// NewSerializer returns the wrapped serializer for s.
func NewSerializer(s serialize.Serialization) (*Serializer, error) {
	switch s {
	case serialize.JSON:
		return &Serializer{Inner: &serialize.JSONSerializer{}, format: serJSON, fastAppend: appendJSONMessage, fastDecode: decodeJSONFrame}, nil
	case serialize.MSGPACK:
		return &Serializer{Inner: &serialize.MessagePackSerializer{}, format: serMsgPack, fastAppend: appendMsgPackMessage, fastDecode: decodeMsgPackFrame,
			fastSize: msgPackSize}, nil
	case serialize.CBOR:
		return &Serializer{Inner: &serialize.CBORSerializer{}, format: serCBOR, fastAppend: appendCBORMessage, fastDecode: decodeCBORFrame}, nil
	}
	return nil, fmt.Errorf("wire: unsupported serialization %d", s)
}

// Serialize implements serialize.Serializer. (The peers call Append, into
// buffers they reuse.)
func (s *Serializer) Serialize(msg wamp.Message) ([]byte, error) { return s.Append(nil, msg) }

// Append appends msg serialized to b.
func (s *Serializer) Append(b []byte, msg wamp.Message) ([]byte, error) {
	if s.fastAppend != nil {
		if out, ok := s.fastAppend(b, msg); ok {
			return out, nil
		}
	}
	msg, err := unrawMessage(msg) // the fallback knows no Raw
	if err != nil {
		return b, fmt.Errorf("wire: serialize %v: %w", msg.MessageType(), err)
	}
	m, err := s.serialize(msg)
	if b == nil {
		return m, err // nothing to append to: no copy
	}
	return append(b, m...), err
}

func (s *Serializer) serialize(msg wamp.Message) (b []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("wire: serialize %v: %v", msg.MessageType(), r)
		}
	}()
	return s.Inner.Serialize(specShaped(msg, s.format == serJSON))
}

// Deserialize implements serialize.Serializer. It never returns an error:
// undecodable input comes back as *Malformed.
func (s *Serializer) Deserialize(data []byte) (msg wamp.Message, err error) {
	if s.fastDecode != nil {
		if m, ok := s.fastDecode(data, s.keeper()); ok {
			return m, nil
		}
	}
	return s.deserialize(data)
}

// DeserializeBorrowed is Deserialize for a frame whose buffer is reused as
// soon as it returns. The fast path copies what it keeps (strings, bytes);
// the inner serializer might not, so it gets a copy of its own.
func (s *Serializer) DeserializeBorrowed(data []byte) wamp.Message {
	if s.fastDecode != nil {
		if m, ok := s.fastDecode(data, s.keeper()); ok {
			return m
		}
	}
	m, _ := s.deserialize(bytes.Clone(data))
	return m
}

func (s *Serializer) deserialize(data []byte) (msg wamp.Message, err error) {
	defer func() {
		if r := recover(); r != nil {
			msg, err = &Malformed{Err: fmt.Errorf("wire: decode panicked: %v", r), Size: len(data)}, nil
		}
	}()
	m, err := s.Inner.Deserialize(data)
	if err != nil {
		return &Malformed{Err: err, Size: len(data)}, nil
	}
	if u, ok := m.(*wamp.Unregistered); ok {
		m = s.unregistered(u, data)
	}
	if s.format == serJSON {
		decodeJSONBinaries(m)
	}
	canonicalize(m)
	return m, nil
}

// unregistered re-reads an UNREGISTERED frame to recover its Details, which
// the inner serializer drops. Revocations are rare, so the second decode costs
// nothing on the hot path.
func (s *Serializer) unregistered(u *wamp.Unregistered, data []byte) wamp.Message {
	var raw []any
	if err := s.Inner.DeserializeDataItem(data, &raw); err != nil || len(raw) < 3 {
		return &Unregistered{Request: u.Request}
	}
	details, ok := AsDict(raw[2])
	if !ok {
		return &Malformed{Err: fmt.Errorf("wire: UNREGISTERED details is %T, not a dictionary", raw[2]), Size: len(data)}
	}
	if s.format == serJSON {
		binariesFromJSON(map[string]any(details), 0)
	}
	return &Unregistered{Request: u.Request, Details: details}
}

// SerializeDataItem implements serialize.Serializer.
func (s *Serializer) SerializeDataItem(item any) ([]byte, error) {
	return s.Inner.SerializeDataItem(item)
}

// DeserializeDataItem implements serialize.Serializer.
func (s *Serializer) DeserializeDataItem(data []byte, v any) error {
	return s.Inner.DeserializeDataItem(data, v)
}

// AsDict converts the map shapes decoders produce (map[string]any,
// wamp.Dict, map[any]any from msgpack) into a wamp.Dict.
func AsDict(v any) (wamp.Dict, bool) {
	switch m := v.(type) {
	case wamp.Dict:
		return m, true
	case map[string]any:
		return m, true
	case map[any]any:
		d := make(wamp.Dict, len(m))
		for k, v := range m {
			ks, ok := k.(string)
			if !ok {
				return nil, false
			}
			d[ks] = v
		}
		return d, true
	}
	return nil, false
}
