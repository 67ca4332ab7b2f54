package client

import "fmt"

// State is the client's connection state.
type State int

// The states a client goes through. A client starts Connecting, is
// Connected while it has a session, Reconnecting after losing it, and
// Closed for good after Close (or after losing the connection with
// reconnect off).
const (
	Connecting State = iota
	Connected
	Reconnecting
	Closed
)

func (s State) String() string {
	switch s {
	case Connecting:
		return "connecting"
	case Connected:
		return "connected"
	case Reconnecting:
		return "reconnecting"
	case Closed:
		return "closed"
	}
	return fmt.Sprintf("State(%d)", int(s))
}
