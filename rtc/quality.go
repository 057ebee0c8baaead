package rtc

import (
	"fmt"
	"time"
)

func (q Quality) String() string {
	switch q {
	case QualityUnknown:
		return "Unknown"
	case QualityExcellent:
		return "Excellent"
	case QualityGood:
		return "Good"
	case QualityPoor:
		return "Poor"
	case QualityBad:
		return "Bad"
	case QualityVbad:
		return "Vbad"
	case QualityDown:
		return "Down"
	}
	return fmt.Sprintf("Quality(%d)", int(q))
}

// qualityLevels rate a network path (docs/quality.md): the first row whose
// every limit the measurement stays under gives the level; a path over all
// of them is Vbad. Loss is measured before NACK repair, over one 2 s
// interval; rtt from ICE consent checks; jitter is RFC 3550's interarrival
// jitter.
var qualityLevels = []struct {
	q      Quality
	loss   float64 // %
	rtt    time.Duration
	jitter time.Duration
}{
	{QualityExcellent, 1, 100 * time.Millisecond, 30 * time.Millisecond},
	{QualityGood, 3, 200 * time.Millisecond, 50 * time.Millisecond},
	{QualityPoor, 8, 400 * time.Millisecond, 100 * time.Millisecond},
	{QualityBad, 15, 600 * time.Millisecond, 200 * time.Millisecond},
}

// rateNetwork maps measured loss (%), round-trip time and jitter to a TRTC
// quality level (1..5; Down and Unknown are decided by the caller).
func rateNetwork(loss float64, rtt, jitter time.Duration) Quality {
	for _, l := range qualityLevels {
		if loss < l.loss && rtt < l.rtt && jitter < l.jitter {
			return l.q
		}
	}
	return QualityVbad
}

// localQuality rates this user's own path: the uplink while publishing
// (the server's receiver reports), else the downlink. A lost connection is
// Down; no connection yet is Unknown.
func (m *mediaClient) localQuality(r report) Quality {
	m.c.mu.Lock()
	down := m.s.health.signalDown || m.s.health.mediaDown
	m.c.mu.Unlock()
	switch {
	case down:
		return QualityDown
	case !r.local.known:
		return QualityUnknown
	}
	return rateNetwork(r.local.loss, r.local.rtt, r.local.jitter)
}
