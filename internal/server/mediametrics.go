package server

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rtcengine/rtcengine/internal/sfu"
)

// mediaCollector exports the SFU's forwarding and socket counters. They are
// read on scrape (sfu.Engine.Totals), so the forwarding path pays nothing.
type mediaCollector struct {
	engine       *sfu.Engine
	descs        []mediaMetric
	transit      *prometheus.Desc
	transceivers *prometheus.Desc
}

type mediaMetric struct {
	desc *prometheus.Desc
	get  func(*sfu.Totals) uint64
}

func newMediaCollector(e *sfu.Engine) *mediaCollector {
	m := func(name, help string, get func(*sfu.Totals) uint64) mediaMetric {
		return mediaMetric{prometheus.NewDesc("rtcengine_media_"+name, help, nil, nil), get}
	}
	return &mediaCollector{engine: e,
		transceivers: prometheus.NewDesc("rtcengine_media_subscriber_transceivers",
			"Media sections (m-lines) of the subscriber connections, carrying a track or idle until the next one (removed tracks' transceivers are reused, docs/sfu.md).", nil, nil),
		transit: prometheus.NewDesc("rtcengine_media_transit_seconds",
			"Time forwarded packets spent in the server: from the publisher's packet read (decrypted) to the subscriber's copy handed to the socket (encrypted).", nil, nil),
		descs: []mediaMetric{
			m("forwarded_packets_total", "RTP packets forwarded to subscribers, excluding retransmissions.", func(t *sfu.Totals) uint64 { return t.Packets }),
			m("forwarded_bytes_total", "RTP payload bytes forwarded to subscribers.", func(t *sfu.Totals) uint64 { return t.Bytes }),
			m("nacks_total", "Sequence numbers subscribers asked to be resent (RTCP NACK).", func(t *sfu.Totals) uint64 { return t.NACKs }),
			m("retransmits_total", "NACKed packets resent from the packet cache.", func(t *sfu.Totals) uint64 { return t.Retransmits }),
			m("nack_misses_total", "NACKed packets no longer in the cache.", func(t *sfu.Totals) uint64 { return t.NACKMisses }),
			m("nack_throttled_total", "NACKs not answered because the packet was resent within a round trip or too often.", func(t *sfu.Totals) uint64 { return t.NACKThrottled }),
			m("keyframe_requests_total", "PLI/FIR received from subscribers.", func(t *sfu.Totals) uint64 { return t.PLIs }),
			m("layer_switches_total", "Big/small layer switches made for subscribers.", func(t *sfu.Totals) uint64 { return t.LayerSwitches }),
			m("queue_drops_total", "Packets dropped because a subscriber's send queue was full.", func(t *sfu.Totals) uint64 { return t.QueueDrops }),
			m("cache_misses_total", "Queued packets overwritten in the cache before they were sent.", func(t *sfu.Totals) uint64 { return t.CacheMisses }),
			m("fastpath_packets_total", "RTP packets sent to subscribers through the engine's own SRTP sender, straight into the UDP socket (docs/sfu.md).", func(t *sfu.Totals) uint64 { return t.FastPathPackets }),
			m("write_errors_total", "Packets the transport refused to send.", func(t *sfu.Totals) uint64 { return t.WriteErrors }),
			m("udp_packets_total", "Datagrams written to the media UDP socket (media, RTCP, DTLS, STUN).", func(t *sfu.Totals) uint64 { return t.Socket.Packets }),
			m("udp_direct_sends_total", "Datagrams sent on their own, outside a batch.", func(t *sfu.Totals) uint64 { return t.Socket.Direct }),
			m("udp_batch_syscalls_total", "sendmmsg calls that carried batches.", func(t *sfu.Totals) uint64 { return t.Socket.Syscalls }),
			m("udp_gso_messages_total", "UDP GSO messages sent (each carries two or more datagrams).", func(t *sfu.Totals) uint64 { return t.Socket.GSOMessages }),
			m("udp_gso_segments_total", "Datagrams sent inside UDP GSO messages.", func(t *sfu.Totals) uint64 { return t.Socket.GSOSegments }),
			m("udp_send_errors_total", "Batched datagrams the kernel refused.", func(t *sfu.Totals) uint64 { return t.Socket.Errors }),
		}}
}

func (c *mediaCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range c.descs {
		ch <- m.desc
	}
	ch <- c.transit
	ch <- c.transceivers
}

func (c *mediaCollector) Collect(ch chan<- prometheus.Metric) {
	t := c.engine.Totals()
	for _, m := range c.descs {
		ch <- prometheus.MustNewConstMetric(m.desc, prometheus.CounterValue, float64(m.get(&t)))
	}
	tr := c.engine.Transit()
	buckets := make(map[float64]uint64, len(sfu.TransitBounds))
	var cum uint64
	for i, b := range sfu.TransitBounds {
		cum += tr.Counts[i]
		buckets[b.Seconds()] = cum
	}
	ch <- prometheus.MustNewConstHistogram(c.transit, tr.Count(), tr.Sum.Seconds(), buckets)
	ch <- prometheus.MustNewConstMetric(c.transceivers, prometheus.GaugeValue, float64(c.engine.SubscriberTransceivers()))
}
