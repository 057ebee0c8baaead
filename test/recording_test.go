package test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
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

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"

	"github.com/rtcengine/rtcengine/examples/mediafile"
	"github.com/rtcengine/rtcengine/internal/trtc"
	"github.com/rtcengine/rtcengine/rtc"
	"github.com/rtcengine/rtcengine/usersig"
)

// Cloud recording end to end (docs/recording.md): a Go client publishes a
// real VP8 clip made by ffmpeg and Opus packets, a CreateCloudRecording
// task records them, and ffprobe and ffmpeg's decoder check the files.

func init() {
	for t := 301; t <= 312; t++ {
		infoFields[t] = []string{"RoomId", "EventTs", "EventMsTs", "UserId", "TaskId", "Payload"}
	}
}

// callResp sends a REST action and returns the Response object and the
// error code ("" on success).
func (e *Env) callResp(action string, params map[string]any) (map[string]any, string) {
	e.t.Helper()
	return callRespAt(e.t, e.Srv.Addr(), action, params)
}

// callRespAt is callResp for the server at addr.
func callRespAt(t *testing.T, addr, action string, params map[string]any) (map[string]any, string) {
	t.Helper()
	prof := profile.NewClientProfile()
	prof.HttpProfile.Endpoint = addr
	prof.HttpProfile.Scheme = "http"
	prof.HttpProfile.ReqTimeout = 10
	client := common.NewCommonClient(common.NewCredential(secretID, secretKey), "ap-guangzhou", prof)
	req := tchttp.NewCommonRequest("trtc", "2019-07-22", action)
	if err := req.SetActionParameters(params); err != nil {
		t.Fatal(err)
	}
	resp := tchttp.NewCommonResponse()
	err := client.Send(req, resp)
	var sdkErr *tcerr.TencentCloudSDKError
	switch {
	case err == nil:
		var out struct{ Response map[string]any }
		if err := json.Unmarshal(resp.GetBody(), &out); err != nil {
			t.Fatal(err)
		}
		return out.Response, ""
	case errors.As(err, &sdkErr) && !strings.HasPrefix(sdkErr.Code, "ClientError"):
		return nil, sdkErr.Code
	}
	t.Fatalf("%s: %v", action, err)
	return nil, ""
}

// clipFrame is one encoded frame of a test clip.
type clipFrame struct {
	data []byte
	key  bool
}

// makeClip encodes a test pattern with ffmpeg (VP8 in IVF, or H.264 Annex
// B) and returns the file and its frames.
func makeClip(t *testing.T, format rtc.VideoFormat, frames int) (string, []clipFrame) {
	t.Helper()
	args := []string{"-hide_banner", "-loglevel", "error", "-f", "lavfi",
		"-i", "testsrc2=size=320x240:rate=25", "-frames:v", strconv.Itoa(frames), "-g", "25"}
	path := filepath.Join(t.TempDir(), "clip.ivf")
	if format == rtc.VideoFormatH264 {
		path = filepath.Join(filepath.Dir(path), "clip.h264")
		args = append(args, "-c:v", "libx264", "-pix_fmt", "yuv420p", "-profile:v", "baseline", "-bf", "0")
	} else {
		args = append(args, "-c:v", "libvpx", "-b:v", "400k", "-deadline", "realtime")
	}
	if out, err := exec.Command("ffmpeg", append(args, "-y", path)...).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, out)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var all []clipFrame
	if format == rtc.VideoFormatH264 {
		r := mediafile.NewAccessUnitReader(f)
		for {
			au, err := r.Next()
			if err != nil {
				break
			}
			all = append(all, clipFrame{au.Data, au.Keyframe})
		}
	} else {
		r, err := mediafile.NewIVFReader(f)
		if err != nil {
			t.Fatal(err)
		}
		for {
			fr, err := r.Next()
			if err != nil {
				break
			}
			all = append(all, clipFrame{fr.Data, fr.Data[0]&1 == 0})
		}
	}
	if len(all) != frames {
		t.Fatalf("clip has %d frames, want %d", len(all), frames)
	}
	return path, all
}

