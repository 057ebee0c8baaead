package browser

import (
	"strings"
	"testing"
)

// TestAnchorsTakeTurns: anchors come and go in front of one viewer (a voice
// chat room's seats changing hands). Chromium and the Web SDK take each new
// anchor on the m-lines the previous one left — the server reuses the
// subscriber transceivers once the page has answered their removal — and
// decode it; the page's subscriber connection keeps one audio and one video
// m-line however many anchors have passed.
func TestAnchorsTakeTurns(t *testing.T) {
	s := newServer(t)
	video, audio := makeClips(t)
	web := openSDKPage(t, s, "web", "")
	web.MustEnter("web", 4602, "rtc", "anchor")

	anchors := []string{"seat1", "seat2", "seat3"}
	for _, user := range anchors {
		cloud := enterGo(t, s, user, 4602, newGoListener())
		stop := startClips(cloud, video, audio)
		web.Seen("remote-video-available", map[string]any{"userId": user, "streamType": "main"})
		frames := web.FramesGrow(user, "video", 10)
		web.AudioGrows(user)
		stop()
		cloud.ExitRoom()
		cloud.Close()
		web.Seen("remote-video-unavailable", map[string]any{"userId": user, "streamType": "main"})
		// The page has answered the offer without this anchor's tracks.
		web.Until(user+"'s tracks gone from the subscriber connection", `(u) => {
			const pc = rt.t.sub.pc;
			return pc && pc.signalingState === 'stable' && !pc.remoteDescription.sdp.includes(' ' + u + '/');
		}`, user)
		t.Logf("%s: %d frames decoded", user, frames)
	}
	var sdp string
	web.Eval(`() => rt.t.sub.pc.remoteDescription.sdp`, nil, &sdp)
	if a, v := strings.Count(sdp, "m=audio"), strings.Count(sdp, "m=video"); a != 1 || v != 1 {
		t.Fatalf("after %d anchors the page's subscriber connection has %d audio and %d video m-lines, want 1 and 1", len(anchors), a, v)
	}
}
