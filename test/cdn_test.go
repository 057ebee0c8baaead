package test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/internal/config"
	"github.com/rtcengine/rtcengine/internal/trtc"
	"github.com/rtcengine/rtcengine/rtc"
)

// Mix transcoding and CDN relay end to end (docs/cdn.md): Go clients
// publish solid colours and tones, StartPublishCdnStream mixes them and
// pushes the mix to a real RTMP sink (ffmpeg listening), and ffmpeg's
// decoder checks what the sink received.

// rtmpSink is an ffmpeg that accepts one RTMP publish and writes it to a
// file.
type rtmpSink struct {
	url, path string
	cmd       *exec.Cmd
	log       bytes.Buffer
	done      chan error
}

func startRTMPSink(t *testing.T, name string) *rtmpSink {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return startRTMPSinkAt(t, fmt.Sprintf("rtmp://127.0.0.1:%d/live/%s", port, name), name)
}

// startRTMPSinkAt starts a sink listening at url.
func startRTMPSinkAt(t *testing.T, url, name string) *rtmpSink {
	t.Helper()
	s := &rtmpSink{url: url, path: filepath.Join(t.TempDir(), name+".flv"), done: make(chan error, 1)}
	s.cmd = exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-listen", "1", "-i", s.url, "-c", "copy", "-y", s.path)
	s.cmd.Stderr = &s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	t.Cleanup(func() {
		_ = s.cmd.Process.Kill()
		<-s.done
	})
	return s
}

// wait waits for the sink to complete its file (the publisher left).
func (s *rtmpSink) wait(t *testing.T) {
	t.Helper()
	select {
	case err := <-s.done:
		s.done <- err
		if err != nil {
			t.Fatalf("RTMP sink: %v: %s", err, s.log.String())
		}
	case <-time.After(waitTimeout):
		t.Fatalf("the RTMP sink did not end: %s", s.log.String())
	}
}

// sinkStreams lists a file's streams as ffprobe's
// "codec,type,width,height" lines.
func sinkStreams(t *testing.T, path string) []string {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "stream=codec_name,codec_type,width,height",
		"-of", "csv=p=0", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	return strings.Fields(strings.TrimSpace(string(out)))
}

// cdnTargets returns DescribePublishCdnStream's targets by URL.
func cdnTargets(e *Env, task string) map[string]map[string]any {
	resp, code := e.callResp("DescribePublishCdnStream", map[string]any{"SdkAppId": appID, "TaskId": task})
	out := map[string]map[string]any{}
	if code != "" {
		return out
	}
	list, _ := resp["PublishCdnStates"].([]any)
	for _, x := range list {
		m := x.(map[string]any)
		out[m["PublishCdnUrl"].(string)] = m
	}
	return out
}

func cdnStart(e *Env, params map[string]any) (string, string) {
	resp, code := e.callResp("StartPublishCdnStream", params)
	id, _ := resp["TaskId"].(string)
	return id, code
}

func audioEncode() map[string]any {
	return map[string]any{"AudioEncode": map[string]any{"SampleRate": 48000, "Channel": 2, "BitRate": 64}}
}

func videoEncode(w, h int) map[string]any {
	return map[string]any{"Width": w, "Height": h, "Fps": 15, "BitRate": 400, "Gop": 1}
}

