package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/rtc"
)

// TestCdnPassThroughH264: a pass-through relay (WithTranscoding 0) of a
// user publishing H.264 copies the video (docs/cdn.md, "Pass-through"):
// the sink receives the profile and size that were sent — not the task's
// VideoEncode — and, the proof that nothing was re-encoded, decoding it
// yields exactly the frames of the clip, in order. The audio is AAC. The
// CPU the task's ffmpeg processes used is logged.
func TestCdnPassThroughH264(t *testing.T) {
	e := NewEnv(t)
	const room = 7833
	clipPath, clip := makeClip(t, rtc.VideoFormatH264, 75)
	alice := e.Join("alice", room, rtc.SceneVideoCall, rtc.RoleAnchor)
	alice.EnableCustomVideoCapture(rtc.StreamBig, true)
	alice.EnableCustomAudioCapture(true)
	tone := sineOpus(t, 440)
	sink := startRTMPSink(t, "copy")
	task, code := cdnStart(e, map[string]any{
		"SdkAppId": appID, "RoomId": strconv.Itoa(room),
		"AgentParams":           map[string]any{"UserId": "cdn_copy", "UserSig": e.Sig("cdn_copy")},
		"WithTranscoding":       0,
		"SingleSubscribeParams": map[string]any{"UserMediaStream": map[string]any{"UserInfo": map[string]any{"UserId": "alice"}}},
		"AudioParams":           audioEncode(),
		"VideoParams":           map[string]any{"VideoEncode": videoEncode(640, 360)},
		"PublishCdnParams":      []map[string]any{{"PublishCdnUrl": sink.url}},
	})
	if code != "" {
		t.Fatalf("StartPublishCdnStream: %s", code)
	}
	ts, n := uint64(1000), 0
	send := func(f clipFrame) {
		if err := alice.SendCustomVideoData(rtc.StreamBig, &rtc.VideoFrame{Format: rtc.VideoFormatH264, Data: f.data, Keyframe: f.key, Timestamp: ts}); err != nil {
			t.Fatal(err)
		}
		for i := uint64(0); i < 2; i++ {
			if err := alice.SendCustomAudioData(&rtc.AudioFrame{Format: rtc.AudioFormatOpus, Data: tone[n%len(tone)],
				SampleRate: 48000, Channels: 1, Timestamp: ts + 20*i}); err != nil {
				t.Fatal(err)
			}
			n++
		}
		ts += 40
	}
	// Warm up with the clip's first keyframe until the sink receives,
	// then send the clip once, paced in real time.
	deadline := time.Now().Add(waitTimeout)
	for i := 0; cdnTargets(e, task)[sink.url]["State"] != 2.0; i++ {
		if time.Now().After(deadline) {
			t.Fatalf("no push within %v", waitTimeout)
		}
		send(clip[0])
		time.Sleep(40 * time.Millisecond)
	}
	cpu0 := ffmpegCPU(t)
	start := time.Now()
	for i, f := range clip {
		send(f)
		time.Sleep(time.Until(start.Add(time.Duration(i+1) * 40 * time.Millisecond)))
	}
	for i := 0; i < 10; i++ { // the last frames through the SFU and the encoder
		send(clip[0])
		time.Sleep(40 * time.Millisecond)
	}
	wall := time.Since(start)
	cpu1 := ffmpegCPU(t)
	var total time.Duration
	for pid, c := range cpu1 {
		d := c.cpu - cpu0[pid].cpu
		total += d
		t.Logf("ffmpeg %d (%s): %v CPU over %v", pid, c.role, d.Round(time.Millisecond), wall.Round(time.Millisecond))
	}
	t.Logf("pass-through H.264 relay: ffmpeg CPU %.1f%% of one core", 100*total.Seconds()/wall.Seconds())
	if _, code := e.callResp("StopPublishCdnStream", map[string]any{"SdkAppId": appID, "TaskId": task}); code != "" {
		t.Fatalf("StopPublishCdnStream: %s", code)
	}
	sink.wait(t)

	if streams := sinkStreams(t, sink.path); len(streams) != 2 || !strings.HasPrefix(streams[0], "h264,video,320,240") || !strings.HasPrefix(streams[1], "aac,audio") {
		t.Fatalf("the sink's streams %q; want the clip's H.264 320x240 and AAC", streams)
	}
	if got, want := h264Profile(t, sink.path), h264Profile(t, clipPath); got != want {
		t.Fatalf("the sink's H.264 profile %q, the clip's %q", got, want)
	}
	// Every frame of the clip decodes from the sink, bit-exact and in
	// order (a re-encode would change every one).
	want, got := frameMD5s(t, clipPath), frameMD5s(t, sink.path)
	i := 0
	for _, s := range got {
		if i < len(want) && s == want[i] {
			i++
		}
	}
	if i != len(want) {
		t.Fatalf("the sink holds the clip's frames up to %d of %d (%d frames decoded)", i, len(want), len(got))
	}
}

// h264Profile is ffprobe's profile of a file's video.
func h264Profile(t *testing.T, path string) string {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=profile",
		"-of", "csv=p=0", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	return strings.TrimSpace(string(out))
}

// ffmpegUse is one ffmpeg child's CPU time so far.
type ffmpegUse struct {
	role string
	cpu  time.Duration
}

// ffmpegCPU reads the CPU time of this process's ffmpeg children (the
// relay's; not the RTMP sink, which listens) from /proc.
func ffmpegCPU(t *testing.T) map[int]ffmpegUse {
	t.Helper()
	out := map[int]ffmpegUse{}
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	self := strconv.Itoa(os.Getpid())
	for _, d := range dirs {
		stat, err := os.ReadFile(filepath.Join(d, "stat"))
		if err != nil {
			continue
		}
		s := string(stat)
		i := strings.LastIndexByte(s, ')')
		if i < 0 || !strings.Contains(s[:i], "(ffmpeg") {
			continue
		}
		f := strings.Fields(s[i+2:]) // state, ppid, …; utime and stime are fields 14 and 15 of stat
		if len(f) < 13 || f[1] != self {
			continue
		}
		cmd, _ := os.ReadFile(filepath.Join(d, "cmdline"))
		args := strings.ReplaceAll(string(cmd), "\x00", " ")
		if strings.Contains(args, "-listen 1") {
			continue
		}
		role := "other"
		switch {
		case strings.Contains(args, "-f flv"):
			role = "pusher"
		case strings.Contains(args, "-c:v copy"):
			role = "encoder, video copied"
		case strings.Contains(args, "libx264"):
			role = "encoder, x264"
		case strings.Contains(args, "amix"):
			role = "audio mixer"
		case strings.Contains(args, "-f ogg") || strings.Contains(args, "opus"):
			role = "audio decoder"
		}
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		pid, _ := strconv.Atoi(filepath.Base(d))
		out[pid] = ffmpegUse{role: role, cpu: time.Duration(ut+st) * 10 * time.Millisecond} // USER_HZ 100
	}
	return out
}
