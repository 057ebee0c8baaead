//go:build livebench

package test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/rtc"
)

// TestLiveHLSLatency measures the built-in live HLS (docs/benchmarks.md):
// alice publishes a 10 s H.264 clip in a loop (a keyframe a second); the
// benchmark polls the live playlist every 20 ms as a player would, and for
// each newly listed segment decodes it and finds its first and last frames
// in the clip: the time from that frame's send to the segment being listed
// is the latency. A measurement, not part of the suite (build tag
// livebench):
//
//	go test -tags livebench -run LiveHLSLatency -v ./test/
func TestLiveHLSLatency(b *testing.T) {
	e := NewEnv(b)
	const room = 7731
	clipPath, clip := makeClip(b, rtc.VideoFormatH264, 250)
	index := map[string]int{}
	for i, s := range frameMD5s(b, clipPath) {
		index[s] = i
	}
	alice := e.Join("alice", room, rtc.SceneLive, rtc.RoleAnchor)
	bob := e.Join("bob", room, rtc.SceneLive, rtc.RoleAudience)
	sent := publishLoop(b, alice, rtc.VideoFormatH264, clip, false)
	bob.waitSeen("OnFirstVideoFrame", "alice")
	url := fmt.Sprintf("http://%s/live/%d/%d/alice/", e.Srv.Addr(), appID, room)

	if resp, body := httpGet(b, url+"main.m3u8"); resp.StatusCode != 200 {
		b.Fatalf("master playlist: %d %s", resp.StatusCode, body)
	}
	seen := map[string]bool{}
	var first, last []time.Duration
	deadline := time.Now().Add(20 * time.Second)
	for len(last) < 10 && time.Now().Before(deadline) {
		resp, body := httpGet(b, url+"video.m3u8")
		now := time.Now()
		if resp.StatusCode != 200 {
			b.Fatalf("playlist: %d %s", resp.StatusCode, body)
		}
		for _, line := range strings.Split(string(body), "\n") {
			if !strings.HasSuffix(line, ".ts") || seen[line] {
				continue
			}
			seen[line] = true
			if len(seen) <= 1 {
				continue // listed before we polled: its listing time is unknown
			}
			_, seg := httpGet(b, url+line)
			path := filepath.Join(b.TempDir(), line)
			if err := os.WriteFile(path, seg, 0o644); err != nil {
				b.Fatal(err)
			}
			sums := frameMD5s(b, path)
			if len(sums) == 0 {
				continue
			}
			for _, x := range []struct {
				sum string
				out *[]time.Duration
			}{{sums[0], &first}, {sums[len(sums)-1], &last}} {
				i, ok := index[x.sum]
				if !ok {
					b.Fatalf("segment %s: a frame not in the clip", line)
				}
				// The newest send of clip frame i before now.
				for n := len(clip) * 4; n >= 0; n-- {
					if at, ok := sent.get(n*len(clip) + i); ok && at.Before(now) {
						*x.out = append(*x.out, now.Sub(at))
						break
					}
				}
			}
		}
		time.Sleep(20 * time.Millisecond) // a player's polling, not a wait for an event
	}
	if len(last) < 3 {
		b.Fatalf("only %d segments measured", len(last))
	}
	med := func(d []time.Duration) float64 {
		s := slices.Clone(d)
		slices.Sort(s)
		return float64(s[len(s)/2].Milliseconds())
	}
	b.Logf("median: first frame %.0f ms, last frame %.0f ms", med(first), med(last))
	b.Logf("segments %d; first frame→listed %v; last frame→listed %v", len(last), first, last)
}
