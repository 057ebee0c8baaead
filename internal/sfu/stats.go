package sfu

import (
	"encoding/binary"
	"math"
	"sync/atomic"
	"time"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// TrackStats are the receive statistics of one publisher layer. Counters
// are cumulative; the room layer derives rates from two snapshots.
type TrackStats struct {
	Layer     trtc.StreamType
	SSRC      uint32
	Packets   uint64 // received, including retransmissions
	Bytes     uint64 // RTP bytes received
	Lost      int64  // expected minus received (RFC 3550 §6.4.1); may shrink when repairs arrive
	Frames    uint64 // video frames (packets with the marker bit)
	Keyframes uint64
	Jitter    time.Duration // interarrival jitter (RFC 3550 §6.4.1)

	KeyframeRequests          uint64 // PLIs sent to the publisher
	KeyframeRequestsThrottled uint64 // PLIs suppressed by the rate limit
}

// layerCounters are written by a layer's reader and read by Stats.
type layerCounters struct {
	packets, bytes, frames, keyframes atomic.Uint64
	lost                              atomic.Int64
	jitter                            atomic.Uint64 // float64 bits, in clock units
	plisSent, pliThrottled            atomic.Uint64
	// level is the lowest -dBov (loudest) seen since AudioLevel last read
	// it, or noLevel.
	level atomic.Uint32
}

// noLevel marks "no audio level since the last read"; levels are 0..127.
const noLevel = 128

func (c *layerCounters) noteLevel(dbov uint8) {
	for {
		old := c.level.Load()
		if old != noLevel && old <= uint32(dbov) {
			return
		}
		if c.level.CompareAndSwap(old, uint32(dbov)) {
			return
		}
	}
}

// recvState is the reader-owned part of the RFC 3550 A.1/A.8 bookkeeping.
type recvState struct {
	clockRate   uint32
	started     bool
	baseSeq     uint16
	maxSeq      uint16
	cycles      uint32
	received    uint64
	base        time.Time
	lastTransit float64
	jitter      float64
}

func (c *layerCounters) update(rs *recvState, pkt []byte, now time.Time, ck codecKind) {
	seq := binary.BigEndian.Uint16(pkt[2:4])
	ts := binary.BigEndian.Uint32(pkt[4:8])
	c.packets.Add(1)
	c.bytes.Add(uint64(len(pkt)))
	if ck != codecOther && pkt[1]&0x80 != 0 {
		c.frames.Add(1)
	}
	rs.received++
	if !rs.started {
		rs.started = true
		rs.baseSeq, rs.maxSeq = seq, seq
		rs.base = now
	} else if d := int16(seq - rs.maxSeq); d > 0 {
		if seq < rs.maxSeq {
			rs.cycles += 1 << 16
		}
		rs.maxSeq = seq
	}
	expected := uint64(rs.cycles) + uint64(rs.maxSeq) - uint64(rs.baseSeq) + 1
	c.lost.Store(int64(expected) - int64(rs.received))

	if rs.clockRate > 0 {
		arrival := float64(now.Sub(rs.base)) * float64(rs.clockRate) / float64(time.Second)
		transit := arrival - float64(ts)
		if rs.received > 1 {
			d := math.Abs(transit - rs.lastTransit)
			rs.jitter += (d - rs.jitter) / 16
			c.jitter.Store(math.Float64bits(rs.jitter))
		}
		rs.lastTransit = transit
	}
}

// countKeyframe is separate from update because it parses the payload.
func (c *layerCounters) countKeyframe() { c.keyframes.Add(1) }

func (l *layer) statsSnapshot() TrackStats {
	s := TrackStats{
		Layer:                     l.streamType,
		SSRC:                      l.ssrc,
		Packets:                   l.stats.packets.Load(),
		Bytes:                     l.stats.bytes.Load(),
		Lost:                      l.stats.lost.Load(),
		Frames:                    l.stats.frames.Load(),
		Keyframes:                 l.stats.keyframes.Load(),
		KeyframeRequests:          l.stats.plisSent.Load(),
		KeyframeRequestsThrottled: l.stats.pliThrottled.Load(),
	}
	if cr := l.track.codec.ClockRate; cr > 0 {
		j := math.Float64frombits(l.stats.jitter.Load())
		s.Jitter = time.Duration(j / float64(cr) * float64(time.Second))
	}
	return s
}

// DownTrackStats are the send statistics of one DownTrack.
type DownTrackStats struct {
	Track      TrackID
	Subscriber PeerID
	Layer      trtc.StreamType // layer being forwarded; meaningless before the first keyframe
	Target     trtc.StreamType // layer the DownTrack is moving to or on
	Forwarding bool            // a layer is being forwarded
	Muted      bool

	Packets   uint64 // RTP packets sent, excluding retransmissions
	Bytes     uint64 // payload bytes sent, excluding retransmissions
	Frames    uint64 // video frames sent (marker bits)
	Keyframes uint64 // keyframes sent

	NACKs         uint64 // sequence numbers the subscriber NACKed
	Retransmits   uint64 // NACKed packets answered from the cache
	NACKMisses    uint64 // NACKed packets no longer cached
	NACKThrottled uint64 // NACKs not answered: resent too recently or too often
	PLIs          uint64 // PLI/FIR received from the subscriber

	LayerSwitches uint64
	QueueDrops    uint64 // dropped because the subscriber's send queue was full
	CacheMisses   uint64 // queued packets already overwritten in the cache
	WriteErrors   uint64
	// FastPathPackets are RTP packets (media and retransmissions) sent
	// through the engine's own SRTP sender (docs/sfu.md, "Fast path").
	FastPathPackets uint64

	// From the subscriber's RTCP receiver reports (RFC 3550 §6.4.2).
	FractionLost float64 // last reported, 0..1
	TotalLost    uint32
	Jitter       time.Duration
	RTT          time.Duration
}

type downCounters struct {
	packets, bytes, frames, keyframes         atomic.Uint64
	nacks, retransmits, nackMisses, plis      atomic.Uint64
	nackThrottled                             atomic.Uint64 // NACKs not answered (retransmit's throttle)
	switches, queueDrops, cacheMisses, wrErrs atomic.Uint64
	fastPath                                  atomic.Uint64
	fractionLost                              atomic.Uint32 // 8-bit fixed point
	totalLost                                 atomic.Uint32
	jitter                                    atomic.Uint32 // clock units
	rtt                                       atomic.Int64  // nanoseconds
}
