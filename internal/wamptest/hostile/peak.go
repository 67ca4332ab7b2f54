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

// PeakStats are the figures a Peak measured. The heap figures are bytes of
// heap in use (runtime.MemStats.HeapInuse).
type PeakStats struct {
	BaseHeap       uint64 // after a GC, before the flood
	PeakHeap       uint64
	BaseGoroutines int
	PeakGoroutines int
	Samples        int
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
	p.st.BaseHeap, p.st.PeakHeap = ms.HeapInuse, ms.HeapInuse
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

// Stop takes a last sample, stops sampling and returns the figures.
// Call it once.
func (p *Peak) Stop() PeakStats {
	close(p.stop)
	p.wg.Wait()
	p.sample()
	return p.st
}
