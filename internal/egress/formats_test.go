package egress

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp/codecs"

	"github.com/rtcengine/rtcengine/examples/mediafile"
	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// h264Clip encodes n frames of a test pattern at 25 fps, a keyframe every
// 25, and returns the Annex B file and its access units.
func h264Clip(t *testing.T, n int) (string, []mediafile.AccessUnit) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "clip.h264")
	out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi",
		"-i", "testsrc2=size=160x120:rate=25", "-frames:v", itoa(n), "-g", "25",
		"-c:v", "libx264", "-pix_fmt", "yuv420p", "-profile:v", "baseline", "-bf", "0", "-y", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, out)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var aus []mediafile.AccessUnit
	r := mediafile.NewAccessUnitReader(f)
	for {
		au, err := r.Next()
		if err != nil {
			break
		}
		aus = append(aus, au)
	}
	if len(aus) != n {
		t.Fatalf("clip has %d access units, want %d", len(aus), n)
	}
	return path, aus
}

func itoa(n int) string {
	var b []byte
	for n > 0 || len(b) == 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

// pushH264 packetizes access units (RFC 6184) into the tap, 40 ms apart
// in RTP time, paced so the recorder's queue never overflows.
func (f *fakeSource) pushH264(t *testing.T, aus []mediafile.AccessUnit) {
	var p codecs.H264Payloader
	for i, au := range aus {
		payloads := p.Payload(1200, au.Data)
		for j, pl := range payloads {
			f.push(t, uint32(90000+i*3600), j == len(payloads)-1, pl)
		}
		if i%10 == 9 {
			time.Sleep(5 * time.Millisecond)
		}
	}
}

func md5s(t *testing.T, path string) []string {
	t.Helper()
	out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-i", path, "-map", "0:v", "-f", "framemd5", "-").Output()
	if err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	var sums []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if line := sc.Text(); line != "" && !strings.HasPrefix(line, "#") {
			f := strings.Split(line, ",")
			sums = append(sums, strings.TrimSpace(f[len(f)-1]))
		}
	}
	return sums
}

// TestH264HLSAndSplitFiles records 3 s of H.264 as hls+mp4 with a 1 s
// MaxMediaFileDuration: the MP4 pieces are split at keyframes (three of
// about 1 s), the HLS playlist holds the whole recording, and both decode
// to every frame of the clip.
func TestH264HLSAndSplitFiles(t *testing.T) {
	t.Parallel()
	clipPath, aus := h264Clip(t, 75)
	s, _ := newTestService(t, Config{})
	task := start(t, s, TaskParams{Output: OutputHLSFiles, MaxFileDuration: time.Second})
	src := &fakeSource{id: "alice/video", mime: "video/h264"}
	task.trackChanged(trackInfo{user: trtc.UserID("alice"), stream: room.StreamVideo, track: src, available: true}, false)
	src.pushH264(t, aus)
	info := finish(t, s, task)

	want := md5s(t, clipPath)
	var pieces []string
	var playlist string
	for _, f := range info.Files {
		switch filepath.Ext(f.FileName) {
		case ".mp4":
			pieces = append(pieces, filepath.Join(info.Dir, f.FileName))
		case ".m3u8":
			playlist = filepath.Join(info.Dir, f.FileName)
		}
	}
	if len(pieces) != 3 || playlist == "" {
		t.Fatalf("files %+v: want 3 MP4 pieces and a playlist", info.Files)
	}
	var got []string
	for _, p := range pieces {
		codec, _, dur := ffprobeStream(t, p)
		if codec != "h264" || dur < 0.9 || dur > 1.1 {
			t.Fatalf("%s: %s, %.3f s; want h264, 1 s", filepath.Base(p), codec, dur)
		}
		got = append(got, md5s(t, p)...)
	}
	codec, _, dur := ffprobeStream(t, playlist)
	if codec != "h264" || dur < 2.9 || dur > 3.1 {
		t.Fatalf("playlist: %s, %.3f s; want h264, 3 s", codec, dur)
	}
	for name, sums := range map[string][]string{"the MP4 pieces": got, "the playlist": md5s(t, playlist)} {
		if strings.Join(sums, ",") != strings.Join(want, ",") {
			t.Fatalf("%s decode to %d frames that differ from the clip's %d", name, len(sums), len(want))
		}
	}
}

// TestOutputPlan: which outputs each OutputFormat makes per codec.
func TestOutputPlan(t *testing.T) {
	for _, tc := range []struct {
		format      int
		codec       string
		hls, files  bool
		description string
	}{
		{FormatHLS, "h264", true, false, "hls: H.264 as HLS only"},
		{FormatHLS, "opus", true, false, "hls: Opus as HLS only"},
		{FormatHLS, "vp8", false, true, "hls: VP8 has no HLS container, WebM"},
		{FormatHLSMP4, "h264", true, true, "hls+mp4: both"},
		{FormatHLSAAC, "opus", true, true, "hls+aac: HLS and AAC files"},
		{FormatHLSAAC, "h264", true, false, "hls+aac: H.264 as HLS only"},
		{FormatHLSAAC, "vp8", false, true, "hls+aac: VP8 as WebM"},
		{FormatMP4, "h264", false, true, "mp4: files"},
		{FormatAAC, "opus", false, true, "aac: AAC files"},
		{FormatAAC, "h264", false, false, "aac: no video"},
		{99, "h264", false, true, "unknown: files"},
	} {
		hls, files := outputPlan(OutputOf(tc.format), tc.codec)
		if hls != tc.hls || files != tc.files {
			t.Errorf("%s: hls %v files %v", tc.description, hls, files)
		}
	}
}

// TestCompletion: ffmpeg's "Opening" lines become completed files in
// order, the playlist after the segment it lists and last at exit.
func TestCompletion(t *testing.T) {
	var done []string
	c := &completion{done: func(p string) { done = append(done, p) }}
	for _, p := range []string{"a_000.mp4", "a_hls_00000.ts", "a_hls.m3u8.tmp", "a_001.mp4", "a_hls_00001.ts", "a_hls.m3u8.tmp"} {
		c.opened(p)
	}
	c.exited()
	want := "a_hls.m3u8,a_000.mp4,a_hls_00000.ts,a_001.mp4,a_hls_00001.ts,a_hls.m3u8"
	if got := strings.Join(done, ","); got != want {
		t.Fatalf("completed %s\nwant      %s", got, want)
	}
}
