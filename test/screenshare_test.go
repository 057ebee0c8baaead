package test

import (
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/rtc"
)

// TestScreenShareExclusive: only one user per room may publish the sub
// stream; the second gets OnError(-102016) and the others never see its sub
// stream; once the first stops, the second may share.
func TestScreenShareExclusive(t *testing.T) {
	e := NewEnv(t)
	watcher := e.Join("watcher", 7100, rtc.SceneVideoCall, 0)
	s := newSink()
	watcher.SetRemoteVideoRenderCallback("a", rtc.VideoFormatVP8, s)
	a := e.Join("a", 7100, rtc.SceneVideoCall, 0)
	b := e.Join("b", 7100, rtc.SceneVideoCall, 0)

	send := func(c *Client, n uint32) {
		_ = c.SendCustomVideoData(rtc.StreamSub, &rtc.VideoFrame{Format: rtc.VideoFormatVP8, Data: vp8Frame('U', n, true, 800), Keyframe: true})
	}
	a.EnableCustomVideoCapture(rtc.StreamSub, true)
	send(a, 0)
	watcher.Wait("OnUserSubStreamAvailable", "a", true)

	b.EnableCustomVideoCapture(rtc.StreamSub, true)
	send(b, 0)
	b.Wait("OnError", -102016)
	watcher.Never(300*time.Millisecond, "OnUserSubStreamAvailable", "b", true)

	// The first sharer's frames reach the watcher as the sub stream.
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for n := uint32(1); ; n++ {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			send(a, n)
		}
	}()
	watcher.waitSeen("OnFirstVideoFrame", "a", int(rtc.StreamSub))
	close(stop)
	<-done

	a.EnableCustomVideoCapture(rtc.StreamSub, false)
	watcher.Wait("OnUserSubStreamAvailable", "a", false)
	b.EnableCustomVideoCapture(rtc.StreamSub, false)
	b.EnableCustomVideoCapture(rtc.StreamSub, true)
	send(b, 1)
	watcher.Wait("OnUserSubStreamAvailable", "b", true)
}
