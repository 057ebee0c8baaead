package egress

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// TestAACOutput records 3 s of an Opus tone with OutputFormat aac and
// hls+aac: the audio files are AAC (ffprobe), last 3 s (±0.5 s, counted
// in decoded AAC frames of 1024 samples) and hold the tone; with aac the
// published video is not recorded, with hls+aac the audio is also HLS.
func TestAACOutput(t *testing.T) {
	t.Parallel()
	tone := opusTone(t, 440, 3*time.Second)
	for _, tc := range []struct {
		name     string
		output   Output
		playlist bool
	}{
		{"aac", OutputAAC, false},
		{"hls+aac", OutputHLSAAC, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, ev := newTestService(t, Config{})
			task := start(t, s, TaskParams{Output: tc.output})
			src, ti := audioSource("alice")
			task.trackChanged(ti, false)
			video := &fakeSource{id: "alice/video", mime: "video/VP8"}
			task.trackChanged(trackInfo{user: trtc.UserID("alice"), stream: room.StreamVideo, track: video, available: true}, false)
			for i, pkt := range tone {
				src.push(t, uint32(1000+i*960), false, pkt)
				if i%50 == 49 {
					time.Sleep(5 * time.Millisecond)
				}
			}
			ev.waitEvent(t, EventFileSlice)
			video.mu.Lock()
			tapped := video.tap != nil
			video.mu.Unlock()
			if tapped != tc.playlist {
				t.Fatalf("video tapped %v: want it only with hls+aac", tapped)
			}
			info := finish(t, s, task)

			var aac, playlist []string
			for _, f := range info.Files {
				switch {
				case strings.HasSuffix(f.FileName, ".aac") && f.TrackType == "audio":
					aac = append(aac, filepath.Join(info.Dir, f.FileName))
				case strings.HasSuffix(f.FileName, ".m3u8"):
					playlist = append(playlist, filepath.Join(info.Dir, f.FileName))
				default:
					t.Fatalf("unexpected file %+v", f)
				}
			}
			if len(aac) != 1 || (len(playlist) == 1) != tc.playlist || len(playlist) > 1 {
				t.Fatalf("files %+v", info.Files)
			}
			codec, packets, _ := ffprobeStream(t, aac[0])
			dur := float64(packets) * 1024 / 48000
			if codec != "aac" || dur < 2.5 || dur > 3.5 {
				t.Fatalf("%s: %s, %d packets (%.3f s); want aac, 3 s", filepath.Base(aac[0]), codec, packets, dur)
			}
			if p := tonePower(t, aac[0], 0.5, 2, 440, 1000); p[0] < 0.5 || p[1] > 0.02 {
				t.Fatalf("tone power %v: want the 440 Hz tone only", p)
			}
			if tc.playlist {
				if codec, _, dur := ffprobeStream(t, playlist[0]); codec != "opus" || dur < 2.5 || dur > 3.5 {
					t.Fatalf("playlist: %s, %.3f s", codec, dur)
				}
			}
		})
	}
}