// frameMD5s decodes a file (or, with ivf, a clip) and returns the MD5 of
// every decoded frame.
func frameMD5s(t *testing.T, path string) []string {
	t.Helper()
	out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-i", path, "-map", "0:v", "-f", "framemd5", "-").Output()
	if err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	var sums []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		f := strings.Split(line, ",")
		sums = append(sums, strings.TrimSpace(f[len(f)-1]))
	}
	return sums
}

// probeFile returns the codec and duration of a file's only stream.
func probeFile(t *testing.T, path string) (codec string, dur float64) {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "stream=codec_name:format=duration",
		"-of", "json", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	var p struct {
		Streams []struct {
			CodecName string `json:"codec_name"`
		}
		Format struct{ Duration string }
	}
	if err := json.Unmarshal(out, &p); err != nil || len(p.Streams) != 1 {
		t.Fatalf("ffprobe %s: %s", path, out)
	}
	d, _ := strconv.ParseFloat(p.Format.Duration, 64)
	return p.Streams[0].CodecName, d
}

func describe(e *Env, task string) map[string]any {
	e.t.Helper()
	r, code := e.callResp("DescribeCloudRecording", map[string]any{"SdkAppId": appID, "TaskId": task})
	if code != "" {
		e.t.Fatalf("DescribeCloudRecording: %s", code)
	}
	return r
}

func TestRecordingSingleStream(t *testing.T) {
	for _, tc := range []struct {
		name   string
		format rtc.VideoFormat
		codec  string
	}{
		{"VP8 to WebM", rtc.VideoFormatVP8, "vp8"},
		{"H.264 to MP4", rtc.VideoFormatH264, "h264"},
	} {
		t.Run(tc.name, func(t *testing.T) { recordClip(t, tc.format, tc.codec) })
	}
}

