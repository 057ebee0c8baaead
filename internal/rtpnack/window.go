package rtpnack

import (
	"math/bits"
	"sync"
)

// Window is how many sequence numbers behind the newest one a stream's log
// remembers (Pion's generator keeps 512 as well). A packet further back is
// neither requested nor recorded; at 200 video packets/s that is 2.5 s,
// far longer than any receiver waits for a repair.
const Window = 512

const words = Window / 64

// window is the receive log of one RTP stream: which of the last Window
// sequence numbers arrived and how often each missing one was requested.
// A set bit in got means "nothing to ask for": the packet arrived, lies
// before the stream's first packet, or was requested maxNacks times. The
// log is a fixed 592 bytes; recording a packet allocates nothing.
type window struct {
	mu      sync.Mutex
	started bool
	end     uint16 // newest sequence number seen
	got     [words]uint64
	count   [Window]uint8
}

func slot(seq uint16) int { return int(seq) & (Window - 1) }

func (w *window) mark(seq uint16) {
	i := slot(seq)
	w.got[i/64] |= 1 << (i % 64)
	w.count[i] = 0
}

func (w *window) clear(seq uint16) {
	i := slot(seq)
	w.got[i/64] &^= 1 << (i % 64)
	w.count[i] = 0
}

// reset forgets everything and makes seq the newest packet.
func (w *window) reset(seq uint16) {
	for i := range w.got {
		w.got[i] = ^uint64(0)
	}
	w.count = [Window]uint8{}
	w.started = true
	w.end = seq
}

// add records that seq arrived, as an original or as a repair, and reports
// whether it left a gap behind it (packets now missing). A jump forward of
// Window or more (a sender that restarted its numbering, or an outage
// longer than the window) starts the log afresh instead of asking for a
// whole window of packets.
func (w *window) add(seq uint16) (gap bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.started {
		w.reset(seq)
		return false
	}
	ahead := seq - w.end // modulo 2^16 (RFC 3550 §A.1)
	switch {
	case ahead == 0:
	case ahead < 0x8000:
		if ahead >= Window {
			w.reset(seq)
			return false
		}
		for s := w.end + 1; s != seq; s++ {
			w.clear(s)
		}
		w.mark(seq)
		w.end = seq
		return ahead > 1
	default:
		if w.end-seq < Window {
			w.mark(seq)
		}
	}
	return false
}

// missing appends to dst the sequence numbers still to ask for, oldest
// first, counting this request for each; a packet asked for max times is
// not asked for again.
func (w *window) missing(dst []uint16, max uint8) []uint16 {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.started {
		return dst
	}
	// Walk slots from the oldest (end+1, a Window ago) to the newest.
	first := slot(w.end + 1)
	for k := 0; k < words+1; k++ {
		wi := (first/64 + k) % words
		m := ^w.got[wi]
		if k == 0 {
			m &= ^uint64(0) << (first % 64) // the oldest slots of this word
		} else if k == words {
			m &^= ^uint64(0) << (first % 64) // the newest, wrapped around
		}
		for m != 0 {
			b := bits.TrailingZeros64(m)
			m &= m - 1
			i := wi*64 + b
			seq := w.end - uint16((slot(w.end)-i)&(Window-1))
			w.count[i]++
			if w.count[i] >= max {
				w.got[wi] |= 1 << b // given up: never ask again
			}
			dst = append(dst, seq)
		}
	}
	return dst
}
