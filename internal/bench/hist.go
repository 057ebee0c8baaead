package bench

import (
	"math"
	"sync/atomic"
	"time"
)

// Histogram counts durations in fixed buckets so that hundreds of receiver
// goroutines can record every frame without a lock or an ever-growing
// slice: 10 µs wide up to 10 ms, 100 µs up to 100 ms, 1 ms up to 10 s;
// longer samples land in the last bucket. Percentiles are exact to within
// half a bucket; the minimum, maximum and mean are exact.
type Histogram struct {
	counts [histBuckets]atomic.Uint64
	n      atomic.Uint64
	sum    atomic.Int64 // ns
	max    atomic.Int64 // ns
	min    atomic.Int64 // ns + 1; 0 while empty
}

const (
	histFine   = 1000 // 10 µs buckets below 10 ms
	histMid    = 900  // 100 µs buckets below 100 ms
	histCoarse = 9900 // 1 ms buckets below 10 s
	// histBuckets adds one for everything at 10 s and above.
	histBuckets = histFine + histMid + histCoarse + 1
)

// bucketOf returns the bucket of a non-negative duration.
func bucketOf(d time.Duration) int {
	switch {
	case d < 10*time.Millisecond:
		return int(d / (10 * time.Microsecond))
	case d < 100*time.Millisecond:
		return histFine + int((d-10*time.Millisecond)/(100*time.Microsecond))
	case d < 10*time.Second:
		return histFine + histMid + int((d-100*time.Millisecond)/time.Millisecond)
	}
	return histBuckets - 1
}

// bucketRange returns the lower bound and width of bucket i.
func bucketRange(i int) (lo, width time.Duration) {
	switch {
	case i < histFine:
		return time.Duration(i) * 10 * time.Microsecond, 10 * time.Microsecond
	case i < histFine+histMid:
		return 10*time.Millisecond + time.Duration(i-histFine)*100*time.Microsecond, 100 * time.Microsecond
	case i < histBuckets-1:
		return 100*time.Millisecond + time.Duration(i-histFine-histMid)*time.Millisecond, time.Millisecond
	}
	return 10 * time.Second, 0
}

// Record adds one sample; negative durations count as zero.
func (h *Histogram) Record(d time.Duration) {
	d = max(d, 0)
	h.counts[bucketOf(d)].Add(1)
	h.n.Add(1)
	h.sum.Add(int64(d))
	for {
		old := h.max.Load()
		if int64(d) <= old || h.max.CompareAndSwap(old, int64(d)) {
			break
		}
	}
	h.lowest(int64(d) + 1)
}

// lowest lowers min to m (ns + 1) if it is lower or min is unset.
func (h *Histogram) lowest(m int64) {
	for {
		old := h.min.Load()
		if (old != 0 && m >= old) || h.min.CompareAndSwap(old, m) {
			return
		}
	}
}

func (h *Histogram) minimum() time.Duration { return time.Duration(max(h.min.Load()-1, 0)) }

// Count is the number of samples.
func (h *Histogram) Count() uint64 { return h.n.Load() }

// Quantile returns the p-th percentile (0..100): the middle of the bucket
// holding the sample of that rank (nearest-rank), clamped to the observed
// minimum and maximum.
func (h *Histogram) Quantile(p float64) time.Duration {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(p / 100 * float64(n)))
	rank = min(max(rank, 1), n)
	var seen uint64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= rank {
			lo, w := bucketRange(i)
			d := lo + w/2
			return min(max(d, h.minimum()), time.Duration(h.max.Load()))
		}
	}
	return time.Duration(h.max.Load())
}

// LatencySummary is a latency distribution in milliseconds.
type LatencySummary struct {
	N    uint64  `json:"n"`
	P50  float64 `json:"p50_ms"`
	P90  float64 `json:"p90_ms"`
	P99  float64 `json:"p99_ms"`
	Max  float64 `json:"max_ms"`
	Mean float64 `json:"mean_ms"`
}

// Summary reports the histogram's percentiles.
func (h *Histogram) Summary() LatencySummary {
	n := h.n.Load()
	if n == 0 {
		return LatencySummary{}
	}
	ms := func(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }
	return LatencySummary{
		N: n, P50: ms(h.Quantile(50)), P90: ms(h.Quantile(90)), P99: ms(h.Quantile(99)),
		Max: ms(time.Duration(h.max.Load())), Mean: ms(time.Duration(h.sum.Load() / int64(n))),
	}
}

// Merge adds o's samples to h (used to combine video and audio).
func (h *Histogram) Merge(o *Histogram) {
	n := o.n.Load()
	if n == 0 {
		return
	}
	for i := range o.counts {
		if c := o.counts[i].Load(); c != 0 {
			h.counts[i].Add(c)
		}
	}
	h.lowest(o.min.Load())
	h.n.Add(n)
	h.sum.Add(o.sum.Load())
	if o.max.Load() > h.max.Load() {
		h.max.Store(o.max.Load())
	}
}
