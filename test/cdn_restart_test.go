package test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/rtc"
	"github.com/rtcengine/rtcengine/usersig"
)

// TestCdnRelaySurvivesRestart runs the real binary and checks that relay
// tasks outlive it (docs/cdn.md, "Restarts"): after a SIGKILL the
// restarted server pushes the same task (same TaskId) to the same URL
// again, and the sink receives the publisher's red; an SDK task started
// before the crash is named when the restarted app starts it again (−3,
// trtc-reference §4); after a graceful
// restart a task is resumed again, and a task whose saved state is
// unusable is described as Exited with the reason, its stop answered
// ResourceNotFound.
func TestCdnRelaySurvivesRestart(t *testing.T) {
	bin := buildServer(t)
	dir := t.TempDir()
	cfgFile := childConfig(t, dir, "", "")
	const room = 7831
	srv := startChild(t, bin, cfgFile)
	publisher := func(addr string) *mixPublisher {
		p := &mixPublisher{c: joinAt(t, addr, "red", room), key: solidVP8(t, "red"), tone: sineOpus(t, 440)}
		p.c.EnableCustomVideoCapture(rtc.StreamBig, true)
		p.c.EnableCustomAudioCapture(true)
		return p
	}
	red := publisher(srv.addr)
	sink := startRTMPSink(t, "restart")
	start := func(addr, robot, url string) string {
		t.Helper()
		sig, err := usersig.GenUserSig(appID, appSecret, robot, 3600)
		if err != nil {
			t.Fatal(err)
		}
		resp, code := callRespAt(t, addr, "StartPublishCdnStream", map[string]any{
			"SdkAppId": appID, "RoomId": strconv.Itoa(room), "RoomIdType": 0,
			"AgentParams":     map[string]any{"UserId": robot, "UserSig": sig, "MaxIdleTime": 60},
			"WithTranscoding": 1, "AudioParams": audioEncode(),
			"VideoParams":      map[string]any{"VideoEncode": videoEncode(160, 120), "LayoutParams": map[string]any{"MixLayoutMode": 3}},
			"PublishCdnParams": []map[string]any{{"PublishCdnUrl": url}},
		})
		if code != "" {
			t.Fatalf("StartPublishCdnStream: %s", code)
		}
		return resp["TaskId"].(string)
	}
	describe := func(addr, task string) (map[string]any, string) {
		return callRespAt(t, addr, "DescribePublishCdnStream", map[string]any{"SdkAppId": appID, "TaskId": task})
	}
	pushing := func(addr, task string) func() bool {
		return func() bool {
			d, code := describe(addr, task)
			list, _ := d["PublishCdnStates"].([]any)
			return code == "" && len(list) == 1 && list[0].(map[string]any)["State"] == 2.0
		}
	}
	task := start(srv.addr, "cdn_keep", sink.url)
	// An SDK task of the publisher (its target need not be reachable).
	sdkTarget := &rtc.PublishTarget{Mode: rtc.PublishBigStreamToCdn, CdnURLList: []rtc.PublishCdnURL{{RTMPURL: "rtmp://127.0.0.1:1/live/sdk"}}}
	sdkEnc := &rtc.StreamEncoderParam{VideoEncodedWidth: 160, VideoEncodedHeight: 120, AudioEncodedSampleRate: 48000}
	red.c.StartPublishMediaStream(sdkTarget, sdkEnc, nil)
	ev := red.c.Wait("OnStartPublishMediaStream")
	sdkTask, _ := ev.Args[1].(string)
	if ev.Args[0] != 0 || sdkTask == "" {
		t.Fatalf("StartPublishMediaStream: %v", ev)
	}
	feedWhile(t, "the push", []*mixPublisher{red}, pushing(srv.addr, task))
	feedFor(t, []*mixPublisher{red}, 800*time.Millisecond)
	_ = srv.stop(syscall.SIGKILL)
	sink.wait(t) // the orphaned pusher saw its input end

	// The restarted server pushes the task again to the same URL.
	sink2 := startRTMPSinkAt(t, sink.url, "restart2")
	srv2 := startChild(t, bin, cfgFile)
	d, code := describe(srv2.addr, task)
	if code != "" || d["Resumed"] != true || d["Status"] == "Exited" {
		t.Fatalf("Describe after the SIGKILL: %q %v", code, d)
	}
	red2 := publisher(srv2.addr)
	// The app restarted too: starting its task again fails and names the
	// task (trtc-reference §4); the app then stops it.
	red2.c.StartPublishMediaStream(sdkTarget, sdkEnc, nil)
	red2.c.Wait("OnStartPublishMediaStream", -3, sdkTask)
	red2.c.StopPublishMediaStream("")
	red2.c.Wait("OnStopPublishMediaStream", 0, sdkTask)
	feedWhile(t, "the resumed push", []*mixPublisher{red2}, pushing(srv2.addr, task))
	feedFor(t, []*mixPublisher{red2}, time.Second)
	other := start(srv2.addr, "cdn_lost", "rtmp://127.0.0.1:1/live/nobody")

	// A graceful restart: both tasks are saved as interrupted; one's
	// saved state is made unusable meanwhile.
	if err := srv2.stop(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	sink2.wait(t)
	if c := colorsAt(t, sink2.path, fileDuration(t, sink2.path)/2, 160, 120, [2]int{40, 60}); !near(c[0], [3]int{255, 0, 0}) {
		t.Fatalf("the resumed push shows %v, want red", c[0])
	}
	state := filepath.Join(dir, "data", "recordings", "cdn", strconv.Itoa(appID), other, "task.json")
	b, err := os.ReadFile(state)
	if err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	rec["relay"] = map[string]any{"request": "garbage"}
	b, _ = json.Marshal(rec)
	if err := os.WriteFile(state, b, 0o644); err != nil {
		t.Fatal(err)
	}
	srv3 := startChild(t, bin, cfgFile)
	if d, code := describe(srv3.addr, task); code != "" || d["Resumed"] != true || d["Status"] == "Exited" {
		t.Fatalf("Describe after the graceful restart: %q %v", code, d)
	}
	d, code = describe(srv3.addr, other)
	if code != "" || d["Status"] != "Exited" || d["Message"] == nil || d["Message"] == "" {
		t.Fatalf("Describe of the task not resumed: %q %v", code, d)
	}
	stop := func(task string) string {
		return callAt(t, srv3.addr, "StopPublishCdnStream", map[string]any{"SdkAppId": appID, "TaskId": task})
	}
	if code := stop(other); code != "ResourceNotFound" {
		t.Fatalf("StopPublishCdnStream of the task not resumed: %q", code)
	}
	if code := stop(task); code != "" {
		t.Fatalf("StopPublishCdnStream of the resumed task: %q", code)
	}
	if code := stop(task); code != "ResourceNotFound" {
		t.Fatalf("a second StopPublishCdnStream: %q", code)
	}
	if err := srv3.stop(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
}
