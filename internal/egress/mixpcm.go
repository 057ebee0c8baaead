package egress

import "sync"

// pcmFIFO is a jitter buffer between a PCM producer that delivers in bursts
// (a decoder fed batches, the audio mixer) and the mixer's wall clock,
// which takes a fixed amount every frame. It starts playing once it holds
// pre bytes, answers an underrun with silence (and waits for pre bytes
// again), and drops the oldest bytes beyond max so that latency stays
// bounded.
type pcmFIFO struct {
	pre, max int

	mu      sync.Mutex
	buf     []byte
	playing bool
	// underruns and dropped count the silence inserted and the bytes
	// dropped (tests, logs).
	underruns, dropped int
}

func newPCMFIFO(pre, limit int) *pcmFIFO {
	pre -= pre % mixFrameLen
	limit -= limit % mixFrameLen
	return &pcmFIFO{pre: pre, max: max(limit, pre)}
}

// push appends decoded PCM.
func (f *pcmFIFO) push(b []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.buf = append(f.buf, b...)
	if over := len(f.buf) - f.max; over > 0 {
		over += mixFrameLen - 1
		over -= over % mixFrameLen
		over = min(over, len(f.buf)-len(f.buf)%mixFrameLen)
		f.dropped += over
		f.buf = append(f.buf[:0], f.buf[over:]...)
	}
}

// pull fills dst (a whole number of sample frames) with the oldest PCM, or
// silence where there is none.
func (f *pcmFIFO) pull(dst []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.playing && len(f.buf) >= max(f.pre, mixFrameLen) {
		f.playing = true
	}
	n := 0
	if f.playing {
		n = copy(dst, f.buf)
		n -= n % mixFrameLen
		f.buf = append(f.buf[:0], f.buf[n:]...)
		if n < len(dst) {
			f.playing = false
			f.underruns++
		}
	}
	clear(dst[n:])
}

// level is how many bytes are buffered.
func (f *pcmFIFO) level() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.buf)
}