func TestCdnMixedPush(t *testing.T) {
	e := NewEnv(t)
	const room = 7811
	red := &mixPublisher{c: e.Join("red", room, rtc.SceneVideoCall, rtc.RoleAnchor), key: solidVP8(t, "red"), tone: sineOpus(t, 440)}
	blue := &mixPublisher{c: e.Join("blue", room, rtc.SceneVideoCall, rtc.RoleAnchor), key: solidVP8(t, "blue"), tone: sineOpus(t, 1000)}
	sink := startRTMPSink(t, "mix")
	dead := "rtmp://127.0.0.1:1/live/nobody" // refused: nothing listens on port 1
	task, code := cdnStart(e, map[string]any{
		"SdkAppId": appID, "RoomId": strconv.Itoa(room), "RoomIdType": 0,
		"AgentParams":     map[string]any{"UserId": "cdn_robot", "UserSig": e.Sig("cdn_robot"), "MaxIdleTime": 30},
		"WithTranscoding": 1,
		"AudioParams":     audioEncode(),
		"VideoParams": map[string]any{"VideoEncode": videoEncode(320, 240), "BackGroundColor": "0x000000",
			"LayoutParams": map[string]any{"MixLayoutMode": 3}},
		"PublishCdnParams": []map[string]any{{"PublishCdnUrl": sink.url, "IsTencentCdn": 0}, {"PublishCdnUrl": dead, "IsTencentCdn": 0}},
	})
	if code != "" {
		t.Fatalf("StartPublishCdnStream: %s", code)
	}
	for _, p := range []*mixPublisher{red, blue} {
		p.c.EnableCustomVideoCapture(rtc.StreamBig, true)
		p.c.EnableCustomAudioCapture(true)
	}
	pubs := []*mixPublisher{red, blue}
	feedWhile(t, "red in the mix", pubs[:1], mixShows(e, task, [4]any{"red", 0, 0, 320}))
	feedWhile(t, "nine-grid of red and blue", pubs, mixShows(e, task, [4]any{"red", 0, 0, 160}, [4]any{"blue", 160, 0, 160}))
	// The sink receives the stream; the dead target fails, is retried and
	// does not disturb it.
	n := 0
	feedWhile(t, "the sink pushing, the dead URL failed twice", pubs, func() bool {
		if n++; n%10 != 0 {
			return false
		}
		ts := cdnTargets(e, task)
		f, _ := ts[dead]["Failures"].(float64)
		return ts[sink.url]["StateName"] == "Pushing" && f >= 2
	})
	ts := cdnTargets(e, task)
	if s := ts[dead]["State"].(float64); s != 4 && s != 1 || ts[dead]["LastError"] == "" {
		t.Fatalf("the unreachable target: %v; want state 4 (failed) or 1 (connecting again) with its error", ts[dead])
	}
	t.Logf("the unreachable target: %v", ts[dead])
	grid := time.Now()
	feedFor(t, pubs, time.Second)

	// A new layout: blue fills the canvas, red in a window at the top left.
	custom := map[string]any{"VideoEncode": videoEncode(320, 240), "LayoutParams": map[string]any{"MixLayoutMode": 4,
		"MixLayoutList": []map[string]any{
			{"UserMediaStream": map[string]any{"UserInfo": map[string]any{"UserId": "blue"}}, "ImageWidth": 320, "ImageHeight": 240, "ZOrder": 1},
			{"UserMediaStream": map[string]any{"UserInfo": map[string]any{"UserId": "red"}}, "ImageWidth": 100, "ImageHeight": 80,
				"LocationX": 10, "LocationY": 10, "ZOrder": 2},
		}}}
	update := func(seq int, video map[string]any) string {
		_, code := e.callResp("UpdatePublishCdnStream", map[string]any{"SdkAppId": appID, "TaskId": task,
			"SequenceNumber": seq, "WithTranscoding": 1, "VideoParams": video})
		return code
	}
	if code := update(5, custom); code != "" {
		t.Fatalf("UpdatePublishCdnStream: %s", code)
	}
	nine := map[string]any{"LayoutParams": map[string]any{"MixLayoutMode": 3}}
	for _, seq := range []int{5, 4} {
		if code := update(seq, nine); code != "InvalidParameter" {
			t.Fatalf("an update with the stale SequenceNumber %d: %q, want InvalidParameter", seq, code)
		}
	}
	if code := update(6, map[string]any{"VideoEncode": videoEncode(640, 480)}); code != "UnsupportedOperation" {
		t.Fatalf("an update of the canvas size: %q, want UnsupportedOperation", code)
	}
	feedWhile(t, "custom layout", pubs, mixShows(e, task, [4]any{"blue", 0, 0, 320}, [4]any{"red", 10, 10, 100}))
	customAt := time.Now()
	feedFor(t, pubs, time.Second)
	stopAt := time.Now()
	if _, code := e.callResp("StopPublishCdnStream", map[string]any{"SdkAppId": appID, "TaskId": task}); code != "" {
		t.Fatalf("StopPublishCdnStream: %s", code)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := e.Srv.Recorder().Wait(ctx, trtc.SDKAppID(appID), task); err != nil {
		t.Fatal(err)
	}
	sink.wait(t)
	if _, code := e.callResp("StopPublishCdnStream", map[string]any{"SdkAppId": appID, "TaskId": task}); code != "ResourceNotFound" {
		t.Fatalf("a second stop: %q, want ResourceNotFound", code)
	}
	if code := update(7, nine); code != "ResourceNotFound" {
		t.Fatalf("an update after the stop: %q, want ResourceNotFound", code)
	}

	if s := sinkStreams(t, sink.path); len(s) != 2 || !strings.HasPrefix(s[0], "h264,video,320,240") || !strings.HasPrefix(s[1], "aac,audio") {
		t.Fatalf("the sink's streams %q; want H.264 320x240 and AAC", s)
	}
	dur := fileDuration(t, sink.path)
	t.Logf("the sink received %.2f s", dur)
	at := dur - stopAt.Sub(grid).Seconds() + 0.5
	c := colorsAt(t, sink.path, at, 320, 240, [2]int{80, 120}, [2]int{240, 120})
	if !near(c[0], [3]int{255, 0, 0}) || !near(c[1], [3]int{0, 0, 255}) {
		t.Fatalf("nine-grid at %.2f s of %.2f: left %v, right %v; want red, blue", at, dur, c[0], c[1])
	}
	p := tones(t, sink.path, at, 0.8, 440, 1000, 700)
	if p[0] < 0.1 || p[1] < 0.1 || p[2] > 0.02 {
		t.Fatalf("audio: 440 Hz %.3f, 1000 Hz %.3f, 700 Hz %.3f of the power; want both tones", p[0], p[1], p[2])
	}
	at = dur - stopAt.Sub(customAt).Seconds() + 0.5
	c = colorsAt(t, sink.path, at, 320, 240, [2]int{60, 50}, [2]int{240, 120}, [2]int{160, 200})
	if !near(c[0], [3]int{255, 0, 0}) || !near(c[1], [3]int{0, 0, 255}) || !near(c[2], [3]int{0, 0, 255}) {
		t.Fatalf("custom layout at %.2f s of %.2f: window %v, canvas %v %v; want red, blue, blue", at, dur, c[0], c[1], c[2])
	}
}

// TestCdnPassThrough: WithTranscoding 0 relays one user of the room, on
// its own, and the task stops by itself MaxIdleTime after that user left.
func TestCdnPassThrough(t *testing.T) {
	e := NewEnv(t)
	const room = 7812
	green := &mixPublisher{c: e.Join("green", room, rtc.SceneVideoCall, rtc.RoleAnchor), key: solidVP8(t, "lime"), tone: sineOpus(t, 440)}
	other := &mixPublisher{c: e.Join("other", room, rtc.SceneVideoCall, rtc.RoleAnchor), key: solidVP8(t, "blue"), tone: sineOpus(t, 1000)}
	sink := startRTMPSink(t, "single")
	task, code := cdnStart(e, map[string]any{
		"SdkAppId": appID, "RoomId": strconv.Itoa(room),
		"AgentParams":           map[string]any{"UserId": "cdn_single", "UserSig": e.Sig("cdn_single"), "MaxIdleTime": 5},
		"WithTranscoding":       0,
		"SingleSubscribeParams": map[string]any{"UserMediaStream": map[string]any{"UserInfo": map[string]any{"UserId": "green"}}},
		"AudioParams":           audioEncode(),
		"VideoParams":           map[string]any{"VideoEncode": videoEncode(320, 240)},
		"PublishCdnParams":      []map[string]any{{"PublishCdnUrl": sink.url}},
	})
	if code != "" {
		t.Fatalf("StartPublishCdnStream: %s", code)
	}
	if _, code := cdnStart(e, map[string]any{
		"SdkAppId": appID, "RoomId": strconv.Itoa(room),
		"AgentParams":     map[string]any{"UserId": "cdn_single", "UserSig": e.Sig("cdn_single")},
		"WithTranscoding": 1, "AudioParams": audioEncode(),
		"PublishCdnParams": []map[string]any{{"PublishCdnUrl": sink.url + "2"}},
	}); code != "FailedOperation.TaskExist" {
		t.Fatalf("a second task of the same robot: %q, want FailedOperation.TaskExist", code)
	}
	// The recording actions do not see relay tasks.
	for _, action := range []string{"DescribeCloudRecording", "DeleteCloudRecording"} {
		if _, code := e.callResp(action, map[string]any{"SdkAppId": appID, "TaskId": task}); code != "ResourceNotFound" {
			t.Fatalf("%s of a relay task: %q, want ResourceNotFound", action, code)
		}
	}
	pubs := []*mixPublisher{green, other}
	for _, p := range pubs {
		p.c.EnableCustomVideoCapture(rtc.StreamBig, true)
		p.c.EnableCustomAudioCapture(true)
	}
	n := 0
	feedWhile(t, "green pushed", pubs, func() bool {
		if n++; n%10 != 0 {
			return false
		}
		return cdnTargets(e, task)[sink.url]["StateName"] == "Pushing" && mixShows(e, task, [4]any{"green", 0, 0, 320})()
	})
	feedFor(t, pubs, 1200*time.Millisecond)
	left := time.Now()
	green.c.ExitRoom()
	other.c.ExitRoom()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := e.Srv.Recorder().Wait(ctx, trtc.SDKAppID(appID), task); err != nil {
		t.Fatal(err)
	}
	idle := time.Since(left)
	if idle < 5*time.Second || idle > 9*time.Second {
		t.Fatalf("the task ended %v after the anchors left; want MaxIdleTime (5 s)", idle)
	}
	sink.wait(t)
	if streams := sinkStreams(t, sink.path); len(streams) != 2 || !strings.HasPrefix(streams[0], "h264,video,320,240") || !strings.HasPrefix(streams[1], "aac,audio") {
		t.Fatalf("the sink's streams %q; want H.264 320x240 and AAC", streams)
	}
	// The file ends when the task did, idle after the anchors left.
	before := fileDuration(t, sink.path) - idle.Seconds()
	c := colorsAt(t, sink.path, before-1, 320, 240, [2]int{160, 120}, [2]int{20, 20})
	if !near(c[0], [3]int{0, 255, 0}) || !near(c[1], [3]int{0, 255, 0}) {
		t.Fatalf("the relayed picture %v; want green only", c)
	}
	p := tones(t, sink.path, max(before-1.1, 0), 0.8, 440, 1000)
	if p[0] < 0.2 || p[1] > 0.02 {
		t.Fatalf("audio: 440 Hz %.3f, 1000 Hz %.3f; want green's tone only", p[0], p[1])
	}
}

// TestCdnBadInput: bad URLs, layouts, sizes, bitrates and missing
// parameters get InvalidParameter.*, MissingParameter.* or
// UnsupportedOperation, and no task starts.
func TestCdnBadInput(t *testing.T) {
	// About 50 calls at once: above the default REST rate.
	e := NewEnv(t, func(c *config.Config) { c.Limits.RESTPerSecretID, c.Limits.RESTPerIP = 200, 200 })
	base := func() map[string]any {
		return map[string]any{
			"SdkAppId": appID, "RoomId": "4400",
			"AgentParams":     map[string]any{"UserId": "cdn_bad", "UserSig": e.Sig("cdn_bad")},
			"WithTranscoding": 1,
			"AudioParams":     audioEncode(),
			"VideoParams":     map[string]any{"VideoEncode": videoEncode(320, 240)},
			"PublishCdnParams": []map[string]any{
				{"PublishCdnUrl": "rtmp://127.0.0.1:1935/live/ok"}},
		}
	}
	set := func(path string, v any) map[string]any {
		m := base()
		keys := strings.Split(path, ".")
		cur := m
		for _, k := range keys[:len(keys)-1] {
			next, ok := cur[k].(map[string]any)
			if !ok {
				next = map[string]any{}
				cur[k] = next
			}
			cur = next
		}
		if v == nil {
			delete(cur, keys[len(keys)-1])
		} else {
			cur[keys[len(keys)-1]] = v
		}
		return m
	}
	urls := func(us ...string) []map[string]any {
		var out []map[string]any
		for _, u := range us {
			out = append(out, map[string]any{"PublishCdnUrl": u})
		}
		return out
	}
	var eleven []string
	for i := range 11 {
		eleven = append(eleven, fmt.Sprintf("rtmp://127.0.0.1/live/s%d", i))
	}
	var feedback11 []map[string]any
	for i := range 11 {
		feedback11 = append(feedback11, map[string]any{"RoomId": strconv.Itoa(i + 1), "UserId": "fb", "UserSig": "y"})
	}
	window := func(w map[string]any) map[string]any {
		return map[string]any{"MixLayoutMode": 4, "MixLayoutList": []map[string]any{w}}
	}
	for _, tc := range []struct {
		name string
		req  map[string]any
		want string
	}{
		{"no SdkAppId", set("SdkAppId", nil), "MissingParameter.SdkAppId"},
		{"no RoomId", set("RoomId", nil), "MissingParameter.RoomId"},
		{"no AgentParams", set("AgentParams", nil), "MissingParameter"},
		{"no robot UserSig", set("AgentParams.UserSig", nil), "MissingParameter.UserSig"},
		{"wrong robot UserSig", set("AgentParams.UserSig", "bogus"), "InvalidParameter.UserSig"},
		{"idle time 4", set("AgentParams.MaxIdleTime", 4), "InvalidParameter.OutOfRange"},
		{"no WithTranscoding", set("WithTranscoding", nil), "MissingParameter"},
		{"WithTranscoding 2", set("WithTranscoding", 2), "InvalidParameter.OutOfRange"},
		{"pass-through without a user", set("WithTranscoding", 0), "MissingParameter"},
		{"text room with RoomIdType 0", set("RoomId", "abc"), "InvalidParameter.RoomId"},
		{"RoomIdType 2", set("RoomIdType", 2), "InvalidParameter.OutOfRange"},
		{"no AudioParams", set("AudioParams", nil), "MissingParameter"},
		{"sample rate 22050", set("AudioParams.AudioEncode.SampleRate", 22050), "InvalidParameter.OutOfRange"},
		{"3 channels", set("AudioParams.AudioEncode.Channel", 3), "InvalidParameter.OutOfRange"},
		{"audio 600 kbps", set("AudioParams.AudioEncode.BitRate", 600), "InvalidParameter.OutOfRange"},
		{"HE-AAC", set("AudioParams.AudioEncode.Codec", 1), "UnsupportedOperation"},
		{"width 1922", set("VideoParams.VideoEncode.Width", 1922), "InvalidParameter.OutOfRange"},
		{"odd height", set("VideoParams.VideoEncode.Height", 241), "InvalidParameter.OutOfRange"},
		{"1920x1920", set("VideoParams.VideoEncode", videoEncode(1920, 1920)), "InvalidParameter.OutOfRange"},
		{"no width", set("VideoParams.VideoEncode.Width", nil), "MissingParameter"},
		{"fps 61", set("VideoParams.VideoEncode.Fps", 61), "InvalidParameter.OutOfRange"},
		{"video 20000 kbps", set("VideoParams.VideoEncode.BitRate", 20000), "InvalidParameter.OutOfRange"},
		{"video 10 kbps", set("VideoParams.VideoEncode.BitRate", 10), "InvalidParameter.OutOfRange"},
		{"gop 6", set("VideoParams.VideoEncode.Gop", 6), "InvalidParameter.OutOfRange"},
		{"layout mode 5", set("VideoParams.LayoutParams", map[string]any{"MixLayoutMode": 5}), "InvalidParameter.OutOfRange"},
		{"custom without windows", set("VideoParams.LayoutParams", map[string]any{"MixLayoutMode": 4}), "InvalidParameter"},
		{"window outside the canvas", set("VideoParams.LayoutParams", window(map[string]any{"ImageWidth": 100, "ImageHeight": 100, "LocationX": 300})), "InvalidParameter.OutOfRange"},
		{"window without a height", set("VideoParams.LayoutParams", window(map[string]any{"ImageWidth": 100})), "MissingParameter"},
		{"window ZOrder 16", set("VideoParams.LayoutParams", window(map[string]any{"ImageWidth": 10, "ImageHeight": 10, "ZOrder": 16})), "InvalidParameter.OutOfRange"},
		{"window of another room", set("VideoParams.LayoutParams", window(map[string]any{"ImageWidth": 10, "ImageHeight": 10,
			"UserMediaStream": map[string]any{"UserInfo": map[string]any{"UserId": "a", "RoomId": "9"}}})), "UnsupportedOperation"},
		{"colour red", set("VideoParams.BackGroundColor", "red"), "InvalidParameter"},
		{"unknown nested field", set("VideoParams.VideoEncode.Bogus", 1), "UnknownParameter"},
		{"no URL", set("PublishCdnParams", nil), "MissingParameter"},
		{"http URL", set("PublishCdnParams", urls("http://127.0.0.1/live/x")), "InvalidParameter.StreamUrl"},
		{"URL without a stream", set("PublishCdnParams", urls("rtmp://127.0.0.1/live")), "InvalidParameter.StreamUrl"},
		{"URL with a blank", set("PublishCdnParams", urls("rtmp://127.0.0.1/live/a b")), "InvalidParameter.StreamUrl"},
		{"URL port 70000", set("PublishCdnParams", urls("rtmp://127.0.0.1:70000/live/x")), "InvalidParameter.StreamUrl"},
		{"URL twice", set("PublishCdnParams", urls("rtmp://h/live/x", "rtmp://h/live/x")), "InvalidParameter.StreamUrl"},
		{"11 URLs", set("PublishCdnParams", urls(eleven...)), "InvalidParameter.OutOfRange"},
		{"URL as a number", set("PublishCdnParams", []map[string]any{{"PublishCdnUrl": 5}}), "InvalidParameter.BodyParamsError"},
		{"feedback robot's UserSig wrong", set("FeedBackRoomParams", []map[string]any{{"RoomId": "1", "UserId": "x", "UserSig": "y"}}), "InvalidParameter.UserSig"},
		{"feedback robot without a UserSig", set("FeedBackRoomParams", []map[string]any{{"RoomId": "1", "UserId": "x"}}), "MissingParameter.UserSig"},
		{"feedback robot is the agent", set("FeedBackRoomParams", []map[string]any{{"RoomId": "1", "UserId": "cdn_bad", "UserSig": "y"}}), "InvalidParameter.UserId"},
		{"feedback to 11 rooms", set("FeedBackRoomParams", feedback11), "InvalidParameter.OutOfRange"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, code := cdnStart(e, tc.req); code != tc.want {
				t.Fatalf("%q, want %q", code, tc.want)
			}
		})
	}
	if n := e.Srv.Recorder().Running(); n != 0 {
		t.Fatalf("%d tasks run after bad requests", n)
	}
	for _, tc := range []struct {
		name string
		req  map[string]any
		want string
	}{
		{"no SequenceNumber", map[string]any{"SdkAppId": appID, "TaskId": "x", "WithTranscoding": 1}, "MissingParameter"},
		{"no TaskId", map[string]any{"SdkAppId": appID, "SequenceNumber": 1, "WithTranscoding": 1}, "MissingParameter.TaskId"},
		{"unknown task", map[string]any{"SdkAppId": appID, "TaskId": "x", "SequenceNumber": 1, "WithTranscoding": 1}, "ResourceNotFound"},
		{"bad URL", map[string]any{"SdkAppId": appID, "TaskId": "x", "SequenceNumber": 1, "WithTranscoding": 1,
			"PublishCdnParams": urls("rtmp:/x")}, "InvalidParameter.StreamUrl"},
	} {
		t.Run("update "+tc.name, func(t *testing.T) {
			if _, code := e.callResp("UpdatePublishCdnStream", tc.req); code != tc.want {
				t.Fatalf("%q, want %q", code, tc.want)
			}
		})
	}
	if _, code := e.callResp("StopPublishCdnStream", map[string]any{"SdkAppId": appID, "TaskId": "x"}); code != "ResourceNotFound" {
		t.Fatalf("stop of an unknown task: %q", code)
	}
}

