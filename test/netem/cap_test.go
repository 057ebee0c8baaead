package netem

import (
	"strings"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/rtc"
)

// TestBandwidthCap: alice publishes a big layer of about 600 kbit/s and a
// small one of about 120 kbit/s; bob receives her in automatic layer mode
// across a link capped at 500 kbit/s toward him (tbf). The server's
// estimate of bob's bandwidth falls below the big layer and bob is moved to
// the small one, which then arrives whole; bob's OnNetworkQuality shows
// the congestion while it lasts.
func TestBandwidthCap(t *testing.T) {
	const room = 8401
	n, srv, p, bob, s := startCall(t, room, PublishOptions{FPS: 30, FrameSize: 2500, KeyEvery: 10, Small: true})
	big := func() bool { f, ok := s.LastVideo(); return ok && f.width == 640 }
	small := func() bool { f, ok := s.LastVideo(); return ok && f.width == 320 }
	waitUntil(t, waitTimeout, "the big layer on a clean link", big)
	clean := runPhase(bob, p, 'C', "clean", func() {})

	start := time.Now()
	n.Cap(500, Down)
	p.Phase('T') // the transition: big under the cap until the switch
	worst := rtc.QualityUnknown
	for !small() {
		if time.Since(start) > 40*time.Second {
			t.Fatalf("still on the big layer %v after the cap", time.Since(start))
		}
		_, _, remote := bob.NextReport()
		worst = max(worst, qualityOf(remote, "alice"))
	}
	switched := time.Since(start)
	capped := runPhase(bob, p, 'K', "capped", func() {})
	t.Logf("qdisc under the cap: %s", strings.Join(strings.Fields(n.QdiscStats(Down)), " "))
	n.Cap(0, Down)
	settle(t, n, s, p)
	t.Logf("server: %v", srv.Metrics("rtcengine_media_queue_drops", "rtcengine_media_retransmits", "rtcengine_media_nack", "rtcengine_media_layer_switches", "rtcengine_media_forwarded_packets"))
	transition := &phaseResult{name: "switching", mark: 'T'}
	for _, ph := range []*phaseResult{clean, transition, capped} {
		ph.measure(s, p)
		ph.log(t)
	}
	t.Logf("moved to the small layer %v after the cap; worst quality of alice meanwhile %v", switched.Round(100*time.Millisecond), worst)

	widths := map[int]int{}
	for _, f := range s.Video('K') {
		widths[f.width]++
	}
	// Latency under the cap: what the switch costs, and what it leaves.
	if capped.p95 > 300*time.Millisecond {
		t.Errorf("frames on the small layer under the cap wait %v (p95)", capped.p95)
	}
	if widths[640] != 0 {
		t.Errorf("big frames under the cap: %v", widths)
	}
	if capped.videoShare < 0.95 {
		t.Errorf("small layer under the cap: %.1f%% of the frames", 100*capped.videoShare)
	}
	if worst <= clean.quality {
		t.Errorf("the congestion did not show: worst %v, clean %v", worst, clean.quality)
	}
}
