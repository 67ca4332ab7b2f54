package wamptest

import (
	"sync"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/wamp"

	"github.com/wampkit/wampkit/internal/netfault"
)

// Fault decides the fate of one message from the router to a client: drop
// it, or deliver it after a delay.
type Fault func(msg wamp.Message) (drop bool, delay time.Duration)

// Faulty sits between in-process clients (ConnectLocal) and a
// router, and applies a Fault to what the router sends them; it can also cut
// every connection through it (DropAll), as a broken transport would. Its
// faults touch only the clients connected through it, unlike the router's
// own (Router.Drop and the rest), which touch every client.
//
// The zero value with Inner set is ready; NewFaulty also closes it at
// cleanup. Its goroutines (four per connection) end when the client or the
// router closes the connection, on DropAll, and on Close, which waits for
// them. Safe for concurrent use.
type Faulty struct {
	Inner interface{ Attach(wamp.Peer) error }

	faults netfault.Faults
}

// NewFaulty returns a Faulty in front of inner, closed at cleanup (before
// inner, when inner was started first).
func NewFaulty(t testing.TB, inner interface{ Attach(wamp.Peer) error }) *Faulty {
	f := &Faulty{Inner: inner}
	t.Cleanup(f.Close)
	return f
}

// SetFault replaces the fault (nil delivers everything).
func (f *Faulty) SetFault(fault Fault) { f.faults.SetFilter(netfault.Filter(fault)) }

// DropNext drops the next n messages of type typ that the router sends to
// any client through f, and delivers everything else. It replaces the
// fault; once n are dropped, everything is delivered.
func (f *Faulty) DropNext(typ wamp.MessageType, n int) {
	var mu sync.Mutex
	f.SetFault(func(m wamp.Message) (bool, time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		if n > 0 && m.MessageType() == typ {
			n--
			return true, 0
		}
		return false, 0
	})
}

// Delay delivers every message from the router d late (0: on time). It
// replaces the fault.
func (f *Faulty) Delay(d time.Duration) {
	if d <= 0 {
		f.SetFault(nil)
		return
	}
	f.SetFault(func(wamp.Message) (bool, time.Duration) { return false, d })
}

// DropAll cuts every connection through f: the client sees its transport
// lost, the router sees the client leave (DropAll returns once it has ended
// their sessions). New connections are accepted.
func (f *Faulty) DropAll() { f.faults.Drop() }

// Close cuts every connection, refuses new ones and waits for f's
// goroutines. Idempotent.
func (f *Faulty) Close() { f.faults.Close() }

// Attach implements [Attacher].
func (f *Faulty) Attach(client wamp.Peer) error { return f.faults.Attach(client, f.Inner.Attach, nil) }