// The test listener hears the PublishMediaStream results.
func (r *Recorder) OnStartPublishMediaStream(taskID string, code int, msg, extra string) {
	r.add("OnStartPublishMediaStream", code, taskID, msg)
}

func (r *Recorder) OnUpdatePublishMediaStream(taskID string, code int, msg, extra string) {
	r.add("OnUpdatePublishMediaStream", code, taskID, msg)
}

func (r *Recorder) OnStopPublishMediaStream(taskID string, code int, msg, extra string) {
	r.add("OnStopPublishMediaStream", code, taskID, msg)
}

func (r *Recorder) OnCdnStreamStateChanged(url string, status, code int, msg, extra string) {
	r.add("OnCdnStreamStateChanged", url, status, code, msg, extra)
}

// TestCdnSDKPublishMediaStream: the Go SDK's StartPublishMediaStream
// relays the user's own stream to an RTMP sink; a second identical start
// names the running task; updates change the URLs; only the owner stops
// the task, and an empty task id stops all of the owner's tasks.
func TestCdnSDKPublishMediaStream(t *testing.T) {
	e := NewEnv(t)
	const room = 7813
	red := &mixPublisher{c: e.Join("red", room, rtc.SceneVideoCall, rtc.RoleAnchor), key: solidVP8(t, "red"), tone: sineOpus(t, 440)}
	blue := e.Join("blue", room, rtc.SceneVideoCall, rtc.RoleAnchor)
	sink := startRTMPSink(t, "sdk")
	enc := &rtc.StreamEncoderParam{VideoEncodedWidth: 320, VideoEncodedHeight: 240, VideoEncodedFPS: 15, VideoEncodedKbps: 300,
		AudioEncodedSampleRate: 48000, AudioEncodedChannelNum: 2, AudioEncodedKbps: 64}
	target := func(mode rtc.PublishMode, urls ...string) *rtc.PublishTarget {
		tg := &rtc.PublishTarget{Mode: mode}
		for _, u := range urls {
			tg.CdnURLList = append(tg.CdnURLList, rtc.PublishCdnURL{RTMPURL: u})
		}
		return tg
	}
	red.c.StartPublishMediaStream(target(rtc.PublishMixStreamToRoom, sink.url), enc, nil) // no MixStreamIdentity
	red.c.Wait("OnStartPublishMediaStream", rtc.ErrCodeInvalidParameter)
	red.c.StartPublishMediaStream(target(rtc.PublishBigStreamToCdn, sink.url), &rtc.StreamEncoderParam{VideoEncodedCodecType: 1}, nil)
	red.c.Wait("OnStartPublishMediaStream", rtc.ErrCodeNotSupported)
	red.c.StartPublishMediaStream(target(rtc.PublishBigStreamToCdn, "http://127.0.0.1/live/x"), enc, nil)
	red.c.Wait("OnStartPublishMediaStream", rtc.ErrCodeInvalidParameter)
	red.c.StartPublishMediaStream(target(rtc.PublishBigStreamToCdn, sink.url), enc, nil)
	ev := red.c.Wait("OnStartPublishMediaStream")
	task, _ := ev.Args[1].(string)
	if ev.Args[0] != 0 || task == "" {
		t.Fatalf("StartPublishMediaStream: %v", ev)
	}
	red.c.StartPublishMediaStream(target(rtc.PublishBigStreamToCdn, sink.url), enc, nil)
	red.c.Wait("OnStartPublishMediaStream", -3, task) // the running task, named

	red.c.EnableCustomVideoCapture(rtc.StreamBig, true)
	red.c.EnableCustomAudioCapture(true)
	pubs := []*mixPublisher{red}
	n := 0
	feedWhile(t, "red pushed", pubs, func() bool {
		if n++; n%10 != 0 {
			return false
		}
		return cdnTargets(e, task)[sink.url]["StateName"] == "Pushing"
	})
	// onCdnStreamStateChanged: connecting, then pushing.
	red.c.Saw("OnCdnStreamStateChanged", sink.url, 1)
	red.c.Saw("OnCdnStreamStateChanged", sink.url, 2, 0, "", `{"taskId":"`+task+`"}`)
	dead := "rtmp://127.0.0.1:1/live/sdk2"
	red.c.UpdatePublishMediaStream(task, target(rtc.PublishBigStreamToCdn, sink.url, dead), enc, nil)
	red.c.Wait("OnUpdatePublishMediaStream", 0, task)
	if ts := cdnTargets(e, task); len(ts) != 2 || ts[sink.url]["StateName"] != "Pushing" {
		t.Fatalf("targets after the update: %v; want the sink still pushing and the new URL", ts)
	}
	ev = red.c.Wait("OnCdnStreamStateChanged", dead, 4, -1)
	if msg, _ := ev.Args[3].(string); !strings.Contains(msg, "Connection refused") {
		t.Fatalf("the failed target's state %v; want ffmpeg's reason", ev)
	}
	feedFor(t, pubs, 500*time.Millisecond)
	blue.StopPublishMediaStream(task)
	blue.Wait("OnStopPublishMediaStream", rtc.ErrCodeInvalidParameter, task)
	red.c.StopPublishMediaStream("")
	red.c.Wait("OnStopPublishMediaStream", 0, task)
	red.c.Wait("OnCdnStreamStateChanged", sink.url, 0) // ended
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := e.Srv.Recorder().Wait(ctx, trtc.SDKAppID(appID), task); err != nil {
		t.Fatal(err)
	}
	sink.wait(t)
	if s := sinkStreams(t, sink.path); len(s) != 2 || !strings.HasPrefix(s[0], "h264,video,320,240") || !strings.HasPrefix(s[1], "aac,audio") {
		t.Fatalf("the sink's streams %q; want H.264 320x240 and AAC", s)
	}
	c := colorsAt(t, sink.path, fileDuration(t, sink.path)-0.7, 320, 240, [2]int{160, 120})
	if !near(c[0], [3]int{255, 0, 0}) {
		t.Fatalf("the relayed picture %v; want red", c)
	}
}

