package sfu

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// sendItem asks a subscriber's send loop to forward one packet of a
// publisher layer (by source sequence number) or to retransmit one packet
// (by the subscriber's sequence number).
type sendItem struct {
	dt    *DownTrack
	layer *layer // nil for a retransmission
	seq   uint16
}

// sendQueue is a bounded FIFO of sendItems with one consumer. Producers are
// publisher readers and RTCP loops; they never block: when the queue is full
// the oldest item is dropped and counted on its DownTrack
// (the tailscale derpserver sendPkt pattern).
type sendQueue struct {
	mu     sync.Mutex
	items  []sendItem
	mask   int
	head   int
	n      int
	wake   chan struct{}
	drops  atomic.Uint64
	closed bool
}

func newSendQueue(size int) *sendQueue {
	return &sendQueue{items: make([]sendItem, size), mask: size - 1, wake: make(chan struct{}, 1)}
}

func (q *sendQueue) push(it sendItem) {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	if q.n == len(q.items) {
		old := q.items[q.head]
		q.items[q.head] = sendItem{}
		q.head = (q.head + 1) & q.mask
		q.n--
		q.drops.Add(1)
		if old.dt != nil {
			old.dt.stats.queueDrops.Add(1)
		}
	}
	q.items[(q.head+q.n)&q.mask] = it
	q.n++
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// pop moves up to len(dst) items into dst and returns how many.
func (q *sendQueue) pop(dst []sendItem) int {
	q.mu.Lock()
	k := min(len(dst), q.n)
	for i := range k {
		j := (q.head + i) & q.mask
		dst[i] = q.items[j]
		q.items[j] = sendItem{}
	}
	q.head = (q.head + k) & q.mask
	q.n -= k
	q.mu.Unlock()
	return k
}

func (q *sendQueue) close() {
	q.mu.Lock()
	q.closed = true
	for i := range q.items {
		q.items[i] = sendItem{}
	}
	q.n = 0
	q.mu.Unlock()
}

// sender is the send loop of one subscriber PeerConnection: the only
// goroutine that rewrites and writes packets for its DownTracks, so their
// rewriting state needs no locks and SRTP encryption for different
// subscribers runs in parallel.
type sender struct {
	q     *sendQueue
	done  chan struct{}
	burst burster // groups a drain's writes into one batch of sends
	// Scratch owned by the loop.
	batch [64]sendItem
	buf   [maxPacketSize]byte
	rtx   [maxPacketSize + 2]byte
	view  rtpView
	// midFrame: the last video packet forwarded did not end its frame.
	midFrame bool
}

// frameWaitYields bounds how often a send loop yields waiting for the rest
// of a video frame before it sends what it has.
const frameWaitYields = 4

// burster is the socket's burst scope (udpbatch.Conn): writes between Hold
// and Release leave together.
type burster interface {
	Hold()
	Release()
}

type noBurst struct{}

func (noBurst) Hold()    {}
func (noBurst) Release() {}

func newSender(queueSize int, b burster) *sender {
	if b == nil {
		b = noBurst{}
	}
	return &sender{q: newSendQueue(queueSize), done: make(chan struct{}), burst: b}
}

func (s *sender) run() {
	for {
		select {
		case <-s.q.wake:
		case <-s.done:
			s.q.close()
			return
		}
		s.burst.Hold()
		s.drain()
		// In the middle of a video frame the rest of it is usually a few
		// microseconds behind (the publisher's reader is pushing it): give
		// it a chance to join this burst, which then leaves as one GSO
		// message instead of several sends.
		for i := 0; s.midFrame && i < frameWaitYields; i++ {
			runtime.Gosched()
			s.drain()
		}
		s.midFrame = false
		s.burst.Release()
	}
}

// drain processes everything queued; it is also the benchmark's entry point.
func (s *sender) drain() {
	for {
		k := s.q.pop(s.batch[:])
		if k == 0 {
			return
		}
		for i := range k {
			it := s.batch[i]
			s.batch[i] = sendItem{}
			if it.layer == nil {
				it.dt.retransmit(s, it.seq)
			} else {
				it.dt.forward(s, it.layer, it.seq)
			}
		}
	}
}
