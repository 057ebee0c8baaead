package rtc

import (
	"time"

	"github.com/pion/rtp"
)

// audioReorderWait is how long an audio packet that arrived after a gap
// waits for the packets missing before it. A path with jitter delivers
// packets out of order (at ±30 ms of jitter and a packet every 20 ms,
// often); handing them on as they come would make the late one useless, as
// audio is played in order. 60 ms is three Opus packets: about what a
// playout buffer holds anyway.
const audioReorderWait = 60 * time.Millisecond

// audioReorderMaxWait bounds how far the wait grows on a path whose
// packets keep arriving after their gap was given up.
const audioReorderMaxWait = 200 * time.Millisecond

// audioReorderMax bounds the packets held (a burst after a long gap).
const audioReorderMax = 16

// audioReorder puts audio packets back in sequence order. A packet is
// handed on at once when it is the next one; after a gap, later packets
// wait until the gap fills or the oldest of them has waited long enough,
// then the gap is given up. Packets from before what was handed on (too
// late, or duplicates) are dropped. The wait starts at audioReorderWait and
// adapts like a playout buffer: a packet that arrives after its gap was
// given up lengthens it by how late it came (up to audioReorderMaxWait),
// and every gap that fills in time shortens it by 1/64 of what it exceeds
// the start. It is owned by one track's reader.
type audioReorder struct {
	started  bool
	next     uint16 // the sequence number handed on next
	held     []heldPacket
	wait     time.Duration // 0: audioReorderWait
	gaveUp   uint16        // the last sequence number given up (valid when gaveUpAt is set)
	gaveUpAt time.Time
}

// Wait returns the current wait for a gap.
func (r *audioReorder) Wait() time.Duration {
	if r.wait == 0 {
		return audioReorderWait
	}
	return r.wait
}

type heldPacket struct {
	pkt *rtp.Packet
	at  time.Time
}

// push takes a packet that arrived at now and returns the packets to hand
// on, in order.
func (r *audioReorder) push(pkt *rtp.Packet, now time.Time) []*rtp.Packet {
	seq := pkt.SequenceNumber
	if !r.started {
		r.started, r.next = true, seq
	}
	if int16(seq-r.next) < 0 {
		// Late or a duplicate. Late for a gap just given up: that gap
		// should have been waited for this much longer.
		if !r.gaveUpAt.IsZero() && int16(seq-r.gaveUp) <= 0 && int16(r.gaveUp-seq) < audioReorderMax {
			if late := now.Sub(r.gaveUpAt); late < time.Second {
				r.wait = min(r.Wait()+late+5*time.Millisecond, audioReorderMaxWait)
			}
		}
		return nil
	}
	for _, h := range r.held {
		if h.pkt.SequenceNumber == seq {
			return nil // duplicate
		}
	}
	r.held = append(r.held, heldPacket{pkt: pkt, at: now})
	var out []*rtp.Packet
	for len(r.held) > 0 {
		if i := r.find(r.next); i >= 0 {
			if r.held[i].pkt == pkt && len(r.held) > 1 && r.wait > audioReorderWait {
				r.wait -= (r.wait - audioReorderWait) / 64 // a gap filled in time
			}
			out = append(out, r.take(i))
			r.next++
			continue
		}
		// A gap: give it up once the oldest held packet waited long
		// enough, or too many wait.
		i := r.oldest()
		if now.Sub(r.held[i].at) < r.Wait() && len(r.held) < audioReorderMax {
			break
		}
		low := r.lowest()
		r.gaveUp, r.gaveUpAt = low-1, now
		r.next = low
	}
	return out
}

func (r *audioReorder) find(seq uint16) int {
	for i, h := range r.held {
		if h.pkt.SequenceNumber == seq {
			return i
		}
	}
	return -1
}

func (r *audioReorder) take(i int) *rtp.Packet {
	p := r.held[i].pkt
	r.held = append(r.held[:i], r.held[i+1:]...)
	return p
}

func (r *audioReorder) oldest() int {
	o := 0
	for i, h := range r.held {
		if h.at.Before(r.held[o].at) {
			o = i
		}
	}
	return o
}

// lowest returns the held sequence number closest after next.
func (r *audioReorder) lowest() uint16 {
	best := r.held[0].pkt.SequenceNumber
	for _, h := range r.held[1:] {
		if uint16(h.pkt.SequenceNumber-r.next) < uint16(best-r.next) {
			best = h.pkt.SequenceNumber
		}
	}
	return best
}