// TestCdnFeedBackRoom: FeedBackRoomParams publishes the mix of one room
// into another as a robot anchor; a user there sees its video and audio
// come and go with the task.
func TestCdnFeedBackRoom(t *testing.T) {
	e := NewEnv(t)
	const room, stage = 7814, 7815
	red := &mixPublisher{c: e.Join("red", room, rtc.SceneVideoCall, rtc.RoleAnchor), key: solidVP8(t, "red"), tone: sineOpus(t, 440)}
	watcher := e.Join("watcher", stage, rtc.SceneLive, rtc.RoleAudience)
	task, code := cdnStart(e, map[string]any{
		"SdkAppId": appID, "RoomId": strconv.Itoa(room),
		"AgentParams":        map[string]any{"UserId": "cdn_fb", "UserSig": e.Sig("cdn_fb")},
		"WithTranscoding":    1,
		"AudioParams":        audioEncode(),
		"VideoParams":        map[string]any{"VideoEncode": videoEncode(320, 240)},
		"FeedBackRoomParams": []map[string]any{{"RoomId": strconv.Itoa(stage), "UserId": "mix_robot", "UserSig": e.Sig("mix_robot")}},
	})
	if code != "" {
		t.Fatalf("StartPublishCdnStream: %s", code)
	}
	red.c.EnableCustomVideoCapture(rtc.StreamBig, true)
	red.c.EnableCustomAudioCapture(true)
	pubs := []*mixPublisher{red}
	seen := func(name string) func() bool {
		return func() bool {
			_, ok := watcher.rec.FindAll(0, func(ev Event) bool { return ev.Is(name, "mix_robot") })
			return ok
		}
	}
	feedWhile(t, "the robot's video in the stage room", pubs, seen("OnFirstVideoFrame"))
	watcher.Saw("OnUserVideoAvailable", "mix_robot", true)
	watcher.Saw("OnUserAudioAvailable", "mix_robot", true)
	ev, _ := watcher.rec.FindAll(0, func(ev Event) bool { return ev.Is("OnFirstVideoFrame", "mix_robot") })
	if fmt.Sprint(ev.Args[2:]) != "[320 240]" {
		t.Fatalf("the robot's first frame %v; want 320x240", ev)
	}
	if ts := cdnTargets(e, task); len(ts) != 1 || ts["trtc://"+strconv.Itoa(appID)+"/"+strconv.Itoa(stage)+"/mix_robot"]["StateName"] != "Pushing" {
		t.Fatalf("targets %v; want the feedback room pushing", ts)
	}
	if _, code := e.callResp("StopPublishCdnStream", map[string]any{"SdkAppId": appID, "TaskId": task}); code != "" {
		t.Fatalf("StopPublishCdnStream: %s", code)
	}
	watcher.Wait("OnRemoteUserLeaveRoom", "mix_robot")

	// The SDK's MixStreamToRoom does the same for a member.
	red.c.StartPublishMediaStream(&rtc.PublishTarget{Mode: rtc.PublishMixStreamToRoom,
		MixStreamIdentity: &rtc.PublishUser{UserID: "sdk_robot", IntRoomID: stage}},
		&rtc.StreamEncoderParam{VideoEncodedWidth: 320, VideoEncodedHeight: 240}, nil)
	if ev := red.c.Wait("OnStartPublishMediaStream"); ev.Args[0] != 0 {
		t.Fatalf("MixStreamToRoom: %v", ev)
	}
	feedWhile(t, "the SDK robot's video in the stage room", pubs, func() bool {
		_, ok := watcher.rec.FindAll(0, func(ev Event) bool { return ev.Is("OnUserVideoAvailable", "sdk_robot", true) })
		return ok
	})
	red.c.StopPublishMediaStream("")
	red.c.Wait("OnStopPublishMediaStream", 0)
	watcher.Wait("OnRemoteUserLeaveRoom", "sdk_robot")
}
