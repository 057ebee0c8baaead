package test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/rtcengine/rtcengine/internal/trtc"
	"github.com/rtcengine/rtcengine/rtc"
)

// Cloud storage and HLS (docs/recording.md): recordings uploaded to a real
// S3-compatible server (gofakes3) through an outage, and HLS output checked
// with ffprobe and ffmpeg's decoder.

// s3Server is gofakes3 over an in-memory backend on a loopback port; it can
// be stopped (connections refused) and started again on the same port with
// its objects.
type s3Server struct {
	t       *testing.T
	addr    string
	backend *s3mem.Backend
	mu      sync.Mutex
	srv     *http.Server
}

func startS3(t *testing.T, buckets ...string) *s3Server {
	t.Helper()
	s := &s3Server{t: t, backend: s3mem.New()}
	for _, b := range buckets {
		if err := s.backend.CreateBucket(b); err != nil {
			t.Fatal(err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	s.serve(ln)
	t.Cleanup(s.stop)
	return s
}

func (s *s3Server) serve(ln net.Listener) {
	srv := &http.Server{Handler: gofakes3.New(s.backend).Server()}
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
}

func (s *s3Server) stop() {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
}

func (s *s3Server) restart() {
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		s.t.Fatal(err)
	}
	s.serve(ln)
}

func (s *s3Server) object(bucket, key string) ([]byte, error) {
	c, err := minio.New(s.addr, &minio.Options{Creds: credentials.NewStaticV4("AKID", "SECRET", ""),
		Region: "us-east-1", BucketLookup: minio.BucketLookupPath})
	if err != nil {
		return nil, err
	}
	o, err := c.GetObject(context.Background(), bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, err
	}
	defer o.Close()
	return io.ReadAll(o)
}

// waitHook waits for a recording event of type typ matching ok.
func waitHook(hooks *hookReceiver, typ int, ok func(payload map[string]any) bool) map[string]any {
	var found map[string]any
	hooks.waitFor(fmt.Sprint("event ", typ), func(hs []hook) bool {
		for _, h := range hs {
			if h.Type != typ {
				continue
			}
			p, _ := h.Info["Payload"].(map[string]any)
			if ok == nil || ok(p) {
				found = p
				return true
			}
		}
		return false
	})
	return found
}

func leaveCode(n int) func(map[string]any) bool {
	return func(p map[string]any) bool { return fmt.Sprint(p["LeaveCode"]) == strconv.Itoa(n) }
}

// TestRecordingHLSToS3 records an H.264 clip and Opus from alice as
// hls+mp4 into an S3 bucket. The storage goes down during the recording:
// the files wait locally (UPLOAD_ERROR, Describe: Retrying); it comes back:
// everything is uploaded (UPLOAD_STOP LeaveCode 2), byte for byte. The HLS
// playlist decodes to every frame of the clip.
func TestRecordingHLSToS3(t *testing.T) {
	s3 := startS3(t, "records")
	hooks := newHookReceiver(t, nil)
	e := NewEnv(t, withWebhook(hooks.URL(), nil))
	const room = 7711
	const format = rtc.VideoFormatH264
	clipPath, clip := makeClip(t, format, 100) // 4 s, a keyframe a second

	alice := e.Join("alice", room, rtc.SceneVideoCall, rtc.RoleAnchor)
	resp, code := e.callResp("CreateCloudRecording", map[string]any{
		"SdkAppId": appID, "RoomId": strconv.Itoa(room), "RoomIdType": 1,
		"UserId": "recorder_s3", "UserSig": e.Sig("recorder_s3"),
		"RecordParams": map[string]any{"RecordMode": 1, "OutputFormat": 1},
		"StorageParams": map[string]any{"CloudStorage": map[string]any{
			"Vendor": 1, "Region": "us-east-1", "Bucket": "records", "AccessKey": "AKID", "SecretKey": "SECRET",
			"FileNamePrefix": []string{"app", "day1"}, "EndpointUrl": "http://" + s3.addr}},
	})
	if code != "" {
		t.Fatalf("CreateCloudRecording: %s", code)
	}
	task, _ := resp["TaskId"].(string)

	alice.EnableCustomVideoCapture(rtc.StreamBig, true)
	alice.EnableCustomAudioCapture(true)
	ts := uint64(1000)
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
		if i == 60 {
			s3.stop() // the storage goes down mid-recording
		}
		sendFrame(f.data, f.key)
		time.Sleep(time.Until(start.Add(time.Duration(i+1) * 40 * time.Millisecond)))
	}
	time.Sleep(300 * time.Millisecond) // the last packets through the SFU

	if _, code := e.callResp("DeleteCloudRecording", map[string]any{"SdkAppId": appID, "TaskId": task}); code != "" {
		t.Fatalf("DeleteCloudRecording: %s", code)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := e.Srv.Recorder().Wait(ctx, trtc.SDKAppID(appID), task); err != nil {
		t.Fatal(err)
	}
	errEv := waitHook(hooks, 308, nil)
	if msg, _ := errEv["Message"].(string); !strings.Contains(msg, "refused") {
		t.Fatalf("UPLOAD_ERROR %v: want a refused connection", errEv)
	}
	d := describe(e, task)
	retrying := 0
	for _, f := range d["StorageFileList"].([]any) {
		if f.(map[string]any)["UploadStatus"] == "Retrying" || f.(map[string]any)["UploadStatus"] == "Local" {
			retrying++
		}
	}
	if retrying == 0 {
		t.Fatalf("no file waits locally while the storage is down: %v", d)
	}

	s3.restart()
	waitHook(hooks, 305, leaveCode(2))
	d = describe(e, task)
	info, _ := e.Srv.Recorder().Describe(trtc.SDKAppID(appID), task)
	var playlist, mp4 string
	for _, f := range d["StorageFileList"].([]any) {
		m := f.(map[string]any)
		if m["UploadStatus"] != "Uploaded" {
			t.Fatalf("%v after the storage came back", m)
		}
		name := m["FileName"].(string)
		if m["TrackType"] == "video" && strings.HasSuffix(name, ".m3u8") {
			playlist = filepath.Join(info.Dir, name)
		}
		if strings.HasSuffix(name, ".mp4") {
			mp4 = filepath.Join(info.Dir, name)
		}
	}
	if playlist == "" || mp4 == "" {
		t.Fatalf("files %v: want a video playlist and an MP4", d["StorageFileList"])
	}
	// Every local file (segments too) is in the bucket, byte for byte.
	entries, err := os.ReadDir(info.Dir)
	if err != nil {
		t.Fatal(err)
	}
	objects := 0
	for _, en := range entries {
		if en.Name() == "task.json" || en.Name() == "uploads.json" {
			continue
		}
		local, err := os.ReadFile(filepath.Join(info.Dir, en.Name()))
		if err != nil {
			t.Fatal(err)
		}
		remote, err := s3.object("records", "app/day1/"+task+"/"+en.Name())
		if err != nil || !bytes.Equal(local, remote) {
			t.Fatalf("%s: object %d bytes (%v), local %d bytes", en.Name(), len(remote), err, len(local))
		}
		objects++
	}
	if objects < 6 {
		t.Fatalf("%d objects: want playlists, segments, an MP4 and an Ogg file", objects)
	}

	// The HLS recording: H.264 of the clip's length, every frame of the
	// clip decodes from it, as from the MP4.
	frames := warm + len(clip)
	for _, p := range []string{playlist, mp4} {
		codec, dur := probeFile(t, p)
		if want := float64(frames) * 0.040; codec != "h264" || dur < want-0.5 || dur > want+0.5 {
			t.Fatalf("%s: %s, %.3f s; want h264, %.3f s ±0.5", filepath.Base(p), codec, dur, want)
		}
		want := frameMD5s(t, clipPath)
		got := frameMD5s(t, p)
		if len(got) < len(want) {
			t.Fatalf("%s decodes to %d frames, fewer than the clip's %d", filepath.Base(p), len(got), len(want))
		}
		for i, s := range got[len(got)-len(want):] {
			if s != want[i] {
				t.Fatalf("%s: frame %d of the clip differs", filepath.Base(p), i)
			}
		}
	}
	// Events: 301, 303 first; FILE_INFO names the first playlist's object.
	fi := waitHook(hooks, 304, nil)
	if l, _ := fi["FileList"].([]any); len(l) != 1 || !strings.HasPrefix(fmt.Sprint(l[0]), "app/day1/"+task+"/") {
		t.Fatalf("FILE_INFO %v", fi)
	}
	var types []int
	for _, h := range hooks.got() {
		if h.Type/100 == 3 {
			types = append(types, h.Type)
		}
	}
	if len(types) < 2 || types[0] != 301 || types[1] != 303 {
		t.Fatalf("events %v: want 301, 303 first", types)
	}
}

// TestRecordingNoSuchBucket: a bucket that does not exist is an
// UPLOAD_ERROR naming it, and Describe shows the file kept locally,
// Retrying with the error.
func TestRecordingNoSuchBucket(t *testing.T) {
	s3 := startS3(t, "records")
	hooks := newHookReceiver(t, nil)
	e := NewEnv(t, withWebhook(hooks.URL(), nil))
	const room = 7712
	alice := e.Join("alice", room, rtc.SceneVideoCall, rtc.RoleAnchor)
	alice.EnableCustomAudioCapture(true)
	resp, code := e.callResp("CreateCloudRecording", map[string]any{
		"SdkAppId": appID, "RoomId": strconv.Itoa(room), "UserId": "recorder_nb", "UserSig": e.Sig("recorder_nb"),
		"RecordParams": map[string]any{"RecordMode": 1, "StreamType": 1},
		"StorageParams": map[string]any{"CloudStorage": map[string]any{
			"Vendor": 1, "Region": "us-east-1", "Bucket": "no-such-bucket", "AccessKey": "AKID", "SecretKey": "SECRET",
			"EndpointUrl": "http://" + s3.addr}},
	})
	if code != "" {
		t.Fatalf("CreateCloudRecording: %s", code)
	}
	task, _ := resp["TaskId"].(string)
	for i := range 50 {
		pkt := opusPacket(1, uint32(i))
		if err := alice.SendCustomAudioData(&rtc.AudioFrame{Format: rtc.AudioFormatOpus, Data: pkt, SampleRate: 48000, Channels: 1, Timestamp: uint64(1000 + 20*i)}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, code := e.callResp("DeleteCloudRecording", map[string]any{"SdkAppId": appID, "TaskId": task}); code != "" {
		t.Fatalf("DeleteCloudRecording: %s", code)
	}
	ev := waitHook(hooks, 308, nil)
	if msg, _ := ev["Message"].(string); !strings.Contains(msg, "NoSuchBucket") {
		t.Fatalf("UPLOAD_ERROR %v", ev)
	}
	waitHook(hooks, 305, leaveCode(1))
	files, _ := describe(e, task)["StorageFileList"].([]any)
	if len(files) != 1 {
		t.Fatalf("files %v", files)
	}
	f := files[0].(map[string]any)
	if f["UploadStatus"] != "Retrying" || !strings.Contains(fmt.Sprint(f["UploadError"]), "NoSuchBucket") {
		b, _ := json.Marshal(f)
		t.Fatalf("file %s: want Retrying with NoSuchBucket", b)
	}
}

// publishLoop sends a clip from c over and over, paced at 25 fps, with two
// 20 ms Opus packets a frame when audio is set, until the test ends; it
// returns the send time of each frame sent (index i of the clip's loop n at
// n*len(clip)+i).
func publishLoop(t *testing.T, c *Client, format rtc.VideoFormat, clip []clipFrame, audio bool) *sendLog {
	c.EnableCustomVideoCapture(rtc.StreamBig, true)
	if audio {
		c.EnableCustomAudioCapture(true)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	log := &sendLog{}
	go func() {
		defer close(done)
		start := time.Now()
		for i := 0; ; i++ {
			f := clip[i%len(clip)]
			log.add(time.Now())
			ts := uint64(1000 + 40*i)
			if err := c.SendCustomVideoData(rtc.StreamBig, &rtc.VideoFrame{Format: format, Data: f.data, Keyframe: f.key, Timestamp: ts}); err != nil {
				return
			}
			for k := 0; audio && k < 2; k++ {
				pkt := opusPacket(1, uint32(2*i+k))
				if err := c.SendCustomAudioData(&rtc.AudioFrame{Format: rtc.AudioFormatOpus, Data: pkt, SampleRate: 48000, Channels: 1, Timestamp: ts + 20*uint64(k)}); err != nil {
					return
				}
			}
			select {
			case <-stop:
				return
			case <-time.After(time.Until(start.Add(time.Duration(i+1) * 40 * time.Millisecond))):
			}
		}
	}()
	t.Cleanup(func() {
		close(stop)
		<-done
	})
	return log
}

type sendLog struct {
	mu sync.Mutex
	at []time.Time
}

func (l *sendLog) add(t time.Time) {
	l.mu.Lock()
	l.at = append(l.at, t)
	l.mu.Unlock()
}

func (l *sendLog) get(i int) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if i < 0 || i >= len(l.at) {
		return time.Time{}, false
	}
	return l.at[i], true
}

func httpGet(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// TestLiveHLS plays alice's H.264 camera and Opus microphone live over
// HTTP from the running server: the master playlist, the renditions and a
// segment with their Cache-Control, ffprobe finding H.264 and AAC, ffmpeg
// reading the live playlist (every decoded frame is a frame of the clip:
// remuxed, not transcoded); bob's VP8 camera transcoded to H.264 (no
// audio: a master without an audio group); and the bad requests.
func TestLiveHLS(t *testing.T) {
	e := NewEnv(t)
	const room = 7721
	h264Path, h264 := makeClip(t, rtc.VideoFormatH264, 50)
	_, vp8 := makeClip(t, rtc.VideoFormatVP8, 50)
	alice := e.Join("alice", room, rtc.SceneLive, rtc.RoleAnchor)
	bob := e.Join("bob", room, rtc.SceneLive, rtc.RoleAnchor)
	publishLoop(t, alice, rtc.VideoFormatH264, h264, true)
	publishLoop(t, bob, rtc.VideoFormatVP8, vp8, false)
	// Each sees the other's video: both cameras are in the SFU.
	bob.waitSeen("OnFirstVideoFrame", "alice")
	alice.waitSeen("OnFirstVideoFrame", "bob")
	base := fmt.Sprintf("http://%s/live/%d/%d/", e.Srv.Addr(), appID, room)

	bob.waitSeen("OnFirstAudioFrame", "alice")
	resp, body := httpGet(t, base+"alice/main.m3u8")
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "public, max-age=1" ||
		resp.Header.Get("Content-Type") != "application/vnd.apple.mpegurl" || !bytes.HasPrefix(body, []byte("#EXTM3U")) ||
		!bytes.Contains(body, []byte(`URI="audio.m3u8"`)) || !bytes.Contains(body, []byte("\nvideo.m3u8\n")) {
		t.Fatalf("master playlist: %d %v\n%s", resp.StatusCode, resp.Header, body)
	}
	resp, body = httpGet(t, base+"alice/video.m3u8")
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "public, max-age=1" || !bytes.Contains(body, []byte("#EXTINF")) {
		t.Fatalf("video playlist: %d %v\n%s", resp.StatusCode, resp.Header, body)
	}
	var seg string
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasSuffix(line, ".ts") {
			seg = line
			break
		}
	}
	resp, body = httpGet(t, base+"alice/"+seg)
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "public, max-age=86400, immutable" ||
		resp.Header.Get("Content-Type") != "video/mp2t" || len(body) == 0 || body[0] != 0x47 {
		t.Fatalf("segment %q: %d %v, %d bytes", seg, resp.StatusCode, resp.Header, len(body))
	}

	// ffmpeg plays the live playlist over HTTP: every frame it decodes is
	// one of the clip's.
	clipSums := map[string]bool{}
	for _, s := range frameMD5s(t, h264Path) {
		clipSums[s] = true
	}
	got := liveMD5s(t, base+"alice/main.m3u8", 50)
	if len(got) < 25 {
		t.Fatalf("the live playlist decodes to %d frames, want a segment's worth or more", len(got))
	}
	for i, s := range got {
		if !clipSums[s] {
			t.Fatalf("live frame %d is not a frame of the clip", i)
		}
	}
	if codecs := probeCodecs(t, base+"alice/main.m3u8"); codecs != "aac,h264" {
		t.Fatalf("alice's live stream has %s, want aac,h264", codecs)
	}
	if codecs := probeCodecs(t, base+"bob/main.m3u8"); codecs != "h264" {
		t.Fatalf("bob's VP8 camera plays as %s, want h264 (transcoded)", codecs)
	}

	for _, tc := range []struct {
		path   string
		status int
		code   string
	}{
		{fmt.Sprintf("/live/x/%d/alice/main.m3u8", room), 400, "InvalidParameter.SdkAppId"},
		{fmt.Sprintf("/live/1/%d/alice/main.m3u8", room), 404, "InvalidParameter.SdkAppId"},
		{fmt.Sprintf("/live/%d/abc/alice/main.m3u8", appID), 400, "InvalidParameter.RoomId"},
		{fmt.Sprintf("/live/%d/%d/a%%20b/main.m3u8", appID, room), 400, "InvalidParameter.UserId"},
		{fmt.Sprintf("/live/%d/%d/carol/main.m3u8", appID, room), 404, "ResourceNotFound"},
		{fmt.Sprintf("/live/%d/str/r%d/alice/main.m3u8", appID, room), 404, "ResourceNotFound"},
		{fmt.Sprintf("/live/%d/%d/alice/task.json", appID, room), 404, "ResourceNotFound"},
		{fmt.Sprintf("/live/%d/%d/alice/..%%2f..%%2fx.ts", appID, room), 404, "ResourceNotFound"},
		{fmt.Sprintf("/live/%d/%d/carol/v1_00001.ts", appID, room), 404, "ResourceNotFound"},
		{fmt.Sprintf("/live/%d/%d/alice/v1_00001.ts", appID, room), 404, "ResourceNotFound"},
		{fmt.Sprintf("/live/%d/%d/carol/audio.m3u8", appID, room), 404, "ResourceNotFound"},
	} {
		resp, body := httpGet(t, "http://"+e.Srv.Addr()+tc.path)
		var v struct{ Code string }
		_ = json.Unmarshal(body, &v)
		if resp.StatusCode != tc.status || v.Code != tc.code {
			t.Fatalf("%s: %d %s, want %d %s", tc.path, resp.StatusCode, body, tc.status, tc.code)
		}
	}
}

// liveMD5s decodes the first n frames of a live playlist (which has no end)
// and returns the MD5 of each.
func liveMD5s(t *testing.T, url string, n int) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ffmpeg", "-hide_banner", "-loglevel", "error", "-i", url,
		"-map", "0:v", "-frames:v", strconv.Itoa(n), "-f", "framemd5", "-").Output()
	if err != nil {
		t.Fatalf("decode %s: %v", url, err)
	}
	var sums []string
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		f := strings.Split(line, ",")
		sums = append(sums, strings.TrimSpace(f[len(f)-1]))
	}
	return sums
}

// probeCodecs lists the codecs of a (possibly live) media URL, sorted and
// comma-separated.
func probeCodecs(t *testing.T, url string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ffprobe", "-v", "error", "-show_entries", "stream=codec_name", "-of", "csv=p=0", url).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", url, err)
	}
	var codecs []string
	for _, l := range strings.Fields(string(out)) {
		if !slices.Contains(codecs, l) {
			codecs = append(codecs, l)
		}
	}
	slices.Sort(codecs)
	return strings.Join(codecs, ",")
}
