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

// sendQueue is a bounded FIFO of sendItems, one per subscriber, consumed by
// the send worker it is assigned to. Producers are publisher readers and
// RTCP loops; they never block: when the queue is full the oldest item is
// dropped and counted on its DownTrack (the tailscale derpserver sendPkt
// pattern).
type sendQueue struct {
	mu        sync.Mutex
	items     []sendItem
	mask      int
	head      int
	n         int
	scheduled bool // on its worker's ready list, or being drained
	closed    bool
	drops     atomic.Uint64
	w         *sendWorker
}

func newSendQueue(size int, w *sendWorker) *sendQueue {
	return &sendQueue{items: make([]sendItem, size), mask: size - 1, w: w}
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
	schedule := !q.scheduled
	q.scheduled = true
	q.mu.Unlock()
	if schedule {
		q.w.schedule(q)
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

// settle ends a drain of q: it stays scheduled (and the caller requeues it)
// if items arrived meanwhile.
func (q *sendQueue) settle() (more bool) {
	q.mu.Lock()
	more = q.n > 0
	q.scheduled = more
	q.mu.Unlock()
	return more
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

// sender is one subscriber PeerConnection's side of the send path: its
// queue, drained by the worker it was given.
type sender struct {
	q *sendQueue
}

// newSender makes a sender on worker w; with w nil it gets a private worker
// that does not run (tests drain it by hand).
func newSender(queueSize int, w *sendWorker) *sender {
	if w == nil {
		w = newSendWorker(nil)
		w.manual = true
	}
	return &sender{q: newSendQueue(queueSize, w)}
}

// drain forwards everything queued for this subscriber now, on the caller's
// goroutine; it is the benchmarks' and unit tests' entry point.
func (s *sender) drain() {
	for s.q.w.drainQueue(s.q) {
	}
}

func (s *sender) close() { s.q.close() }

// sendWorker is one of the engine's send loops (one per core): it drains
// the queues of the subscribers assigned to it, rewriting and writing their
// packets. A queue is drained by one worker only, so a DownTrack's rewriting
// state has one owner and needs no locks; subscribers on different workers
// are encrypted and sent in parallel. One worker per core instead of one
// goroutine per subscriber means a published packet wakes at most one
// goroutine per core, not one per subscriber, and a worker's drain covers
// many subscribers in one socket burst (one sendmmsg).
type sendWorker struct {
	mu    sync.Mutex
	ready []*sendQueue // scheduled queues, in order
	spare []*sendQueue
	wake  chan struct{}
	done  chan struct{}
	exit  chan struct{}
	burst burster
	// manual: no loop runs; whoever holds the sender drains it.
	manual bool

	// Scratch owned by the loop.
	batch [64]sendItem
	buf   [maxPacketSize]byte
	rtx   [maxPacketSize + 2]byte
	view  rtpView
	fast  fastScratch // fastpath.go
	// midFrame: the last video packet forwarded did not end its frame.
	midFrame bool
}

// frameWaitYields bounds how often a worker yields waiting for the rest
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

func newSendWorker(b burster) *sendWorker {
	if b == nil {
		b = noBurst{}
	}
	return &sendWorker{wake: make(chan struct{}, 1), done: make(chan struct{}), exit: make(chan struct{}), burst: b}
}

func (w *sendWorker) schedule(q *sendQueue) {
	if w.manual {
		return
	}
	w.mu.Lock()
	w.ready = append(w.ready, q)
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// take swaps out the ready list.
func (w *sendWorker) take() []*sendQueue {
	w.mu.Lock()
	r := w.ready
	w.ready = w.spare[:0]
	w.spare = nil
	w.mu.Unlock()
	return r
}

func (w *sendWorker) giveBack(r []*sendQueue) {
	clear(r)
	w.mu.Lock()
	if w.spare == nil {
		w.spare = r[:0]
	}
	w.mu.Unlock()
}

// run is the worker's loop until stop.
func (w *sendWorker) run() {
	defer close(w.exit)
	for {
		select {
		case <-w.wake:
		case <-w.done:
			return
		}
		w.burst.Hold()
		w.drainReady()
		// In the middle of a video frame the rest of it is usually a few
		// microseconds behind (the publisher's reader is pushing it): give
		// it a chance to join this burst, which then leaves as one GSO
		// message per subscriber instead of several sends.
		for i := 0; w.midFrame && i < frameWaitYields; i++ {
			runtime.Gosched()
			w.drainReady()
		}
		w.midFrame = false
		w.burst.Release()
	}
}

// drainReady serves every scheduled queue, a batch at a time in turn, until
// none is left.
func (w *sendWorker) drainReady() {
	for {
		r := w.take()
		if len(r) == 0 {
			w.giveBack(r)
			return
		}
		for _, q := range r {
			if w.drainQueue(q) {
				w.mu.Lock()
				w.ready = append(w.ready, q)
				w.mu.Unlock()
			}
		}
		w.giveBack(r)
	}
}

// drainQueue forwards one batch of q's items and reports whether q has more
// (it then stays scheduled).
func (w *sendWorker) drainQueue(q *sendQueue) (more bool) {
	k := q.pop(w.batch[:])
	for i := range k {
		it := w.batch[i]
		w.batch[i] = sendItem{}
		if it.layer == nil {
			it.dt.retransmit(w, it.seq)
		} else {
			it.dt.forward(w, it.layer, it.seq)
		}
	}
	return q.settle()
}

func (w *sendWorker) stop() {
	close(w.done)
	<-w.exit
}
