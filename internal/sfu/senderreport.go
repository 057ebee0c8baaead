package sfu

import (
	"sync"
	"time"

	"github.com/pion/rtcp"
)

// Sender reports (RFC 3550 §6.4.1) for subscriber connections are ours,
// not Pion's report.SenderInterceptor: that interceptor only sees packets
// written through Pion, and fast-path packets (fastpath.go) are not. With
// two writers for one SSRC the reports would go stale or, worse, two
// reports with different counts and timestamp mappings would reach the
// receiver, so the subscriber API has no SR interceptor and the engine
// reports every DownTrack itself, whichever path its packets take. Like
// Pion it reports each media SSRC once a second (srInterval), with the
// packet and payload-octet counts and the NTP ↔ RTP timestamp mapping of
// the last frame start, extrapolated to now. Receivers echo the report's
// NTP time in their receiver reports (LSR/DLSR), which is how the
// DownTrack's round-trip time is measured; browsers also use it for A/V
// sync. RTX streams get no reports (receivers do not need them).

// srInterval is how often sender reports go out (Pion's default).
const srInterval = time.Second

// srBatch caps the reports of one compound RTCP packet: 40 reports of 28
// bytes stay well inside one datagram.
const srBatch = 40

// srState is what a DownTrack's next sender report says. It is written by
// the send worker for every packet and read once a second by the
// reporter; an uncontended lock per packet is cheaper than anything that
// would tear the (timestamp, time) pair.
type srState struct {
	mu      sync.Mutex
	packets uint32
	octets  uint32
	rtpTS   uint32
	at      time.Time // when the packet carrying rtpTS was sent
	started bool
}

// note counts one media packet sent with RTP timestamp ts. The mapping
// moves on the first packet of each frame only, so that the time spent
// sending a large frame does not skew it.
func (s *srState) note(ts uint32, payload int, now time.Time) {
	s.mu.Lock()
	if !s.started || ts != s.rtpTS {
		s.rtpTS, s.at, s.started = ts, now, true
	}
	s.packets++
	s.octets += uint32(payload)
	s.mu.Unlock()
}

// noteResent counts a retransmission sent on the media SSRC (no RTX).
func (s *srState) noteResent(payload int) {
	s.mu.Lock()
	s.packets++
	s.octets += uint32(payload)
	s.mu.Unlock()
}

// report returns the sender report for ssrc at now, and false before the
// first packet.
func (s *srState) report(ssrc, clockRate uint32, now time.Time) (rtcp.SenderReport, time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started {
		return rtcp.SenderReport{}, time.Time{}, false
	}
	return rtcp.SenderReport{
		SSRC:        ssrc,
		NTPTime:     ntpTime(now),
		RTPTime:     s.rtpTS + rtpTicks(now.Sub(s.at), clockRate),
		PacketCount: s.packets,
		OctetCount:  s.octets,
	}, s.at, true
}

// rtpTicks converts d to RTP clock ticks, modulo 2^32 like RTP timestamps,
// without overflowing however long ago the last packet was (a muted
// track); a clock that went back counts as no time.
func rtpTicks(d time.Duration, clockRate uint32) uint32 {
	if d <= 0 {
		return 0
	}
	secs, rem := uint64(d/time.Second), uint64(d%time.Second)
	return uint32(secs*uint64(clockRate) + rem*uint64(clockRate)/uint64(time.Second))
}

// ntpTime returns the 64-bit NTP timestamp of t (RFC 3550 §4).
func ntpTime(t time.Time) uint64 {
	const ntpEpochOffset = 2208988800
	sec := uint64(t.Unix()) + ntpEpochOffset
	frac := uint64(t.Nanosecond()) << 32 / uint64(time.Second)
	return sec<<32 | frac
}

// sendReports writes a sender report for every SSRC this peer sends on.
// DownTracks that feed one WHEP slot in turn share its SSRC; the one that
// sent last speaks for it.
func (p *Peer) sendReports(now time.Time) {
	if !p.subReady.Load() {
		return
	}
	type pick struct {
		sr rtcp.SenderReport
		at time.Time
	}
	picks := make(map[uint32]pick)
	for _, d := range p.DownTracks() {
		b := d.binding.Load()
		if b == nil || d.closed.Load() {
			continue
		}
		sr, at, ok := d.sr.report(b.ssrc, d.codec.ClockRate, now)
		if !ok {
			continue
		}
		if old, seen := picks[b.ssrc]; !seen || at.After(old.at) {
			picks[b.ssrc] = pick{sr, at}
		}
	}
	pkts := make([]rtcp.Packet, 0, min(len(picks), srBatch))
	for _, pk := range picks {
		sr := pk.sr
		pkts = append(pkts, &sr)
		if len(pkts) == srBatch {
			p.writeReports(pkts)
			pkts = pkts[:0]
		}
	}
	if len(pkts) > 0 {
		p.writeReports(pkts)
	}
}

func (p *Peer) writeReports(pkts []rtcp.Packet) {
	if err := p.sub.WriteRTCP(pkts); err != nil {
		p.log.Debug("sender reports", "err", err)
	}
}

// reporter is the engine's one sender-report loop: every srInterval it
// reports for every peer (no goroutine or timer per subscriber).
type reporter struct {
	done chan struct{}
	exit chan struct{}
}

func (e *Engine) startReporter() {
	e.reports = reporter{done: make(chan struct{}), exit: make(chan struct{})}
	go func() {
		defer close(e.reports.exit)
		t := time.NewTicker(srInterval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				e.reportAll()
			case <-e.reports.done:
				return
			}
		}
	}()
}

func (e *Engine) reportAll() {
	peers := e.peersList()
	now := e.cfg.Clock.Now()
	for _, p := range peers {
		p.sendReports(now)
	}
}

func (e *Engine) stopReporter() {
	if e.reports.done == nil {
		return
	}
	close(e.reports.done)
	<-e.reports.exit
}
