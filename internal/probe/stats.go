package probe

import (
	"math"
	"time"
)

// Receiver measures one direction of traffic as it arrives: how many
// distinct packets came, at what rate, and with what interarrival jitter.
// Its memory is bounded: sequence numbers beyond MaxPackets are counted as
// excess, not remembered. It is not safe for concurrent use.
type Receiver struct {
	seen     []uint64 // bitmap of sequence numbers received
	received int
	dups     int
	excess   int
	bytes    int // of every packet but the first (the rate's numerator)
	first    time.Time
	last     time.Time

	jitter      float64 // RFC 3550 §6.4.1, in µs
	prevTransit int64
	haveTransit bool
}

// MaxPackets bounds what one Receiver remembers (5000 kbps for 5 s of
// minimum-size packets is about 65,000).
const MaxPackets = 1 << 16

// Add records a packet that arrived at, sent at the sender's clock sent
// (µs), with sequence number seq and size bytes.
func (r *Receiver) Add(seq uint32, sent uint64, size int, at time.Time) {
	if seq >= MaxPackets {
		r.excess++
		return
	}
	if r.seen == nil {
		r.seen = make([]uint64, MaxPackets/64)
	}
	w, bit := seq/64, uint64(1)<<(seq%64)
	if r.seen[w]&bit != 0 {
		r.dups++
		return
	}
	r.seen[w] |= bit
	if r.received == 0 {
		r.first = at
	} else {
		r.bytes += size
	}
	r.received++
	if at.After(r.last) {
		r.last = at
	}
	// Interarrival jitter: how much the transit time (arrival minus send
	// time, each on its own clock: the offset cancels) varies from packet
	// to packet, smoothed by 1/16.
	transit := at.UnixMicro() - int64(sent)
	if r.haveTransit {
		d := math.Abs(float64(transit - r.prevTransit))
		r.jitter += (d - r.jitter) / 16
	}
	r.prevTransit, r.haveTransit = transit, true
}

// Received returns the distinct packets that arrived.
func (r *Receiver) Received() int { return r.received }

// Report summarizes what arrived of sent packets.
func (r *Receiver) Report(sent int) Report {
	rep := Report{Sent: sent, Received: r.received, Kbps: -1, JitterMs: -1}
	if sent > 0 {
		got := 0
		for seq := 0; seq < min(sent, MaxPackets); seq++ {
			if r.seen != nil && r.seen[seq/64]&(1<<(seq%64)) != 0 {
				got++
			}
		}
		rep.Received = got
		rep.Loss = 1 - float64(got)/float64(sent)
		if rep.Loss < 0 {
			rep.Loss = 0
		}
	}
	if span := r.last.Sub(r.first); r.received >= 2 && span > 0 {
		rep.Kbps = int(float64(r.bytes) * 8 / span.Seconds() / 1000)
	}
	if r.received >= 2 {
		rep.JitterMs = int(math.Round(r.jitter / 1000))
	}
	return rep
}

// Report is one direction's measurement.
type Report struct {
	Sent     int     `json:"sent"`
	Received int     `json:"received"`
	Loss     float64 `json:"loss"`     // 0..1
	Kbps     int     `json:"kbps"`     // the rate that arrived; −1 if unknown
	JitterMs int     `json:"jitterMs"` // −1 if unknown
}
