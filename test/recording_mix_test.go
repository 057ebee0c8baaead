package test

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/examples/mediafile"
	"github.com/rtcengine/rtcengine/internal/trtc"
	"github.com/rtcengine/rtcengine/rtc"
)

// Mixed recording (RecordMode 2) end to end (docs/recording.md): two Go
// clients publish solid-colour VP8 and sine-tone Opus made by ffmpeg, a
// task mixes them in nine-grid, a Modify switches to a custom layout, and
// ffmpeg's decoder checks the MP4: each colour in its cell before and after
// the change, both tones in the audio.

// solidVP8 encodes one 320x240 VP8 keyframe of a colour.
func solidVP8(t *testing.T, color string) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), color+".ivf")
	if out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
		"color=c="+color+":s=320x240:r=15", "-frames:v", "1", "-c:v", "libvpx", "-b:v", "300k", "-y", path).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, out)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := mediafile.NewIVFReader(f)
	if err != nil {
		t.Fatal(err)
	}
	fr, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	return fr.Data
}

// solidPNG makes a 64×64 PNG of one colour (an ffmpeg colour name or
// 0xRRGGBB) with ffmpeg and returns its bytes.
func solidPNG(t *testing.T, color string) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "solid.png")
	if out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "color=c="+color+":s=64x64",
		"-frames:v", "1", "-y", path).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, out)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sineOpus encodes 4 s of a tone as 20 ms mono Opus packets.
func sineOpus(t *testing.T, hz int) [][]byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tone.ogg")
	if out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
		"sine=frequency="+strconv.Itoa(hz)+":sample_rate=48000", "-t", "4", "-c:a", "libopus",
		"-frame_duration", "20", "-b:a", "48k", "-y", path).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, out)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := mediafile.NewOpusReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var pkts [][]byte
	for {
		p, err := r.Next()
		if err != nil {
			return pkts
		}
		pkts = append(pkts, p.Data)
	}
}

// mixPublisher sends a colour and a tone in real time.
type mixPublisher struct {
	c       *Client
	key     []byte
	tone    [][]byte
	n       int
	noVideo bool // stopped publishing video
}

func (p *mixPublisher) tick(t *testing.T) {
	ts := uint64(1000 + 20*p.n)
	if err := p.c.SendCustomAudioData(&rtc.AudioFrame{Format: rtc.AudioFormatOpus, Data: p.tone[p.n%len(p.tone)],
		SampleRate: 48000, Channels: 1, Timestamp: ts}); err != nil {
		t.Fatal(err)
	}
	if p.n%3 == 0 && !p.noVideo { // every 60 ms; each frame a keyframe, so a decoder may start anywhere
		if err := p.c.SendCustomVideoData(rtc.StreamBig, &rtc.VideoFrame{Format: rtc.VideoFormatVP8, Data: p.key, Keyframe: true, Timestamp: ts}); err != nil {
			t.Fatal(err)
		}
	}
	p.n++
}

// feedWhile sends 20 ms of media from every publisher until done reports
// true (at most waitTimeout).
func feedWhile(t *testing.T, what string, pubs []*mixPublisher, done func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	start := time.Now()
	for i := 0; !done(); i++ {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, waitTimeout)
		}
		for _, p := range pubs {
			p.tick(t)
		}
		time.Sleep(time.Until(start.Add(time.Duration(i+1) * 20 * time.Millisecond)))
	}
}

// feedFor sends media for d.
func feedFor(t *testing.T, pubs []*mixPublisher, d time.Duration) {
	end := time.Now().Add(d)
	feedWhile(t, "feeding", pubs, func() bool { return time.Now().After(end) })
}

// mixShows reports whether the task's output shows exactly these users'
// cells (user, left, top, width), decoded.
func mixShows(e *Env, task string, want ...[4]any) func() bool {
	return func() bool {
		cells, err := e.Srv.Recorder().MixInputs(trtc.SDKAppID(appID), task)
		if err != nil || len(cells) != len(want) {
			return false
		}
		for i, c := range cells {
			w := want[i]
			if !c.Live || string(c.UserID) != w[0] || c.Left != w[1] || c.Top != w[2] || c.Width != w[3] {
				return false
			}
		}
		return true
	}
}

