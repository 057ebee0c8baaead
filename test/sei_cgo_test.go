//go:build cgo && rtccodecs

package test

import (
	"strconv"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/rtc"
)

// TestSEIWithRawVideo: on the raw path (I420 encoded to VP8 by the SDK,
// decoded back to I420 for the renderer) each picture comes right after the
// SEI message sent with it. Pictures are flat, one of eight grey levels, so
// the decoded picture tells which frame it is.
func TestSEIWithRawVideo(t *testing.T) {
	e := NewEnv(t)
	const w, h = 160, 96
	alice := e.Join("alice", 8120, rtc.SceneVideoCall, 0)
	bob := e.Join("bob", 8120, rtc.SceneVideoCall, 0)
	r := &seiFrames{rec: bob.rec, count: func(f []byte) int {
		sum := 0
		for _, y := range f[:w*h] {
			sum += int(y)
		}
		return sum / (w * h) // mean luma
	}}
	bob.SetRemoteVideoRenderCallback("alice", rtc.VideoFormatI420, r)
	alice.EnableCustomVideoCapture(rtc.StreamBig, true)
	bob.Wait("OnUserVideoAvailable", "alice", true)

	level := func(n int) int { return 16 + (n%8)*28 }
	tick := time.NewTicker(40 * time.Millisecond) // 25 SEI a second: within the budget
	defer tick.Stop()
	for n := 0; n < 75; n++ {
		<-tick.C
		if !alice.SendSEIMsg([]byte(strconv.Itoa(n)), 1) {
			t.Fatalf("SEI %d refused", n)
		}
		pic := make([]byte, w*h*3/2)
		for i := range pic {
			pic[i] = 128
		}
		for i := range w * h {
			pic[i] = byte(level(n))
		}
		if err := alice.SendCustomVideoData(rtc.StreamBig, &rtc.VideoFrame{Format: rtc.VideoFormatI420, Data: pic, Width: w, Height: h}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, waitTimeout, "pictures", func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return len(r.frames) >= 40
	})
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, f := range r.frames {
		if len(f.sei) == 0 {
			t.Fatalf("picture %d came without SEI", i)
		}
		n, _ := strconv.Atoi(f.sei[len(f.sei)-1])
		if d := f.n - level(n); d < -10 || d > 10 {
			t.Fatalf("picture %d (mean luma %d) came after SEI %q, whose picture has luma %d", i, f.n, f.sei, level(n))
		}
	}
	t.Logf("%d pictures, each after its SEI", len(r.frames))
}