// recordClip publishes a clip and Opus packets from alice, records them
// and checks the files with ffprobe and ffmpeg's decoder.
func recordClip(t *testing.T, format rtc.VideoFormat, wantCodec string) {
	hooks := newHookReceiver(t, nil)
	e := NewEnv(t, withWebhook(hooks.URL(), nil))
	const room = 7701
	clipPath, clip := makeClip(t, format, 75)

	alice := e.Join("alice", room, rtc.SceneVideoCall, rtc.RoleAnchor)
	resp, code := e.callResp("CreateCloudRecording", map[string]any{
		"SdkAppId": appID, "RoomId": strconv.Itoa(room), "RoomIdType": 1,
		"UserId": "recorder_1", "UserSig": e.Sig("recorder_1"),
		"RecordParams": map[string]any{"RecordMode": 1, "MaxIdleTime": 30, "StreamType": 0,
			"SubscribeStreamUserIds": map[string]any{"SubscribeVideoUserIds": []string{"al.*$"}}},
	})
	if code != "" {
		t.Fatalf("CreateCloudRecording: %s", code)
	}
	task, _ := resp["TaskId"].(string)
	if st := describe(e, task)["Status"]; st != "Idle" {
		t.Fatalf("Status %v before any media, want Idle", st)
	}

	alice.EnableCustomVideoCapture(rtc.StreamBig, true)
	alice.EnableCustomAudioCapture(true)
	ts := uint64(1000) // 0 would mean "now" to the SDK
	var audioSent int
	sendFrame := func(f []byte, key bool) {
		if err := alice.SendCustomVideoData(rtc.StreamBig, &rtc.VideoFrame{Format: format, Data: f, Keyframe: key, Timestamp: ts}); err != nil {
			t.Fatal(err)
		}
		for i := uint64(0); i < 2; i++ {
			pkt := opusPacket(1, uint32(audioSent))
			if err := alice.SendCustomAudioData(&rtc.AudioFrame{Format: rtc.AudioFormatOpus, Data: pkt, SampleRate: 48000, Channels: 1, Timestamp: ts + 20*i}); err != nil {
				t.Fatal(err)
			}
			audioSent++
		}
		ts += 40
	}
	// Warm up with the clip's first keyframe until both files are open,
	// then send the clip once, paced in real time.
	warm := 0
	deadline := time.Now().Add(10 * time.Second)
	for {
		d := describe(e, task)
		if files, _ := d["StorageFileList"].([]any); len(files) >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no recording files within 10 s: %v", d)
		}
		sendFrame(clip[0].data, true)
		warm++
		time.Sleep(40 * time.Millisecond)
	}
	start := time.Now()
	for i, f := range clip {
		sendFrame(f.data, f.key)
		time.Sleep(time.Until(start.Add(time.Duration(i+1) * 40 * time.Millisecond)))
	}
	// Let the last packets through the SFU before stopping.
	time.Sleep(300 * time.Millisecond)

	if _, code := e.callResp("DeleteCloudRecording", map[string]any{"SdkAppId": appID, "TaskId": task}); code != "" {
		t.Fatalf("DeleteCloudRecording: %s", code)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := e.Srv.Recorder().Wait(ctx, trtc.SDKAppID(appID), task); err != nil {
		t.Fatal(err)
	}
	d := describe(e, task)
	if d["Status"] != "Exited" {
		t.Fatalf("Status %v after Delete, want Exited", d["Status"])
	}
	info, _ := e.Srv.Recorder().Describe(trtc.SDKAppID(appID), task)
	var videoFile, audioFile string
	for _, f := range info.Files {
		switch f.TrackType {
		case "video":
			videoFile = filepath.Join(info.Dir, f.FileName)
		case "audio":
			audioFile = filepath.Join(info.Dir, f.FileName)
		}
	}
	if videoFile == "" || audioFile == "" || len(info.Files) != 2 {
		t.Fatalf("files %v, want one video and one audio", info.Files)
	}

	frames := warm + len(clip)
	codec, dur := probeFile(t, videoFile)
	if want := float64(frames) * 0.040; codec != wantCodec || dur < want-0.5 || dur > want+0.5 {
		t.Fatalf("video: %s, %.3f s; want %s, %.3f s ±0.5", codec, dur, wantCodec, want)
	}
	codec, dur = probeFile(t, audioFile)
	if want := float64(audioSent) * 0.020; codec != "opus" || dur < want-0.5 || dur > want+0.5 {
		t.Fatalf("audio: %s, %.3f s; want opus, %.3f s ±0.5", codec, dur, want)
	}

	// Every frame of the clip decodes from the recording, in order, after
	// the warm-up copies of its first frame.
	want := frameMD5s(t, clipPath)
	got := frameMD5s(t, videoFile)
	if len(got) < len(want) {
		t.Fatalf("recording decodes to %d frames, fewer than the %d of the clip", len(got), len(want))
	}
	tail := got[len(got)-len(want):]
	for i := range want {
		if tail[i] != want[i] {
			t.Fatalf("frame %d of the clip differs in the recording (%d decoded frames, %d warm-up sent)", i, len(got), warm)
		}
	}
	for i, s := range got[:len(got)-len(want)] {
		if s != want[0] {
			t.Fatalf("warm-up frame %d is not the clip's first frame", i)
		}
	}

	hs := hooks.waitFor("RECORDER_STOP", func(hs []hook) bool {
		for _, h := range hs {
			if h.Type == 302 {
				return true
			}
		}
		return false
	})
	var types []int
	for _, h := range hs {
		if h.Type/100 != 3 {
			continue
		}
		if h.Info["TaskId"] != task || h.Info["UserId"] != "recorder_1" {
			t.Fatalf("event %d: %v", h.Type, h.Info)
		}
		types = append(types, h.Type)
		if h.Type == 302 {
			if lc := fmt.Sprint(h.Info["Payload"].(map[string]any)["LeaveCode"]); lc != "0" {
				t.Fatalf("RECORDER_STOP LeaveCode %s after Delete, want 0", lc)
			}
		}
	}
	if fmt.Sprint(types) != "[301 307 307 310 302]" {
		t.Fatalf("recording events %v, want [301 307 307 310 302]", types)
	}
}

func TestRecordingIdleStop(t *testing.T) {
	hooks := newHookReceiver(t, nil)
	e := NewEnv(t, withWebhook(hooks.URL(), nil))
	resp, code := e.callResp("CreateCloudRecording", map[string]any{
		"SdkAppId": appID, "RoomId": "empty-room", "RoomIdType": 0,
		"UserId": "recorder_2", "UserSig": e.Sig("recorder_2"),
		"RecordParams": map[string]any{"RecordMode": 1, "MaxIdleTime": 5},
	})
	if code != "" {
		t.Fatalf("CreateCloudRecording: %s", code)
	}
	task, _ := resp["TaskId"].(string)
	hooks.waitFor("RECORDER_STOP", func(hs []hook) bool {
		for _, h := range hs {
			if h.Type == 302 && h.Info["RoomId"] == "empty-room" && fmt.Sprint(h.Info["Payload"].(map[string]any)["LeaveCode"]) == "99" {
				return true
			}
		}
		return false
	})
	if st := describe(e, task)["Status"]; st != "Exited" {
		t.Fatalf("Status %v after the idle stop, want Exited", st)
	}
	if _, code := e.callResp("DeleteCloudRecording", map[string]any{"SdkAppId": appID, "TaskId": task}); code != "ResourceNotFound" {
		t.Fatalf("Delete after the end: %q, want ResourceNotFound", code)
	}
}

