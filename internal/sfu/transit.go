package sfu

import (
	"sync/atomic"
	"time"
)

// Transit time: how long a forwarded packet spent inside the server, from
// the moment its publisher's reader took it from Pion (decrypted) to the
// moment a send worker hands it, encrypted for one subscriber, to the
// socket batch (which leaves at the end of the worker's burst). This is
// the SFU's own share of the publisher → subscriber latency; the rest is
// the two network legs and the two clients. Counted per forwarded packet
// and subscriber (retransmissions are not), in fixed buckets with atomic
// counters: nothing allocates and nothing locks.

// TransitBounds are the upper bounds of the transit histogram's buckets;
// a last, unbounded bucket counts the rest.
var TransitBounds = [...]time.Duration{
	25 * time.Microsecond, 50 * time.Microsecond, 100 * time.Microsecond, 250 * time.Microsecond,
	500 * time.Microsecond, time.Millisecond, 2500 * time.Microsecond, 5 * time.Millisecond,
	10 * time.Millisecond, 25 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond,
}

// transitHist is the engine's transit histogram.
type transitHist struct {
	counts [len(TransitBounds) + 1]atomic.Uint64
	sum    atomic.Int64 // nanoseconds
}

func (h *transitHist) observe(d time.Duration) {
	if d < 0 {
		d = 0
	}
	i := 0
	for i < len(TransitBounds) && d > TransitBounds[i] {
		i++
	}
	h.counts[i].Add(1)
	h.sum.Add(int64(d))
}

// Transit is a snapshot of the transit histogram: Counts[i] packets took
// at most TransitBounds[i] (and more than the bound before); the last
// count is beyond the last bound. The counts only grow.
type Transit struct {
	Counts [len(TransitBounds) + 1]uint64
	Sum    time.Duration
}

// Count is the number of packets observed.
func (t Transit) Count() uint64 {
	var n uint64
	for _, c := range t.Counts {
		n += c
	}
	return n
}

// Transit returns the engine's transit histogram so far.
func (e *Engine) Transit() Transit {
	var t Transit
	for i := range t.Counts {
		t.Counts[i] = e.transit.counts[i].Load()
	}
	t.Sum = time.Duration(e.transit.sum.Load())
	return t
}