// colorsAt decodes the frame at second at and returns the RGB at points.
func colorsAt(t *testing.T, path string, at float64, w, h int, pts ...[2]int) [][3]int {
	t.Helper()
	out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-ss", strconv.FormatFloat(at, 'f', 3, 64),
		"-i", path, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-").Output()
	if err != nil || len(out) != w*h*3 {
		t.Fatalf("decode %s at %.2f s: %v (%d bytes)", path, at, err, len(out))
	}
	var c [][3]int
	for _, p := range pts {
		i := (p[1]*w + p[0]) * 3
		c = append(c, [3]int{int(out[i]), int(out[i+1]), int(out[i+2])})
	}
	return c
}

func near(c [3]int, want [3]int) bool {
	for i := range c {
		if c[i] < want[i]-60 || c[i] > want[i]+60 {
			return false
		}
	}
	return true
}

// tones returns the power of each frequency in a file's audio from second
// from for d, relative to the audio's total power (Goertzel over 50 ms
// blocks).
func tones(t *testing.T, path string, from, d float64, freqs ...float64) []float64 {
	t.Helper()
	out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-ss", strconv.FormatFloat(from, 'f', 3, 64),
		"-t", strconv.FormatFloat(d, 'f', 3, 64), "-i", path, "-vn", "-ac", "1", "-ar", "48000", "-f", "s16le", "-").Output()
	if err != nil || len(out) < 9600 {
		t.Fatalf("decode the audio of %s: %v (%d bytes)", path, err, len(out))
	}
	x := make([]float64, len(out)/2)
	var total float64
	for i := range x {
		x[i] = float64(int16(binary.LittleEndian.Uint16(out[2*i:])))
		total += x[i] * x[i]
	}
	const block = 2400
	res := make([]float64, len(freqs))
	for j, f := range freqs {
		k := 2 * math.Cos(2*math.Pi*f/48000)
		for b := 0; b+block <= len(x); b += block {
			var s1, s2 float64
			for _, v := range x[b : b+block] {
				s1, s2 = v+k*s1-s2, s1
			}
			res[j] += s1*s1 + s2*s2 - k*s1*s2
		}
		res[j] /= total*block/2 + 1
	}
	return res
}

func fileDuration(t *testing.T, path string) float64 {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path).Output()
	d, perr := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	if err != nil || perr != nil {
		t.Fatalf("ffprobe %s: %v %q", path, err, out)
	}
	return d
}

