package browser

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"
)

// firstFrameRuns is how many times BenchmarkFirstFrame enters the room.
const firstFrameRuns = 20

// BenchmarkFirstFrame measures, in Chromium, the time from calling
// enterRoom() to the first decoded frame of a remote camera that is already
// publishing: WebSocket, enter, the subscriber's offer/answer, ICE, DTLS,
// the first keyframe, decoding. The page starts the remote video when
// REMOTE_VIDEO_AVAILABLE arrives (as a v5 application does) and stops at
// FIRST_VIDEO_FRAME (the first frame handed to the <video> element, whose
// decoder's framesDecoded is checked to be > 0). Each of 20 runs uses a
// fresh TRTC instance and userId. Runs start one second apart: viewers
// arriving back to back would find the SFU's keyframe-request limit (one
// PLI per 500 ms per layer, internal/sfu) still closed from the previous
// viewer and wait for its deferred request, which measures the benchmark's
// own arrival rate rather than a viewer joining. Run with:
//
//	go test -run '^$' -bench FirstFrame -benchtime 1x ./test/browser/
func BenchmarkFirstFrame(b *testing.B) {
	s := newServer(b)
	pub := openSDKPage(b, s, "publisher", "")
	pub.MustEnter("publisher", 5101, "rtc", "anchor")
	pub.Publish()
	// A second page confirms the publisher's media is flowing before timing.
	warm := openSDKPage(b, s, "warm", "")
	warm.MustEnter("warm", 5101, "rtc", "anchor")
	warm.FramesGrow("publisher", "video", 10)
	warm.Eval(`() => rt.t.exitRoom()`, nil)

	viewer := openPage(b, "viewer", s.URL+"/status")
	viewer.installHelpers()
	type run struct {
		Enter      float64 `json:"enter"`
		FirstFrame float64 `json:"firstFrame"`
		Decoded    int     `json:"decoded"`
		Error      string  `json:"error"`
	}
	pace := time.NewTicker(time.Second) // arrival rate, not a wait for anything
	defer pace.Stop()
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		var enter, first []float64
		for i := 0; i < firstFrameRuns; i++ {
			<-pace.C
			user := fmt.Sprintf("viewer%d_%d", n, i)
			var r run
			raw, err := viewer.TryEval(`async ({ sdkAppId, userId, userSig, roomId }) => {
				const t = rt.TRTC.create();
				let firstAt = 0;
				const gotFrame = new Promise((resolve) => t.on('first-video-frame', () => { firstAt = performance.now(); resolve(); }));
				t.on('remote-video-available', ({ userId, streamType }) =>
					t.startRemoteVideo({ userId, streamType, view: rt.view('bench') }).catch(() => {}));
				const t0 = performance.now();
				try {
					await t.enterRoom({ sdkAppId, userId, userSig, roomId, scene: 'rtc' });
					const entered = performance.now() - t0;
					await Promise.race([gotFrame, new Promise((_, reject) => setTimeout(() => reject(new Error('no frame in 10 s')), 10000))]);
					const decoded = (await t.getRemoteStreamStats('publisher')).video?.framesDecoded ?? 0;
					return { enter: entered, firstFrame: firstAt - t0, decoded };
				} catch (e) {
					return { error: String(e.message ?? e) };
				} finally {
					await t.exitRoom();
					await t.destroy();
				}
			}`, map[string]any{"sdkAppId": appID, "userId": user, "userSig": mustSig(b, user), "roomId": 5101})
			if err != nil {
				b.Fatalf("run %d: %v", i, err)
			}
			if err := json.Unmarshal(raw, &r); err != nil {
				b.Fatal(err)
			}
			if r.Error != "" || r.Decoded == 0 {
				b.Fatalf("run %d: %+v", i, r)
			}
			enter = append(enter, r.Enter)
			first = append(first, r.FirstFrame)
		}
		slices.Sort(enter)
		slices.Sort(first)
		b.ReportMetric(percentile(first, 50), "ms-first-frame-p50")
		b.ReportMetric(percentile(first, 95), "ms-first-frame-p95")
		b.ReportMetric(percentile(enter, 50), "ms-enter-p50")
		b.Logf("enterRoom → first decoded frame over %d runs: p50 %.0f ms, p95 %.0f ms, min %.0f ms, max %.0f ms; enterRoom resolved p50 %.0f ms (%s)",
			len(first), percentile(first, 50), percentile(first, 95), first[0], first[len(first)-1], percentile(enter, 50), time.Now().Format(time.DateOnly))
	}
}

// percentile of sorted values (nearest rank).
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p/100+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}
