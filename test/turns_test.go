package test

import (
	"fmt"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/rtc"
)

// TestAnchorsTakeTurns: anchors come and go in front of a Go SDK viewer
// (seats of a voice chat room changing hands): each new anchor arrives on
// the subscriber transceivers the previous one left (internal/sfu reuses
// them) and every one of them is seen and heard at once.
func TestAnchorsTakeTurns(t *testing.T) {
	e := NewEnv(t)
	const room = 7021
	viewer := e.NewClient("viewer", e.Srv.SignalURL())
	s := newSink()
	const turns = 5
	for i := range turns {
		viewer.SetRemoteVideoRenderCallback(fmt.Sprintf("seat%d", i), rtc.VideoFormatVP8, s)
	}
	viewer.SetAudioFrameObserver(rtc.AudioFormatOpus, s)
	viewer.EnterRoom(e.Params("viewer", room, rtc.RoleAnchor), rtc.SceneVideoCall)
	if r := viewer.WaitEnter(); r <= 0 {
		t.Fatalf("viewer: OnEnterRoom(%d)", r)
	}
	for i := range turns {
		user := fmt.Sprintf("seat%d", i)
		anchor := e.Join(user, room, rtc.SceneVideoCall, rtc.RoleAnchor)
		anchor.EnableCustomVideoCapture(rtc.StreamBig, true)
		anchor.EnableCustomAudioCapture(true)
		stop := make(chan struct{})
		wg := pump(anchor, stop, false)
		start := time.Now()
		for deadline := time.Now().Add(waitTimeout); ; time.Sleep(5 * time.Millisecond) {
			v, a := s.counts(user)
			if v >= 10 && a >= 10 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d video and %d audio frames at the viewer after %v; viewer saw %v", user, v, a, waitTimeout, viewer.rec.All())
			}
		}
		t.Logf("%s: 10 video and audio frames after %v", user, time.Since(start).Round(time.Millisecond))
		close(stop)
		wg.Wait()
		anchor.ExitRoom()
		viewer.waitSeen("OnRemoteUserLeaveRoom", user, 0)
	}
	// The viewer's subscriber connection kept one audio and one video
	// m-line (the anchors received nothing).
	if n := metricValue(t, get(t, e.Srv.URL()+"/metrics"), "rtcengine_media_subscriber_transceivers"); n != 2 {
		t.Fatalf("%v subscriber transceivers after %d anchors, want 2", n, turns)
	}
}