func TestRecordingMixed(t *testing.T) {
	hooks := newHookReceiver(t, nil)
	e := NewEnv(t, withWebhook(hooks.URL(), nil))
	const room = 7711
	red := &mixPublisher{c: e.Join("red", room, rtc.SceneVideoCall, rtc.RoleAnchor), key: solidVP8(t, "red"), tone: sineOpus(t, 440)}
	blue := &mixPublisher{c: e.Join("blue", room, rtc.SceneVideoCall, rtc.RoleAnchor), key: solidVP8(t, "blue"), tone: sineOpus(t, 1000)}
	resp, code := e.callResp("CreateCloudRecording", map[string]any{
		"SdkAppId": appID, "RoomId": strconv.Itoa(room), "UserId": "mixer_1", "UserSig": e.Sig("mixer_1"),
		"RecordParams": map[string]any{"RecordMode": 2, "OutputFormat": 1, "MaxIdleTime": 30},
		"MixTranscodeParams": map[string]any{
			"VideoParams": map[string]any{"Width": 320, "Height": 240, "Fps": 15, "BitRate": 400000, "Gop": 1},
			"AudioParams": map[string]any{"SampleRate": 1, "Channel": 2, "BitRate": 64000}},
		"MixLayoutParams": map[string]any{"MixLayoutMode": 3, "BackGroundColor": "#000000"},
	})
	if code != "" {
		t.Fatalf("CreateCloudRecording: %s", code)
	}
	task, _ := resp["TaskId"].(string)

	// Red publishes first, so nine-grid puts it on the left.
	for _, p := range []*mixPublisher{red, blue} {
		p.c.EnableCustomVideoCapture(rtc.StreamBig, true)
		p.c.EnableCustomAudioCapture(true)
	}
	feedWhile(t, "red in the mix", []*mixPublisher{red}, mixShows(e, task, [4]any{"red", 0, 0, 320}))
	pubs := []*mixPublisher{red, blue}
	feedWhile(t, "nine-grid of red and blue", pubs, mixShows(e, task, [4]any{"red", 0, 0, 160}, [4]any{"blue", 160, 0, 160}))
	grid := time.Now()
	feedFor(t, pubs, time.Second)

	// Custom: blue fills the canvas, red in a window at the top left.
	modify := time.Now()
	if _, code := e.callResp("ModifyCloudRecording", map[string]any{"SdkAppId": appID, "TaskId": task,
		"MixLayoutParams": map[string]any{"MixLayoutMode": 4, "MixLayoutList": []map[string]any{
			{"UserId": "blue", "Top": 0, "Left": 0, "Width": 320, "Height": 240, "ImageLayer": 1},
			{"UserId": "red", "Top": 10, "Left": 10, "Width": 100, "Height": 80, "ImageLayer": 2, "RenderMode": 0},
		}}}); code != "" {
		t.Fatalf("ModifyCloudRecording: %s", code)
	}
	feedWhile(t, "custom layout", pubs, mixShows(e, task, [4]any{"blue", 0, 0, 320}, [4]any{"red", 10, 10, 100}))
	custom := time.Now()
	t.Logf("the custom layout is in the output %v after the Modify", custom.Sub(modify).Round(time.Millisecond))
	feedFor(t, pubs, time.Second)
	if _, code := e.callResp("ModifyCloudRecording", map[string]any{"SdkAppId": appID, "TaskId": task,
		"MixLayoutParams": map[string]any{"MixLayoutMode": 4, "MixLayoutList": []map[string]any{
			{"UserId": "red", "Top": 200, "Left": 0, "Width": 100, "Height": 80}}}}); code != "InvalidParameter.OutOfRange" {
		t.Fatalf("Modify with a window outside the canvas: %q, want InvalidParameter.OutOfRange", code)
	}
	// Blue stops publishing video (its voice goes on): its window is
	// empty, red's stays.
	blue.c.EnableCustomVideoCapture(rtc.StreamBig, false)
	blue.noVideo = true
	feedWhile(t, "blue's video gone", pubs, mixShows(e, task, [4]any{"red", 10, 10, 100}))
	gone := time.Now()
	feedFor(t, pubs, time.Second)
	stopAt := time.Now()
	if _, code := e.callResp("DeleteCloudRecording", map[string]any{"SdkAppId": appID, "TaskId": task}); code != "" {
		t.Fatalf("DeleteCloudRecording: %s", code)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := e.Srv.Recorder().Wait(ctx, trtc.SDKAppID(appID), task); err != nil {
		t.Fatal(err)
	}

	d := describe(e, task)
	files, _ := d["StorageFileList"].([]any)
	if d["Status"] != "Exited" || len(files) != 2 {
		t.Fatalf("Describe after the end: %v", d)
	}
	info, _ := e.Srv.Recorder().Describe(trtc.SDKAppID(appID), task)
	var mp4, m3u8 string
	for _, f := range files {
		f := f.(map[string]any)
		name, _ := f["FileName"].(string)
		if f["UserId"] != "" || f["TrackType"] != "audio_video" {
			t.Fatalf("file %v: want UserId \"\" and TrackType audio_video", f)
		}
		switch filepath.Ext(name) {
		case ".mp4":
			mp4 = filepath.Join(info.Dir, name)
		case ".m3u8":
			m3u8 = filepath.Join(info.Dir, name)
		}
	}
	if mp4 == "" || m3u8 == "" {
		t.Fatalf("files %v: want an MP4 and an HLS playlist", files)
	}
	// The file ends when the task stopped: find the phases from its end.
	dur := fileDuration(t, mp4)
	if hls := fileDuration(t, m3u8); math.Abs(hls-dur) > 0.5 {
		t.Fatalf("HLS %.2f s, MP4 %.2f s", hls, dur)
	}
	at := dur - stopAt.Sub(grid).Seconds() + 0.5
	c := colorsAt(t, mp4, at, 320, 240, [2]int{80, 120}, [2]int{240, 120})
	if !near(c[0], [3]int{255, 0, 0}) || !near(c[1], [3]int{0, 0, 255}) {
		t.Fatalf("nine-grid at %.2f s of %.2f: left %v, right %v; want red, blue", at, dur, c[0], c[1])
	}
	at = dur - stopAt.Sub(custom).Seconds() + 0.5
	c = colorsAt(t, mp4, at, 320, 240, [2]int{60, 50}, [2]int{240, 120}, [2]int{160, 200})
	if !near(c[0], [3]int{255, 0, 0}) || !near(c[1], [3]int{0, 0, 255}) || !near(c[2], [3]int{0, 0, 255}) {
		t.Fatalf("custom layout at %.2f s of %.2f: window %v, canvas %v %v; want red, blue, blue", at, dur, c[0], c[1], c[2])
	}
	p := tones(t, mp4, at-0.3, 0.8, 440, 1000, 700)
	if p[0] < 0.1 || p[1] < 0.1 || p[2] > 0.02 {
		t.Fatalf("audio: 440 Hz %.3f, 1000 Hz %.3f, 700 Hz %.3f of the power; want both tones", p[0], p[1], p[2])
	}
	at = dur - stopAt.Sub(gone).Seconds() + 0.5
	c = colorsAt(t, mp4, at, 320, 240, [2]int{60, 50}, [2]int{240, 120})
	if !near(c[0], [3]int{255, 0, 0}) || !near(c[1], [3]int{0, 0, 0}) {
		t.Fatalf("after blue's video ended, at %.2f s of %.2f: window %v, canvas %v; want red, black", at, dur, c[0], c[1])
	}

	hs := hooks.waitFor("RECORDER_STOP", func(hs []hook) bool {
		for _, h := range hs {
			if h.Type == 302 && h.Info["TaskId"] == task {
				return true
			}
		}
		return false
	})
	var types []int
	for _, h := range hs {
		if h.Type/100 != 3 || h.Info["TaskId"] != task {
			continue
		}
		types = append(types, h.Type)
		pl, _ := h.Info["Payload"].(map[string]any)
		switch h.Type {
		case 307:
			if pl["UserId"] != "" || pl["TrackType"] != "audio_video" {
				t.Fatalf("FILE_SLICE %v", pl)
			}
		case 310:
			msgs, _ := pl["FileMessage"].([]any)
			if len(msgs) != 2 || msgs[0].(map[string]any)["MediaId"] != "mix" {
				t.Fatalf("MP4_STOP %v", pl)
			}
		}
	}
	if fmt.Sprint(types) != "[301 307 307 310 302]" {
		t.Fatalf("events %v, want [301 307 307 310 302]", types)
	}
	if _, code := e.callResp("ModifyCloudRecording", map[string]any{"SdkAppId": appID, "TaskId": task,
		"MixLayoutParams": map[string]any{"MixLayoutMode": 1}}); code != "ResourceNotFound" {
		t.Fatalf("Modify after the end: %q, want ResourceNotFound", code)
	}
}

// TestRecordingMixedBadInput: bad sizes, bitrates and layouts get
// InvalidParameter.*, UnknownParameter or UnsupportedOperation; a layout
// for a single-stream task gets FailedOperation.CRUnsupportMethod.
func TestRecordingMixedBadInput(t *testing.T) {
	e := NewEnv(t)
	create := func(transcode, layout map[string]any) string {
		m := map[string]any{"SdkAppId": appID, "RoomId": "4321", "UserId": "mixer_bad", "UserSig": e.Sig("mixer_bad"),
			"RecordParams": map[string]any{"RecordMode": 2, "MaxIdleTime": 5}}
		if transcode != nil {
			m["MixTranscodeParams"] = transcode
		}
		if layout != nil {
			m["MixLayoutParams"] = layout
		}
		_, code := e.callResp("CreateCloudRecording", m)
		return code
	}
	video := func(k string, v any) map[string]any { return map[string]any{"VideoParams": map[string]any{k: v}} }
	audio := func(k string, v any) map[string]any { return map[string]any{"AudioParams": map[string]any{k: v}} }
	var windows26 []map[string]any
	for range 26 {
		windows26 = append(windows26, map[string]any{"Width": 10, "Height": 10})
	}
	win := func(w map[string]any) map[string]any {
		return map[string]any{"MixLayoutMode": 4, "MixLayoutList": []map[string]any{w}}
	}
	for _, tc := range []struct {
		name      string
		transcode map[string]any
		layout    map[string]any
		want      string
	}{
		{"width 1922", video("Width", 1922), nil, "InvalidParameter.OutOfRange"},
		{"odd height", video("Height", 241), nil, "InvalidParameter.OutOfRange"},
		{"1920x1920", map[string]any{"VideoParams": map[string]any{"Width": 1920, "Height": 1920}}, nil, "InvalidParameter.OutOfRange"},
		{"fps 61", video("Fps", 61), nil, "InvalidParameter.OutOfRange"},
		{"video bitrate 1000", video("BitRate", 1000), nil, "InvalidParameter.OutOfRange"},
		{"video bitrate 9000000", video("BitRate", 9000000), nil, "InvalidParameter.OutOfRange"},
		{"gop 11", video("Gop", 11), nil, "InvalidParameter.OutOfRange"},
		{"sample rate 4", audio("SampleRate", 4), nil, "InvalidParameter.OutOfRange"},
		{"3 channels", audio("Channel", 3), nil, "InvalidParameter.OutOfRange"},
		{"audio bitrate 200000", audio("BitRate", 200000), nil, "InvalidParameter.OutOfRange"},
		{"width as text", video("Width", "wide"), nil, "InvalidParameter.BodyParamsError"},
		{"unknown video field", video("Bogus", 1), nil, "UnknownParameter"},
		{"layout mode 5", nil, map[string]any{"MixLayoutMode": 5}, "InvalidParameter.OutOfRange"},
		{"custom without windows", nil, map[string]any{"MixLayoutMode": 4}, "InvalidParameter"},
		{"window outside the canvas", nil, win(map[string]any{"Left": 300, "Width": 100, "Height": 100}), "InvalidParameter.OutOfRange"},
		{"window without a width", nil, win(map[string]any{"Height": 100}), "MissingParameter"},
		{"window render mode 3", nil, win(map[string]any{"Width": 10, "Height": 10, "RenderMode": 3}), "InvalidParameter.OutOfRange"},
		{"window bad user id", nil, win(map[string]any{"Width": 10, "Height": 10, "UserId": "a b"}), "InvalidParameter"},
		{"26 windows", nil, map[string]any{"MixLayoutMode": 4, "MixLayoutList": windows26}, "InvalidParameter.OutOfRange"},
		{"colour red", nil, map[string]any{"BackGroundColor": "red"}, "InvalidParameter"},
		{"background image not http", nil, map[string]any{"BackgroundImageUrl": "ftp://x/y.png"}, "InvalidParameter"},
		{"watermark outside the canvas", nil, map[string]any{"WaterMarkList": []map[string]any{{"WaterMarkType": 0,
			"WaterMarkImage": map[string]any{"WaterMarkUrl": "http://x/w.png", "Left": 300, "Width": 100, "Height": 10}}}}, "InvalidParameter.OutOfRange"},
		{"text watermark", nil, map[string]any{"WaterMarkList": []map[string]any{{"WaterMarkType": 1}}}, "UnsupportedOperation"},
		{"unknown layout field", nil, map[string]any{"Bogus": 1}, "UnknownParameter"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code := create(tc.transcode, tc.layout); code != tc.want {
				t.Fatalf("%q, want %q", code, tc.want)
			}
		})
	}
	resp, code := e.callResp("CreateCloudRecording", map[string]any{"SdkAppId": appID, "RoomId": "4322",
		"UserId": "single", "UserSig": e.Sig("single"), "RecordParams": map[string]any{"RecordMode": 1, "MaxIdleTime": 5}})
	if code != "" {
		t.Fatalf("CreateCloudRecording: %s", code)
	}
	if _, code := e.callResp("ModifyCloudRecording", map[string]any{"SdkAppId": appID, "TaskId": resp["TaskId"],
		"MixLayoutParams": map[string]any{"MixLayoutMode": 1}}); code != "FailedOperation.CRUnsupportMethod" {
		t.Fatalf("layout for a single-stream task: %q", code)
	}
}