func TestRecordingBadInput(t *testing.T) {
	e := NewEnv(t)
	good := func() map[string]any {
		return map[string]any{"SdkAppId": appID, "RoomId": "1234", "UserId": "rec", "UserSig": e.Sig("rec"),
			"RecordParams": map[string]any{"RecordMode": 1}}
	}
	rp := func(m map[string]any) map[string]any { return m["RecordParams"].(map[string]any) }
	for _, tc := range []struct {
		name   string
		edit   func(m map[string]any)
		action string
		want   string
	}{
		{"no SdkAppId", func(m map[string]any) { delete(m, "SdkAppId") }, "", "MissingParameter.SdkAppId"},
		{"no RoomId", func(m map[string]any) { delete(m, "RoomId") }, "", "MissingParameter.RoomId"},
		{"no UserId", func(m map[string]any) { delete(m, "UserId") }, "", "MissingParameter.UserId"},
		{"no UserSig", func(m map[string]any) { delete(m, "UserSig") }, "", "MissingParameter.UserSig"},
		{"no RecordParams", func(m map[string]any) { delete(m, "RecordParams") }, "", "MissingParameter.RecordParams"},
		{"no RecordMode", func(m map[string]any) { delete(rp(m), "RecordMode") }, "", "MissingParameter.RecordMode"},
		{"RecordMode 3", func(m map[string]any) { rp(m)["RecordMode"] = 3 }, "", "InvalidParameter.OutOfRange"},
		{"mixed, odd width", func(m map[string]any) {
			rp(m)["RecordMode"] = 2
			m["MixTranscodeParams"] = map[string]any{"VideoParams": map[string]any{"Width": 321}}
		}, "", "InvalidParameter.OutOfRange"},
		{"numeric room that is not a number", func(m map[string]any) { m["RoomId"] = "abc" }, "", "InvalidParameter.RoomId"},
		{"RoomIdType 2", func(m map[string]any) { m["RoomIdType"] = 2 }, "", "InvalidParameter.OutOfRange"},
		{"MaxIdleTime 4", func(m map[string]any) { rp(m)["MaxIdleTime"] = 4 }, "", "InvalidParameter.OutOfRange"},
		{"MaxMediaFileDuration 1441", func(m map[string]any) { rp(m)["MaxMediaFileDuration"] = 1441 }, "", "InvalidParameter.OutOfRange"},
		{"StreamType 3", func(m map[string]any) { rp(m)["StreamType"] = 3 }, "", "InvalidParameter.OutOfRange"},
		{"ResourceExpiredHour 5", func(m map[string]any) { m["ResourceExpiredHour"] = 5 }, "", "InvalidParameter.OutOfRange"},
		{"wrong UserSig", func(m map[string]any) { m["UserSig"] = e.Sig("someone_else") }, "", "InvalidParameter.UserSig"},
		{"bad UserId", func(m map[string]any) { m["UserId"] = "a b" }, "", "InvalidParameter.UserId"},
		{"bad pattern", func(m map[string]any) {
			rp(m)["SubscribeStreamUserIds"] = map[string]any{"SubscribeAudioUserIds": []string{"(a"}}
		}, "", "InvalidParameter"},
		{"33 patterns", func(m map[string]any) {
			rp(m)["SubscribeStreamUserIds"] = map[string]any{"SubscribeVideoUserIds": make([]string, 33)}
		}, "", "InvalidParameter.OutOfRange"},
		{"unknown field", func(m map[string]any) { rp(m)["Bogus"] = 1 }, "", "UnknownParameter"},
		{"cloud storage without Region", func(m map[string]any) {
			m["StorageParams"] = map[string]any{"CloudStorage": map[string]any{"Vendor": 1}}
		}, "", "MissingParameter.Region"},
		{"cloud VOD without TencentVod", func(m map[string]any) {
			m["StorageParams"] = map[string]any{"CloudVod": map[string]any{}}
		}, "", "MissingParameter"},
		{"Describe without TaskId", nil, "DescribeCloudRecording", "MissingParameter.TaskId"},
		{"Delete without TaskId", nil, "DeleteCloudRecording", "MissingParameter.TaskId"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := e.With(t)
			m := good()
			action := "CreateCloudRecording"
			if tc.action != "" {
				action, m = tc.action, map[string]any{"SdkAppId": appID}
			} else {
				tc.edit(m)
			}
			if _, code := e.callResp(action, m); code != tc.want {
				t.Fatalf("%s: %q, want %q", action, code, tc.want)
			}
		})
	}
	for _, action := range []string{"DescribeCloudRecording", "DeleteCloudRecording", "ModifyCloudRecording"} {
		if _, code := e.callResp(action, map[string]any{"SdkAppId": appID, "TaskId": "no-such-task"}); code != "ResourceNotFound" {
			t.Fatalf("%s of an unknown task: %q, want ResourceNotFound", action, code)
		}
	}
}

