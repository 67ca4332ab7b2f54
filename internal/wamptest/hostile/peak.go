package hostile

import (
	"runtime"
	"sync"
	"time"
)

// Peak samples the process's heap in use and goroutine count until Stop,
// and keeps the largest of each: the figures of a flood. Sampling stops
// the world briefly (runtime.ReadMemStats); 10 ms is a reasonable interval.
type Peak struct {
	stop chan struct{}
	wg   sync.WaitGroup
	st   PeakStats
}

// PeakStats are the figures a Peak measured. Heap figures are bytes:
// BaseHeap and PeakHeap of heap in use (runtime.MemStats.HeapInuse: live
// objects and garbage not collected yet, what the process pays for),
// BaseLive and Live of live objects right after a collection
// (runtime.MemStats.HeapAlloc after runtime.GC: what is retained).
type PeakStats struct {
	BaseHeap       uint64 // after a GC, before the flood
	PeakHeap       uint64
	BaseLive       uint64 // after a GC, before the flood
	Live           uint64 // after a GC, at Stop
	BaseGoroutines int
	PeakGoroutines int
	Samples        int
}

// LiveGrowth is how much more the heap retained at Stop than at the start.
func (s PeakStats) LiveGrowth() uint64 {
	if s.Live < s.BaseLive {
		return 0
	}
	return s.Live - s.BaseLive
}

// Growth is how far the heap grew above its base at the peak.
func (s PeakStats) Growth() uint64 {
	if s.PeakHeap < s.BaseHeap {
		return 0
	}
	return s.PeakHeap - s.BaseHeap
}

// WatchPeak collects garbage, takes the base figures and starts sampling
// every interval.
func WatchPeak(interval time.Duration) *Peak {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	p := &Peak{stop: make(chan struct{})}
	p.st.BaseHeap, p.st.PeakHeap, p.st.BaseLive = ms.HeapInuse, ms.HeapInuse, ms.HeapAlloc
	p.st.BaseGoroutines = runtime.NumGoroutine()
	p.st.PeakGoroutines = p.st.BaseGoroutines
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.sample()
			}
		}
	}()
	return p
}

func (p *Peak) sample() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	p.st.PeakHeap = max(p.st.PeakHeap, ms.HeapInuse)
	p.st.PeakGoroutines = max(p.st.PeakGoroutines, runtime.NumGoroutine())
	p.st.Samples++
}

// Stop takes a last sample, stops sampling, collects garbage to measure
// what is live, and returns the figures. Call it once, while what the
// figures are about is still held.
func (p *Peak) Stop() PeakStats {
	close(p.stop)
	p.wg.Wait()
	p.sample()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	p.st.Live = ms.HeapAlloc
	return p.st
}
