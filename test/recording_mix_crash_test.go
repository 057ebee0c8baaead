package test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/rtc"
	"github.com/rtcengine/rtcengine/usersig"
)

// TestRecordingMixedSurvivesSIGKILL runs the real binary, SIGKILLs it while
// a mixed recording (hls+mp4) of a red publisher runs, and checks what the
// orphaned encoder leaves: a playable MP4 and an ended HLS playlist, both
// red and about as long as the recording, the playlist listing only
// segments that exist. The restarted server reports the task ended
// (RECORDER_STOP LeaveCode 100) and describes it Exited with both files.
func TestRecordingMixedSurvivesSIGKILL(t *testing.T) {
	rcv := newHookReceiver(t, nil)
	bin := buildServer(t)
	dir := t.TempDir()
	cfgFile := childConfig(t, dir, rcv.URL(), "")
	srv := startChild(t, bin, cfgFile)
	const room = 7714
	red := &mixPublisher{c: joinAt(t, srv.addr, "red", room), key: solidVP8(t, "red"), tone: sineOpus(t, 440)}
	red.c.EnableCustomVideoCapture(rtc.StreamBig, true)
	red.c.EnableCustomAudioCapture(true)
	sig, err := usersig.GenUserSig(appID, appSecret, "mixer_9", 3600)
	if err != nil {
		t.Fatal(err)
	}
	resp, code := callRespAt(t, srv.addr, "CreateCloudRecording", map[string]any{
		"SdkAppId": appID, "RoomId": strconv.Itoa(room), "UserId": "mixer_9", "UserSig": sig,
		"RecordParams": map[string]any{"RecordMode": 2, "OutputFormat": 1},
		"MixTranscodeParams": map[string]any{
			"VideoParams": map[string]any{"Width": 320, "Height": 240, "Fps": 15, "BitRate": 300000, "Gop": 1}},
	})
	if code != "" {
		t.Fatalf("CreateCloudRecording: %s", code)
	}
	task, _ := resp["TaskId"].(string)
	slices2 := func(hs []hook) int {
		n := 0
		for _, h := range hs {
			if h.Type == 307 && h.Info["TaskId"] == task {
				n++
			}
		}
		return n
	}
	// The MP4 opens with the encoder; the playlist is first written with
	// the first 4 s segment.
	feedWhile(t, "FILE_SLICE of the MP4", []*mixPublisher{red}, func() bool { return slices2(rcv.got()) == 1 })
	began := time.Now()
	feedWhile(t, "FILE_SLICE of the playlist", []*mixPublisher{red}, func() bool { return slices2(rcv.got()) == 2 })
	feedFor(t, []*mixPublisher{red}, 2*time.Second)
	_ = srv.stop(syscall.SIGKILL)
	ran := time.Since(began).Seconds()

	// The orphaned encoder sees its inputs end and completes its files.
	taskDir := filepath.Join(dir, "data", "recordings", strconv.Itoa(appID), task)
	mp4s, _ := filepath.Glob(filepath.Join(taskDir, "mix_*_000.mp4"))
	lists, _ := filepath.Glob(filepath.Join(taskDir, "mix_*_hls.m3u8"))
	if len(mp4s) != 1 || len(lists) != 1 {
		t.Fatalf("files after SIGKILL: %v %v", mp4s, lists)
	}
	deadline := time.Now().Add(waitTimeout)
	for {
		pl, _ := os.ReadFile(lists[0])
		if strings.Contains(string(pl), "#EXT-X-ENDLIST") {
			for _, line := range strings.Split(string(pl), "\n") {
				if line != "" && !strings.HasPrefix(line, "#") {
					if _, err := os.Stat(filepath.Join(taskDir, line)); err != nil {
						t.Fatalf("the playlist lists %s: %v", line, err)
					}
				}
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the playlist was not ended after the SIGKILL:\n%s", pl)
		}
		time.Sleep(100 * time.Millisecond) // an orphaned process: no event to wait on
	}
	for _, f := range []string{mp4s[0], lists[0]} {
		out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", f).Output()
		d, _ := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
		if err != nil || d < ran-1 || d > ran+1.5 {
			t.Fatalf("%s: %.2f s (%v); the mix ran about %.2f s before the kill", filepath.Base(f), d, err, ran)
		}
		if c := colorsAt(t, f, d/2, 320, 240, [2]int{160, 120}); !near(c[0], [3]int{255, 0, 0}) {
			t.Fatalf("%s at %.1f s: %v, want red", filepath.Base(f), d/2, c[0])
		}
	}

	srv2 := startChild(t, bin, cfgFile)
	rcv.waitFor("RECORDER_STOP of the interrupted task", func(hs []hook) bool {
		return slices.ContainsFunc(hs, func(h hook) bool {
			return h.Type == 302 && h.Info["TaskId"] == task && fmt.Sprint(h.Info["Payload"].(map[string]any)["LeaveCode"]) == "100"
		})
	})
	d, code := callRespAt(t, srv2.addr, "DescribeCloudRecording", map[string]any{"SdkAppId": appID, "TaskId": task})
	if code != "" || d["Status"] != "Exited" || len(d["StorageFileList"].([]any)) != 2 {
		t.Fatalf("Describe after the restart: %q %v", code, d)
	}
	if err := srv2.stop(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
}
