package egress

import (
	"regexp"
	"strings"
	"testing"
)

func TestIsLiveSegment(t *testing.T) {
	for name, want := range map[string]bool{
		"v1795451511572_00000.ts": true,
		"a1_123456789.ts":         true,
		"1795451511572_00000.ts":  false, // no rendition letter
		"x1_00000.ts":             false,
		"v1_0000.ts":              false, // too few digits
		"v1_00000.m4s":            false,
		"v_00000.ts":              false,
		"v1_00000.ts/..":          false,
		"v1_0000a.ts":             false,
		"main.m3u8":               false,
		"v1_00000.ts.tmp":         false,
		"":                        false,
	} {
		if got := IsLiveSegment(name); got != want {
			t.Errorf("IsLiveSegment(%q) = %v, want %v", name, got, want)
		}
	}
}

var liveSegmentRE = regexp.MustCompile(`^[va][0-9]{1,20}_[0-9]{5,9}\.ts$`)

// FuzzIsLiveSegment: a name accepted as a segment is exactly the form the
// live streams write, so the HTTP edge never serves anything else of the
// directory (no separators, no dots but the extension's).
func FuzzIsLiveSegment(f *testing.F) {
	for _, s := range []string{"v1795451511572_00000.ts", "a1_00001.ts", "../v1_00000.ts", "v1_00000.ts\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		ok := IsLiveSegment(name)
		if ok != liveSegmentRE.MatchString(name) {
			t.Fatalf("IsLiveSegment(%q) = %v, the pattern says otherwise", name, ok)
		}
		if ok && (strings.ContainsAny(name, "/\\\x00") || strings.Count(name, ".") != 1) {
			t.Fatalf("IsLiveSegment(%q) accepts a path", name)
		}
	})
}

// TestLiveMaster: the master playlist names the audio group only with
// audio.
func TestLiveMaster(t *testing.T) {
	with, without := string(liveMaster(true)), string(liveMaster(false))
	if !strings.Contains(with, `#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="main",DEFAULT=YES,AUTOSELECT=YES,URI="audio.m3u8"`) ||
		!strings.Contains(with, `AUDIO="audio"`) || !strings.HasSuffix(with, "\nvideo.m3u8\n") {
		t.Fatalf("master with audio:\n%s", with)
	}
	if strings.Contains(without, "AUDIO") || !strings.HasSuffix(without, "BANDWIDTH=3000000\nvideo.m3u8\n") {
		t.Fatalf("master without audio:\n%s", without)
	}
}