// TestRecordingModify moves an audio-only task from alice to bob with
// ModifyCloudRecording while both keep talking.
func TestRecordingModify(t *testing.T) {
	e := NewEnv(t)
	const room = 7702
	alice := e.Join("alice", room, rtc.SceneVideoCall, rtc.RoleAnchor)
	bob := e.Join("bob", room, rtc.SceneVideoCall, rtc.RoleAnchor)
	resp, code := e.callResp("CreateCloudRecording", map[string]any{
		"SdkAppId": appID, "RoomId": strconv.Itoa(room),
		"UserId": "recorder_3", "UserSig": e.Sig("recorder_3"),
		"RecordParams": map[string]any{"RecordMode": 1, "StreamType": 1,
			"SubscribeStreamUserIds": map[string]any{"SubscribeAudioUserIds": []string{"alice"}}},
	})
	if code != "" {
		t.Fatalf("CreateCloudRecording: %s", code)
	}
	task, _ := resp["TaskId"].(string)
	alice.EnableCustomAudioCapture(true)
	bob.EnableCustomAudioCapture(true)
	var n uint32
	talk := func() {
		for _, c := range []*Client{alice, bob} {
			_ = c.SendCustomAudioData(&rtc.AudioFrame{Format: rtc.AudioFormatOpus, Data: opusPacket(1, n), SampleRate: 48000, Channels: 1, Timestamp: 1000 + uint64(n)*20})
		}
		n++
		time.Sleep(20 * time.Millisecond)
	}
	filesOf := func() map[string]int {
		users := map[string]int{}
		files, _ := describe(e, task)["StorageFileList"].([]any)
		for _, f := range files {
			u, _ := f.(map[string]any)["UserId"].(string)
			users[u]++
		}
		return users
	}
	waitFiles := func(what string, ok func(map[string]int) bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !ok(filesOf()) {
			if time.Now().After(deadline) {
				t.Fatalf("no %s within 10 s: %v", what, filesOf())
			}
			for range 5 {
				talk()
			}
		}
	}
	waitFiles("file of alice", func(u map[string]int) bool { return u["alice"] == 1 })
	if u := filesOf(); u["bob"] != 0 {
		t.Fatalf("bob recorded though not subscribed: %v", u)
	}
	if _, code := e.callResp("ModifyCloudRecording", map[string]any{"SdkAppId": appID, "TaskId": task,
		"SubscribeStreamUserIds": map[string]any{"SubscribeAudioUserIds": []string{"bob"}}}); code != "" {
		t.Fatalf("ModifyCloudRecording: %s", code)
	}
	waitFiles("file of bob", func(u map[string]int) bool { return u["bob"] == 1 })
	for range 10 {
		talk()
	}
	if _, code := e.callResp("DeleteCloudRecording", map[string]any{"SdkAppId": appID, "TaskId": task}); code != "" {
		t.Fatalf("DeleteCloudRecording: %s", code)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := e.Srv.Recorder().Wait(ctx, trtc.SDKAppID(appID), task); err != nil {
		t.Fatal(err)
	}
	info, _ := e.Srv.Recorder().Describe(trtc.SDKAppID(appID), task)
	if len(info.Files) != 2 {
		t.Fatalf("files %v, want alice's then bob's", info.Files)
	}
	for _, f := range info.Files {
		if codec, _ := probeFile(t, filepath.Join(info.Dir, f.FileName)); codec != "opus" {
			t.Fatalf("%s: %s", f.FileName, codec)
		}
	}
	if _, code := e.callResp("ModifyCloudRecording", map[string]any{"SdkAppId": appID, "TaskId": task}); code != "ResourceNotFound" {
		t.Fatalf("Modify after the end: %q, want ResourceNotFound", code)
	}
}

// TestRecordingSurvivesSIGKILL kills the real server binary with SIGKILL
// while it records: the file written so far is playable, and the server
// started again on the same data directory reports the task ended
// (RECORDER_STOP LeaveCode 100) and describes it as Exited with its file.
func TestRecordingSurvivesSIGKILL(t *testing.T) {
	rcv := newHookReceiver(t, nil)
	bin := buildServer(t)
	dir := t.TempDir()
	cfgFile := childConfig(t, dir, rcv.URL(), "")
	srv := startChild(t, bin, cfgFile)
	const room = 7703
	alice := joinAt(t, srv.addr, "alice", room)
	sig, err := usersig.GenUserSig(appID, appSecret, "recorder_9", 3600)
	if err != nil {
		t.Fatal(err)
	}
	resp, code := callRespAt(t, srv.addr, "CreateCloudRecording", map[string]any{
		"SdkAppId": appID, "RoomId": strconv.Itoa(room), "UserId": "recorder_9", "UserSig": sig,
		"RecordParams": map[string]any{"RecordMode": 1, "StreamType": 1},
	})
	if code != "" {
		t.Fatalf("CreateCloudRecording: %s", code)
	}
	task, _ := resp["TaskId"].(string)
	alice.EnableCustomAudioCapture(true)
	var n uint32
	talk := func(packets int) {
		for range packets {
			_ = alice.SendCustomAudioData(&rtc.AudioFrame{Format: rtc.AudioFormatOpus, Data: opusPacket(1, n), SampleRate: 48000, Channels: 1, Timestamp: 1000 + uint64(n)*20})
			n++
			time.Sleep(20 * time.Millisecond)
		}
	}
	isSlice := func(hs []hook) bool {
		return slices.ContainsFunc(hs, func(h hook) bool { return h.Type == 307 && h.Info["TaskId"] == task })
	}
	for !isSlice(rcv.got()) {
		if n > 500 {
			t.Fatalf("no FILE_SLICE after %d packets: %v", n, strs(rcv.got()))
		}
		talk(10)
	}
	talk(100) // 2 s more
	_ = srv.stop(syscall.SIGKILL)

	// The orphaned ffmpeg sees its input end and leaves a playable file.
	files, _ := filepath.Glob(filepath.Join(dir, "data", "recordings", strconv.Itoa(appID), task, "alice_main_audio_*.ogg"))
	if len(files) != 1 {
		t.Fatalf("files after SIGKILL: %v", files)
	}
	deadline := time.Now().Add(waitTimeout)
	for {
		out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", files[0]).Output()
		d, _ := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
		if err == nil && d >= 1.5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the file of the killed server: %q, %v", out, err)
		}
		time.Sleep(100 * time.Millisecond)
	}

	srv2 := startChild(t, bin, cfgFile)
	rcv.waitFor("RECORDER_STOP of the interrupted task", func(hs []hook) bool {
		return slices.ContainsFunc(hs, func(h hook) bool {
			return h.Type == 302 && h.Info["TaskId"] == task && fmt.Sprint(h.Info["Payload"].(map[string]any)["LeaveCode"]) == "100"
		})
	})
	d, code := callRespAt(t, srv2.addr, "DescribeCloudRecording", map[string]any{"SdkAppId": appID, "TaskId": task})
	if code != "" || d["Status"] != "Exited" || len(d["StorageFileList"].([]any)) != 1 {
		t.Fatalf("Describe after the restart: %q %v", code, d)
	}
	if err := srv2.stop(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
}
