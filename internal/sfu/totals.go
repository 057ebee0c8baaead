package sfu

import (
	"sync"

	"github.com/rtcengine/rtcengine/internal/udpbatch"
)

// Totals are the engine's forwarding counters since it started, over every
// DownTrack that ever existed (for /metrics). All fields only grow.
type Totals struct {
	Packets       uint64 // RTP packets forwarded, excluding retransmissions
	Bytes         uint64 // payload bytes forwarded
	NACKs         uint64 // sequence numbers subscribers NACKed
	Retransmits   uint64 // NACKs answered from the packet cache
	NACKMisses    uint64 // NACKs for packets no longer cached
	NACKThrottled uint64 // NACKs not answered: resent too recently or too often
	PLIs          uint64 // keyframe requests from subscribers
	LayerSwitches uint64
	QueueDrops    uint64 // packets dropped because a subscriber's queue was full
	CacheMisses   uint64
	WriteErrors   uint64
	// FastPathPackets were sent through the engine's own SRTP sender.
	FastPathPackets uint64

	Socket udpbatch.Stats // the media UDP socket's sends
}

func (t *Totals) add(s DownTrackStats) {
	t.Packets += s.Packets
	t.Bytes += s.Bytes
	t.NACKs += s.NACKs
	t.Retransmits += s.Retransmits
	t.NACKMisses += s.NACKMisses
	t.NACKThrottled += s.NACKThrottled
	t.PLIs += s.PLIs
	t.LayerSwitches += s.LayerSwitches
	t.QueueDrops += s.QueueDrops
	t.CacheMisses += s.CacheMisses
	t.WriteErrors += s.WriteErrors
	t.FastPathPackets += s.FastPathPackets
}

// retired keeps the counters of closed DownTracks. Its lock also orders a
// DownTrack's retirement against Totals, so a track is counted exactly once.
type retired struct {
	mu sync.Mutex
	t  Totals
}

// retire moves a closing DownTrack's counters into the engine's totals;
// drop removes it from the live set under the same lock.
func (e *Engine) retire(d *DownTrack, drop func()) {
	e.retired.mu.Lock()
	drop()
	e.retired.t.add(d.Stats())
	e.retired.mu.Unlock()
}

// Totals sums the counters of live and closed DownTracks.
func (e *Engine) Totals() Totals {
	e.retired.mu.Lock()
	defer e.retired.mu.Unlock()
	t := e.retired.t
	peers := e.peersList()
	for _, p := range peers {
		for _, d := range p.DownTracks() {
			t.add(d.Stats())
		}
	}
	t.Socket = e.SocketStats()
	return t
}
