package egress

import "time"

// Reordering: packets repaired by retransmission (NACK → RTX, which the SFU
// feeds into the track like any packet) arrive after their successors. The
// recorder holds packets behind a gap for up to reorderWait so that a
// repair can fill it; only then is the gap declared lost (and the frame
// assembler drops what depended on it).
const (
	reorderSlots = 512 // about 2 s of 720p video
	reorderWait  = 300 * time.Millisecond
)

// reorderBuffer releases RTP packets in sequence-number order.
type reorderBuffer struct {
	pkts    [reorderSlots][]byte
	seqs    [reorderSlots]uint16
	next    uint16 // the sequence number released next
	started bool
	pending int       // packets held
	blocked time.Time // when the gap at next was first seen; zero if none
	late    uint64    // packets older than next (duplicates, too-late repairs)
}

// push takes a packet (the buffer keeps it) and releases what is in order.
func (b *reorderBuffer) push(pkt []byte, now time.Time, out func([]byte)) {
	if len(pkt) < 12 {
		return
	}
	seq := uint16(pkt[2])<<8 | uint16(pkt[3])
	if !b.started {
		b.started, b.next = true, seq
	}
	d := int16(seq - b.next)
	switch {
	case d < 0:
		b.late++
		return
	case int(d) >= reorderSlots:
		// Far ahead (a long outage or a restarted sender): release all and
		// continue from here.
		b.flush(out)
		b.next = seq
	}
	i := seq % reorderSlots
	if b.pkts[i] != nil && b.seqs[i] == seq {
		b.late++ // duplicate
		return
	}
	b.pkts[i], b.seqs[i] = pkt, seq
	b.pending++
	b.release(now, out)
}

// release hands out the packets in order from next; a gap older than
// reorderWait is skipped.
func (b *reorderBuffer) release(now time.Time, out func([]byte)) {
	for b.pending > 0 {
		i := b.next % reorderSlots
		if p := b.pkts[i]; p != nil && b.seqs[i] == b.next {
			b.pkts[i] = nil
			b.pending--
			b.next++
			b.blocked = time.Time{}
			out(p)
			continue
		}
		if b.blocked.IsZero() {
			b.blocked = now
		}
		if now.Sub(b.blocked) < reorderWait {
			return
		}
		b.skip()
	}
	b.blocked = time.Time{}
}

// skip moves next to the oldest held packet.
func (b *reorderBuffer) skip() {
	for k := 1; k < reorderSlots; k++ {
		s := b.next + uint16(k)
		if i := s % reorderSlots; b.pkts[i] != nil && b.seqs[i] == s {
			b.next = s
			b.blocked = time.Time{}
			return
		}
	}
}

// flush releases every held packet in order, skipping gaps (end of stream).
func (b *reorderBuffer) flush(out func([]byte)) {
	for b.pending > 0 {
		i := b.next % reorderSlots
		if p := b.pkts[i]; p != nil && b.seqs[i] == b.next {
			b.pkts[i] = nil
			b.pending--
			out(p)
			b.next++
			continue
		}
		b.skip()
	}
	b.blocked = time.Time{}
}
