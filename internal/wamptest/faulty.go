package wamptest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/gammazero/nexus/v3/transport"
	"github.com/gammazero/nexus/v3/wamp"
)

// Fault decides the fate of one message from the router to a client: drop
// it, or deliver it after a delay.
type Fault func(msg wamp.Message) (drop bool, delay time.Duration)

// Faulty sits between in-process clients (client.ConnectLocal) and a
// router, and applies a Fault to what the router sends them; it can also cut
// every connection through it (DropAll), as a broken transport would.
//
// The zero value with Inner set is ready; NewFaulty also closes it at
// cleanup. Its goroutines (two per connection) end when the client or the
// router closes the connection, on DropAll, and on Close, which waits for
// them. Safe for concurrent use.
type Faulty struct {
	Inner interface{ Attach(wamp.Peer) error }

	mu     sync.Mutex
	fault  Fault
	links  map[*link]struct{}
	closed bool
	wg     sync.WaitGroup
}

// link is one client connection through a Faulty.
type link struct {
	cut  chan struct{}
	once sync.Once
}

func (l *link) drop() { l.once.Do(func() { close(l.cut) }) }

// NewFaulty returns a Faulty in front of inner, closed at cleanup (before
// inner, when inner was started first).
func NewFaulty(t testing.TB, inner interface{ Attach(wamp.Peer) error }) *Faulty {
	f := &Faulty{Inner: inner}
	t.Cleanup(f.Close)
	return f
}

// SetFault replaces the fault (nil delivers everything).
func (f *Faulty) SetFault(fault Fault) {
	f.mu.Lock()
	f.fault = fault
	f.mu.Unlock()
}

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
// lost, the router sees the client leave. New connections are accepted.
func (f *Faulty) DropAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for l := range f.links {
		l.drop()
	}
}

// Close cuts every connection, refuses new ones and waits for f's
// goroutines. Idempotent.
func (f *Faulty) Close() {
	f.mu.Lock()
	f.closed = true
	for l := range f.links {
		l.drop()
	}
	f.mu.Unlock()
	f.wg.Wait()
}

// Attach implements client.Attacher.
func (f *Faulty) Attach(client wamp.Peer) error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		client.Close()
		return errors.New("wamptest: faulty link closed")
	}
	if f.links == nil {
		f.links = map[*link]struct{}{}
	}
	l := &link{cut: make(chan struct{})}
	f.links[l] = struct{}{}
	f.wg.Add(2)
	f.mu.Unlock()

	cli, rtr := transport.LinkedPeersQSize(16384)
	go f.up(l, client, cli)
	go f.down(l, client, cli)
	return f.Inner.Attach(rtr) // returns once the handshake is answered
}

// up forwards client -> router, untouched.
func (f *Faulty) up(l *link, client, cli wamp.Peer) {
	defer f.wg.Done()
	defer cli.Close() // the router sees the client leave
	for {
		select {
		case msg, ok := <-client.Recv():
			if !ok {
				return
			}
			select {
			case cli.Send() <- msg:
			case <-l.cut:
				return
			}
		case <-l.cut:
			return
		}
	}
}

// down forwards router -> client through the fault.
func (f *Faulty) down(l *link, client, cli wamp.Peer) {
	defer f.wg.Done()
	defer func() {
		l.drop()       // up stops too
		client.Close() // the client sees its transport lost
		f.mu.Lock()
		delete(f.links, l)
		f.mu.Unlock()
	}()
	for {
		var msg wamp.Message
		select {
		case m, ok := <-cli.Recv():
			if !ok {
				return
			}
			msg = m
		case <-l.cut:
			return
		}
		f.mu.Lock()
		fault := f.fault
		f.mu.Unlock()
		if fault != nil {
			drop, delay := fault(msg)
			if drop {
				continue
			}
			if delay > 0 {
				t := time.NewTimer(delay)
				select {
				case <-t.C:
				case <-l.cut:
					t.Stop()
					return
				}
			}
		}
		select {
		case client.Send() <- msg:
		case <-l.cut:
			return
		}
	}
}
