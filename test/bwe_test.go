package test

import (
	"sync"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/rtc"
)

// TestBandwidthMovesSubscriberBetweenLayers: alice publishes big and small;
// bob receives in automatic layer mode through a relay. When bob's downlink
// loses most packets, the server's estimate of what bob can take falls below
// the big layer's bitrate and bob is moved to small; when the loss stops the
// estimate climbs and bob is moved back to big. Bob never gets both at once.
func TestBandwidthMovesSubscriberBetweenLayers(t *testing.T) {
	e := NewEnv(t)
	alice, _, relay, s := e.relayedPair(7203)
	alice.EnableCustomVideoCapture(rtc.StreamBig, true)
	alice.EnableSmallVideoStream(true, rtc.VideoEncParam{})

	// A small big layer (~110 kbps) keeps the climb back after the loss short:
	// the estimate rises 8 % a second from its 100 kbps floor.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for n := uint32(0); ; n++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			_ = alice.SendCustomVideoData(rtc.StreamBig, &rtc.VideoFrame{Format: rtc.VideoFormatVP8, Data: vp8Frame('B', n, true, 250), Keyframe: true})
			f := vp8Frame('S', n, true, 60)
			f[6], f[7], f[8], f[9] = 0x40, 0x01, 0xb4, 0x00 // 320x180
			_ = alice.SendCustomVideoData(rtc.StreamSmall, &rtc.VideoFrame{Format: rtc.VideoFormatVP8, Data: f, Keyframe: true})
		}
	}()
	defer wg.Wait()
	defer close(stop)

	frames := func() [][]byte {
		s.mu.Lock()
		defer s.mu.Unlock()
		var out [][]byte
		for _, f := range s.video["alice"] {
			out = append(out, f.Data)
		}
		return out
	}
	last := func() byte {
		v := frames()
		if len(v) == 0 {
			return 0
		}
		return phaseOf(v[len(v)-1], true)
	}
	// On a busy machine even the relay-free part of the path drops packets
	// (socket overflow) and the estimate dips; it climbs 8 % a second back.
	waitFor(t, 30*time.Second, "big frames on a clean path", func() bool { return last() == 'B' })

	relay.SetDownLoss(0.8)
	waitFor(t, 20*time.Second, "a move to small under loss", func() bool { return last() == 'S' })
	relay.SetDownLoss(0)
	waitFor(t, 40*time.Second, "a move back to big once the loss stops", func() bool { return last() == 'B' })

	// One continuous track: big and small never interleave.
	v := frames()
	switches := 0
	for i := 1; i < len(v); i++ {
		if phaseOf(v[i], true) != phaseOf(v[i-1], true) {
			switches++
		}
	}
	if switches > 8 {
		t.Fatalf("%d layer changes in %d frames: layers interleaved", switches, len(v))
	}
}
