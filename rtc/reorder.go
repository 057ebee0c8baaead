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

// audioReorderMax bounds the packets held (a burst after a long gap).
const audioReorderMax = 16

// audioReorder puts audio packets back in sequence order. A packet is
// handed on at once when it is the next one; after a gap, later packets
// wait until the gap fills or the oldest of them has waited
// audioReorderWait, then the gap is given up. Packets from before what was
// handed on (too late, or duplicates) are dropped. It is owned by one
// track's reader.
type audioReorder struct {
	started bool
	next    uint16 // the sequence number handed on next
	held    []heldPacket
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
		return nil // late or duplicate
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
			out = append(out, r.take(i))
			r.next++
			continue
		}
		// A gap: give it up once the oldest held packet waited long
		// enough, or too many wait.
		i := r.oldest()
		if now.Sub(r.held[i].at) < audioReorderWait && len(r.held) < audioReorderMax {
			break
		}
		r.next = r.lowest()
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
