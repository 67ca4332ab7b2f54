package wamptest

import (
	"sync"
	"time"

	"github.com/gammazero/nexus/v3/transport"
	"github.com/gammazero/nexus/v3/wamp"
)

// Fault decides the fate of one message from the router to a client: drop
// it, or deliver it after a delay.
type Fault func(msg wamp.Message) (drop bool, delay time.Duration)

// Faulty sits between in-process clients (client.ConnectLocal) and a
// router, and applies a Fault to what the router sends them. Its goroutines
// end when the client or the router closes the connection.
type Faulty struct {
	Inner interface{ Attach(wamp.Peer) error }

	mu    sync.Mutex
	fault Fault
}

// SetFault replaces the fault (nil delivers everything).
func (f *Faulty) SetFault(fault Fault) {
	f.mu.Lock()
	f.fault = fault
	f.mu.Unlock()
}

// Attach implements client.Attacher.
func (f *Faulty) Attach(client wamp.Peer) error {
	cli, rtr := transport.LinkedPeersQSize(16384)
	go func() { _ = f.Inner.Attach(rtr) }()
	go func() { // client -> router, untouched
		for msg := range client.Recv() {
			cli.Send() <- msg
		}
		cli.Close()
	}()
	go func() { // router -> client, through the fault
		for msg := range cli.Recv() {
			f.mu.Lock()
			fault := f.fault
			f.mu.Unlock()
			if fault != nil {
				drop, delay := fault(msg)
				if drop {
					continue
				}
				time.Sleep(delay)
			}
			client.Send() <- msg
		}
		client.Close()
	}()
	return nil
}
