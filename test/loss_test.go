package test

import (
	"encoding/binary"
	"hash/crc32"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/rtc"
)

// TestLossyDownlink: bob's subscriber connection runs through a relay that
// drops 10 % and then 30 % of the datagrams in each direction. NACK/RTX
// must still deliver at least 99 % of alice's video frames whole, and bob's
// OnNetworkQuality for alice and OnStatistics must show the loss. Each
// phase starts right after an OnNetworkQuality, so the next one measures
// that phase alone.
func TestLossyDownlink(t *testing.T) {
	e := NewEnv(t)
	alice, bob, relay, s := e.relayedPair(7201)
	alice.EnableCustomVideoCapture(rtc.StreamBig, true)
	alice.EnableCustomAudioCapture(true)

	// 50 fps of one-packet frames, a keyframe every 10 (the synthetic
	// encoder cannot answer keyframe requests).
	p := startPacer(alice, 50, 900, 100, 10)
	bob.waitSeen("OnFirstVideoFrame", "alice")
	if _, passed := relay.Stats(); passed == 0 {
		t.Fatal("bob's media did not go through the relay")
	}

	// Clean: one full interval.
	bob.nextReport()
	_, clean := bob.nextReport()
	cleanQ := remoteQuality(clean, "alice")

	type phase struct {
		name    string
		loss    float64
		mark    byte
		quality rtc.Quality
		stats   rtc.Statistics
	}
	phases := []*phase{{name: "10%", loss: 0.10, mark: 'X'}, {name: "30%", loss: 0.30, mark: 'Y'}}
	for _, ph := range phases {
		relay.SetLoss(ph.loss)
		p.setPhase(ph.mark)
		d0, p0 := relay.Stats()
		var remote []rtc.QualityInfo
		ph.stats, remote = bob.nextReport()
		ph.quality = remoteQuality(remote, "alice")
		d1, p1 := relay.Stats()
		t.Logf("%s: relay dropped %.1f%%; quality of alice %v (clean %v); DownLoss %d%%, %+v",
			ph.name, 100*float64(d1-d0)/float64(d1-d0+p1-p0), ph.quality, cleanQ, ph.stats.DownLoss, ph.stats.Remote)
	}
	p.setPhase(0)
	relay.SetLoss(0)

	// Every phase's frames, counted by their counters: at least 99 % whole.
	for _, ph := range phases {
		sent := p.count(ph.mark)
		var got map[uint32]bool
		waitFor(t, 3*time.Second, "the last "+ph.name+" frames", func() bool {
			got = s.framesOf("alice", ph.mark)
			return got[sent-1]
		})
		t.Logf("%s: %d of %d frames whole (%.2f%%)", ph.name, len(got), sent, 100*float64(len(got))/float64(sent))
		if float64(len(got)) < 0.99*float64(sent) {
			t.Errorf("%s loss: only %d of %d frames arrived whole", ph.name, len(got), sent)
		}
	}

	if cleanQ != rtc.QualityExcellent && cleanQ != rtc.QualityGood {
		t.Errorf("clean quality of alice %v", cleanQ)
	}
	for _, ph := range phases {
		if ph.quality <= cleanQ {
			t.Errorf("%s loss: quality of alice %v, not worse than clean %v", ph.name, ph.quality, cleanQ)
		}
		if ph.stats.DownLoss == 0 || len(ph.stats.Remote) == 0 || ph.stats.Remote[0].VideoPacketLoss == 0 {
			t.Errorf("%s loss: statistics show no loss: %+v", ph.name, ph.stats)
		}
	}
	if phases[1].quality < phases[0].quality {
		t.Errorf("30%% loss rated %v, better than 10%% (%v)", phases[1].quality, phases[0].quality)
	}
}

// framesOf returns the counters of user's whole video frames of a phase
// (the counter and CRC of vp8Frame's body check the frame).
func (s *sink) framesOf(user string, phase byte) map[uint32]bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	got := map[uint32]bool{}
	for _, f := range s.video[user] {
		b := f.Data[3:]
		if f.Data[0]&1 == 0 {
			b = f.Data[10:]
		}
		if len(b) < 9 || b[0] != phase || binary.BigEndian.Uint32(b[5:9]) != crc32.ChecksumIEEE(b[9:]) {
			continue
		}
		got[binary.BigEndian.Uint32(b[1:5])] = true
	}
	return got
}
