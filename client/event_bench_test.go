package client_test

import (
	"sync/atomic"
	"testing"

	"github.com/wampkit/wampkit/client"
	"github.com/wampkit/wampkit/internal/wamptest"
)

// BenchmarkEventDelivery: one publisher, one subscriber, in process; each
// op is one event published (unacknowledged) and handled. "paced" waits
// for each event before the next (the delivery goroutine starts anew each
// time), "burst" publishes all and waits for the last.
func BenchmarkEventDelivery(b *testing.B) {
	for _, mode := range []string{"paced", "burst"} {
		b.Run(mode, func(b *testing.B) {
			r := wamptest.NewRouter(b)
			sub, pub := r.Local(b), r.Local(b)
			ctx := ctxT(b)
			var n atomic.Int64
			got := make(chan struct{}, 1)
			target := int64(b.N)
			_, err := sub.Subscribe(ctx, "bench.topic", func(*client.Event) {
				if v := n.Add(1); mode == "paced" || v == target {
					got <- struct{}{}
				}
			}, client.SubscribeOptions{})
			if err != nil {
				b.Fatal(err)
			}
			p := client.Payload{Args: []any{"hello", 42}}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, err := pub.Publish(ctx, "bench.topic", p, client.PublishOptions{}); err != nil {
					b.Fatal(err)
				}
				if mode == "paced" {
					<-got
				}
			}
			if mode == "burst" {
				<-got
			}
		})
	}
}
