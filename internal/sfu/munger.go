package sfu

import "time"

// munger rewrites sequence numbers and timestamps so that a subscriber sees
// one continuous RTP stream while the source switches between publisher
// layers (each with its own SSRC, sequence and timestamp space). It is owned
// by one goroutine.
//
// Within a layer the mapping is a fixed offset, so reordered and
// retransmitted packets keep their relative positions. At a switch the new
// offsets make the first packet of the new layer follow the last packet sent
// with seq+1 and a timestamp advanced by the wall time elapsed.
type munger struct {
	started   bool
	seqOffset uint16
	tsOffset  uint32

	srcHighest uint16 // highest source seq seen since the last switch
	srcFirst   uint16 // first source seq after the last switch

	outSeq    uint16    // highest sequence number sent
	outTS     uint32    // timestamp of that packet
	outAt     time.Time // when it was sent
	clockRate uint32
}

// switchTo rebases the offsets so that the source packet (seq, ts) follows
// the last packet sent. It is called with the first packet of a new layer,
// which is a keyframe start.
func (m *munger) switchTo(seq uint16, ts uint32, now time.Time) {
	if !m.started {
		m.started = true
		m.seqOffset, m.tsOffset = 0, 0
	} else {
		m.seqOffset = m.outSeq + 1 - seq
		delta := uint32(1)
		if el := now.Sub(m.outAt); el > 0 && m.clockRate > 0 {
			if d := uint64(el) * uint64(m.clockRate) / uint64(time.Second); d > 1 {
				delta = uint32(min(d, 1<<30))
			}
		}
		m.tsOffset = m.outTS + delta - ts
	}
	m.srcFirst, m.srcHighest = seq, seq-1
}

// rewrite maps a source packet of the current layer to the subscriber's
// sequence number and timestamp. ok is false for packets that precede the
// last switch (they belong to what the subscriber never got) and for
// padding-only packets, which are dropped without leaving a gap.
func (m *munger) rewrite(seq uint16, ts uint32, padding bool, now time.Time) (outSeq uint16, outTS uint32, ok bool) {
	if int16(seq-m.srcFirst) < 0 {
		return 0, 0, false
	}
	newest := int16(seq-m.srcHighest) > 0
	if newest {
		m.srcHighest = seq
		// Keep the switch point within half the sequence space of the
		// newest packet so that the comparison above stays meaningful.
		if seq-m.srcFirst > 0x4000 {
			m.srcFirst = seq - 0x4000
		}
		if padding {
			// Close the gap the dropped packet would leave.
			m.seqOffset--
			return 0, 0, false
		}
	} else if padding {
		return 0, 0, false
	}
	outSeq, outTS = seq+m.seqOffset, ts+m.tsOffset
	if newest {
		m.outSeq, m.outTS, m.outAt = outSeq, outTS, now
	}
	return outSeq, outTS, true
}

// history remembers, for each sequence number sent to a subscriber, which
// source packet it was, so that a NACK in the subscriber's numbering can be
// answered from the publisher layer's packet cache.
type history struct {
	mask    uint16
	entries []histEntry
}

type histEntry struct {
	valid    bool
	layer    int8
	outSeq   uint16
	srcSeq   uint16
	tsOffset uint32
	resent   uint8 // retransmissions so far (retransmit's throttle)
	resentAt int64 // when last retransmitted, Unix ns
}

func newHistory(size int) history {
	return history{mask: uint16(size - 1), entries: make([]histEntry, size)}
}

func (h *history) put(e histEntry) {
	e.valid = true
	h.entries[e.outSeq&h.mask] = e
}

func (h *history) get(outSeq uint16) (histEntry, bool) {
	e := h.entries[outSeq&h.mask]
	return e, e.valid && e.outSeq == outSeq
}

// noteResent records a retransmission of outSeq at now (Unix ns).
func (h *history) noteResent(outSeq uint16, now int64) {
	if e := &h.entries[outSeq&h.mask]; e.valid && e.outSeq == outSeq {
		e.resent++
		e.resentAt = now
	}
}
