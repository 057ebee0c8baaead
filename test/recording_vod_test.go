package test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/internal/trtc"
	"github.com/rtcengine/rtcengine/rtc"
)

// TestRecordingVod records a user's voice with StorageParams.CloudVod
// (MediaType 2, AAC): VOD_COMMIT (311) names the file's FileId and a
// VideoUrl on the server, a real HTTP GET of it returns a file ffprobe
// reads as AAC of the recording's length (±0.5 s), VOD_STOP (312) follows,
// every event signed; another FileId is 404.
func TestRecordingVod(t *testing.T) {
	hooks := newHookReceiver(t, nil)
	e := NewEnv(t, withWebhook(hooks.URL(), nil))
	const room = 7713
	alice := &mixPublisher{c: e.Join("alice", room, rtc.SceneVideoCall, rtc.RoleAnchor), tone: sineOpus(t, 440), noVideo: true}
	alice.c.EnableCustomAudioCapture(true)
	resp, code := e.callResp("CreateCloudRecording", map[string]any{
		"SdkAppId": appID, "RoomId": strconv.Itoa(room), "UserId": "vod_rec", "UserSig": e.Sig("vod_rec"),
		"RecordParams":  map[string]any{"RecordMode": 1, "StreamType": 1, "MaxIdleTime": 30},
		"StorageParams": map[string]any{"CloudVod": map[string]any{"TencentVod": map[string]any{"MediaType": 2, "UserDefineRecordId": "rec_1"}}},
	})
	if code != "" {
		t.Fatalf("CreateCloudRecording: %s", code)
	}
	task, _ := resp["TaskId"].(string)
	feedWhile(t, "a file", []*mixPublisher{alice}, func() bool {
		info, err := e.Srv.Recorder().Describe(trtc.SDKAppID(appID), task)
		return err == nil && len(info.Files) > 0
	})
	feedFor(t, []*mixPublisher{alice}, 2*time.Second)
	stopped := time.Now()
	if _, code := e.callResp("DeleteCloudRecording", map[string]any{"SdkAppId": appID, "TaskId": task}); code != "" {
		t.Fatalf("DeleteCloudRecording: %s", code)
	}
	hs := hooks.waitFor("VOD_STOP", func(hs []hook) bool {
		for _, h := range hs {
			if h.Type == 312 && h.Info["TaskId"] == task {
				return true
			}
		}
		return false
	})
	var commits []map[string]any
	var types []int
	for _, h := range hs {
		if h.Info["TaskId"] != task {
			continue
		}
		types = append(types, h.Type)
		pl, _ := h.Info["Payload"].(map[string]any)
		switch h.Type {
		case 311:
			commits = append(commits, pl)
		case 312:
			if pl["Status"] != json.Number("0") {
				t.Fatalf("VOD_STOP %v", pl)
			}
		}
	}
	if len(commits) != 1 || commits[0]["Status"] != json.Number("0") {
		t.Fatalf("events %v, VOD_COMMIT %v; want one committed file", types, commits)
	}
	vod, _ := commits[0]["TencentVod"].(map[string]any)
	fileID, _ := vod["FileId"].(string)
	videoURL, _ := vod["VideoUrl"].(string)
	if vod["UserId"] != "alice" || vod["TrackType"] != "audio" || vod["MediaId"] != "main" || len(fileID) != 32 ||
		videoURL != "http://"+e.Srv.Addr()+"/vod/"+fileID+"/"+vod["CacheFile"].(string) || !strings.HasSuffix(videoURL, ".aac") {
		t.Fatalf("VOD_COMMIT %v", commits[0])
	}
	get, err := http.Get(videoURL)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(get.Body)
	get.Body.Close()
	if err != nil || get.StatusCode != http.StatusOK || get.Header.Get("Content-Type") != "audio/aac" {
		t.Fatalf("GET %s: %d %s, %v", videoURL, get.StatusCode, get.Header.Get("Content-Type"), err)
	}
	path := filepath.Join(t.TempDir(), "vod.aac")
	if err := os.WriteFile(path, body, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("ffprobe", "-v", "error", "-count_packets", "-show_entries", "stream=codec_name,nb_read_packets",
		"-of", "csv=p=0", path).Output()
	f := strings.Split(strings.TrimSpace(string(out)), ",")
	if err != nil || len(f) != 2 || f[0] != "aac" {
		t.Fatalf("ffprobe: %v %q", err, out)
	}
	packets, _ := strconv.Atoi(f[1])
	begin, _ := vod["StartTimeStamp"].(json.Number).Int64()
	dur, want := float64(packets)*1024/48000, stopped.Sub(time.UnixMilli(begin)).Seconds()
	if dur < want-0.5 || dur > want+0.5 {
		t.Fatalf("AAC of %.2f s; the recording ran %.2f s", dur, want)
	}
	for _, bad := range []string{"/vod/" + strings.Repeat("0", 32) + "/" + vod["CacheFile"].(string), "/vod/" + fileID + "/task.json", "/vod/" + fileID + "/..%2ftask.json"} {
		r, err := http.Get("http://" + e.Srv.Addr() + bad)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode != http.StatusNotFound {
			t.Fatalf("GET %s: %d, want 404", bad, r.StatusCode)
		}
	}
}
