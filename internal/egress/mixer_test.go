package egress

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/examples/mediafile"
	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/sfu"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// vp8Key encodes one 320x240 VP8 keyframe of a solid colour with ffmpeg.
func vp8Key(t *testing.T, color string) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "key.ivf")
	out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
		"color=c="+color+":s=320x240:r=15", "-frames:v", "1", "-c:v", "libvpx", "-b:v", "300k", "-y", path).CombinedOutput()
	if err != nil {
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

// opusTone encodes d of a sine tone of hz as Opus packets (20 ms each).
func opusTone(t *testing.T, hz int, d time.Duration) [][]byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tone.ogg")
	out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
		"sine=frequency="+strconv.Itoa(hz)+":sample_rate=48000", "-t", strconv.FormatFloat(d.Seconds(), 'f', 3, 64),
		"-c:a", "libopus", "-frame_duration", "20", "-b:a", "48k", "-y", path).CombinedOutput()
	if err != nil {
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
			break
		}
		pkts = append(pkts, p.Data)
	}
	return pkts
}

// rgbAt decodes the frame at second at of a video file and returns the
// colours at the given points.
func rgbAt(t *testing.T, path string, at float64, w, h int, pts [][2]int) [][3]byte {
	t.Helper()
	out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-ss", strconv.FormatFloat(at, 'f', 3, 64),
		"-i", path, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-").Output()
	if err != nil || len(out) != w*h*3 {
		t.Fatalf("decode a frame of %s at %.1f s: %v (%d bytes)", path, at, err, len(out))
	}
	var c [][3]byte
	for _, p := range pts {
		i := (p[1]*w + p[0]) * 3
		c = append(c, [3]byte{out[i], out[i+1], out[i+2]})
	}
	return c
}

// isColor reports whether c is close to want (lossy coding shifts colours a
// little).
func isColor(c, want [3]byte) bool {
	for i := range c {
		if math.Abs(float64(c[i])-float64(want[i])) > 60 {
			return false
		}
	}
	return true
}

// tonePower decodes a file's audio (mono, 48 kHz) from second from for d and
// returns the Goertzel power at each frequency, relative to the signal's
// total power.
func tonePower(t *testing.T, path string, from, d float64, freqs ...float64) []float64 {
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
	// Goertzel over 50 ms blocks, summed: a phase jump (a dropped or
	// inserted packet) does not cancel the tone out.
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

// mixFeed publishes a solid-colour VP8 stream and a tone for user.
type mixFeed struct {
	video, audio *fakeSource
	key          []byte
	tone         [][]byte
	vts          uint32
	n            int
	nals         [][]byte // H.264: the keyframe's NAL units; nil for VP8
}

// h264Key encodes one 320x240 H.264 IDR access unit of a solid colour
// and returns its NAL units (SPS, PPS, …, IDR slice).
func h264Key(t *testing.T, color string) [][]byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "key.h264")
	out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
		"color=c="+color+":s=320x240:r=15", "-frames:v", "1", "-c:v", "libx264", "-profile:v", "baseline",
		"-pix_fmt", "yuv420p", "-bf", "0", "-y", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, out)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := mediafile.NewNALReader(f)
	var nals [][]byte
	for {
		nal, err := r.Next()
		if err != nil {
			return nals
		}
		nals = append(nals, append([]byte(nil), nal...))
	}
}

func newMixFeed(t *testing.T, user, color string, hz int) *mixFeed {
	return &mixFeed{
		video: &fakeSource{id: sfu.TrackID(user + "/video"), mime: "video/VP8", ssrc: 1},
		audio: &fakeSource{id: sfu.TrackID(user + "/audio"), mime: "audio/opus", ssrc: 2},
		key:   vp8Key(t, color), tone: opusTone(t, hz, 6*time.Second),
	}
}

// publish makes the feed's streams known to the task.
func (f *mixFeed) publish(task *Task, user string) {
	task.trackChanged(trackInfo{user: trtc.UserID(user), stream: room.StreamVideo, track: f.video, available: true}, false)
	task.trackChanged(trackInfo{user: trtc.UserID(user), stream: room.StreamAudio, track: f.audio, available: true}, false)
}

// tick sends 20 ms of media: an Opus packet, and every third tick a
// keyframe (15 fps would be every 3.33 ticks; the timestamps say 60 ms).
func (f *mixFeed) tick(t *testing.T) {
	f.audio.push(t, uint32(f.n*960), false, f.tone[f.n%len(f.tone)])
	if f.n%3 == 0 {
		if f.nals != nil { // single NAL unit packets (RFC 6184 §5.6)
			for i, nal := range f.nals {
				f.video.push(t, f.vts, i == len(f.nals)-1, nal)
			}
		} else {
			f.video.push(t, f.vts, true, append([]byte{0x10}, f.key...))
		}
		f.vts += 5400
	}
	f.n++
}

// feedUntil runs fn every 20 ms until the mix shows what ok wants (at
// most 15 s).
func feedUntil(t *testing.T, s *Service, task *Task, fn func(), ok func([]MixCell) bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := s.MixInputs(task.p.Room.App, task.id)
		if err != nil {
			t.Fatal(err)
		}
		if ok(c) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("mix shows %+v", c)
		}
		paced(100*time.Millisecond, fn)
	}
}

// paced runs fn every 20 ms for d.
func paced(d time.Duration, fn func()) {
	start := time.Now()
	for i := 0; time.Duration(i)*20*time.Millisecond < d; i++ {
		fn()
		time.Sleep(time.Until(start.Add(time.Duration(i+1) * 20 * time.Millisecond)))
	}
}

func testMixParams() *MixParams {
	return &MixParams{Width: 320, Height: 240, Fps: 15, VideoBitRate: 400000, Gop: 1,
		SampleRate: 48000, Channels: 2, AudioBitRate: 64000, Layout: DefaultMixLayout()}
}

// TestMixGridThenCustom mixes a red and a blue publisher in nine-grid,
// switches to a custom layout mid-task, and checks the MP4 with ffmpeg's
// decoder: the colours in their cells before and after the change, and
// both tones in the audio.
func TestMixGridThenCustom(t *testing.T) {
	t.Parallel() // mostly waiting on the wall clock
	s, ev := newTestService(t, Config{})
	task := start(t, s, TaskParams{Mix: testMixParams(), OutputFormat: FormatHLSMP4})
	red := newMixFeed(t, "red", "red", 440)
	blue := newMixFeed(t, "blue", "blue", 1000)
	both := func() { red.tick(t); blue.tick(t) }
	// The file's clock is the mixer's: it starts with the first stream.
	begin := time.Now()
	red.publish(task, "red")
	blue.publish(task, "blue")
	// Nine-grid: red left, blue right.
	feedUntil(t, s, task, both, func(c []MixCell) bool {
		return len(c) == 2 && c[0].UserID == "red" && c[0].Left == 0 && c[1].UserID == "blue" && c[1].Left == 160 && c[0].Live && c[1].Live
	})
	grid := time.Since(begin)
	paced(time.Second, both)
	// Custom: blue full canvas, red in a 100x80 window at the top left.
	l := MixLayout{Mode: LayoutCustom, Windows: []MixWindow{
		{Left: 0, Top: 0, Width: 320, Height: 240, UserID: "blue", Fit: FitCrop},
		{Left: 10, Top: 10, Width: 100, Height: 80, UserID: "red", Layer: 1, Fit: FitStretch},
	}}
	if err := s.SetLayout(task.p.Room.App, task.id, l); err != nil {
		t.Fatal(err)
	}
	feedUntil(t, s, task, both, func(c []MixCell) bool {
		return len(c) == 2 && c[0].UserID == "blue" && c[0].Width == 320 && c[1].UserID == "red" && c[1].Width == 100 && c[0].Live && c[1].Live
	})
	custom := time.Since(begin)
	paced(time.Second, both)
	// Both publishers pause for 1.5 s (a live gap): the mix goes on.
	gap := time.Since(begin)
	time.Sleep(1500 * time.Millisecond) // the gap itself: nothing is sent
	paced(500*time.Millisecond, both)
	stop := time.Since(begin)
	info := finish(t, s, task)

	var mp4, m3u8 string
	for _, f := range info.Files {
		switch filepath.Ext(f.FileName) {
		case ".mp4":
			mp4 = filepath.Join(info.Dir, f.FileName)
		case ".m3u8":
			m3u8 = filepath.Join(info.Dir, f.FileName)
		}
		if f.MediaID != "mix" || f.UserID != "" {
			t.Fatalf("file %+v", f)
		}
	}
	if mp4 == "" || m3u8 == "" {
		t.Fatalf("files %+v, want an MP4 and a playlist", info.Files)
	}
	redC, blueC := [3]byte{255, 0, 0}, [3]byte{0, 0, 255}
	at := grid.Seconds() + 0.5
	c := rgbAt(t, mp4, at, 320, 240, [][2]int{{80, 120}, {240, 120}})
	if !isColor(c[0], redC) || !isColor(c[1], blueC) {
		t.Fatalf("nine-grid at %.1f s: left %v, right %v; want red, blue", at, c[0], c[1])
	}
	at = custom.Seconds() + 0.5
	c = rgbAt(t, mp4, at, 320, 240, [][2]int{{60, 50}, {240, 120}, {160, 200}})
	if !isColor(c[0], redC) || !isColor(c[1], blueC) || !isColor(c[2], blueC) {
		t.Fatalf("custom at %.1f s: window %v, canvas %v %v; want red, blue, blue", at, c[0], c[1], c[2])
	}
	// The gap holds the last frame, and the output kept the wall clock's
	// pace: its length is the task's, at 15 frames a second.
	at = gap.Seconds() + 0.75
	if c = rgbAt(t, mp4, at, 320, 240, [][2]int{{60, 50}, {240, 120}}); !isColor(c[0], redC) || !isColor(c[1], blueC) {
		t.Fatalf("in the gap at %.1f s: %v %v; want the last frame, red and blue", at, c[0], c[1])
	}
	out, err := exec.Command("ffprobe", "-v", "error", "-count_frames", "-select_streams", "v", "-show_entries",
		"stream=nb_read_frames:format=duration", "-of", "csv=p=0", mp4).Output()
	lines := strings.Fields(string(out))
	if err != nil || len(lines) != 2 {
		t.Fatalf("ffprobe %s: %v %q", mp4, err, out)
	}
	frames, _ := strconv.Atoi(lines[0])
	dur, _ := strconv.ParseFloat(lines[1], 64)
	t.Logf("MP4 of %.2f s with %d frames; the test stopped the task after %.2f s", dur, frames, stop.Seconds())
	// (The task stops a little after stop: its tracks end first.)
	if dur < stop.Seconds()-0.5 || dur > stop.Seconds()+1.5 || math.Abs(float64(frames)-dur*15) > dur*15*0.03 {
		t.Fatalf("MP4 of %.2f s with %d frames; the task ran %.2f s at 15 fps", dur, frames, stop.Seconds())
	}
	p := tonePower(t, mp4, custom.Seconds(), 0.8, 440, 1000, 700)
	if p[0] < 0.1 || p[1] < 0.1 || p[2] > 0.01 {
		t.Fatalf("tone power 440 Hz %.3f, 1000 Hz %.3f, 700 Hz %.3f", p[0], p[1], p[2])
	}
	if out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", m3u8).CombinedOutput(); err != nil {
		t.Fatalf("ffprobe %s: %v %s", m3u8, err, out)
	}
	pl, _ := os.ReadFile(m3u8)
	if !bytes.Contains(pl, []byte("#EXT-X-ENDLIST")) {
		t.Fatalf("playlist not ended:\n%s", pl)
	}
	if types := ev.types(); types[0] != EventRecorderStart || types[len(types)-1] != EventRecorderStop {
		t.Fatalf("events %v", types)
	}
}

// TestMixAudioOnlySplit records a mix as AAC only (OutputFormat 4), split
// every 2 s: several ADTS files, each with the tone, and no video pipeline.
func TestMixAudioOnlySplit(t *testing.T) {
	t.Parallel() // mostly waiting on the wall clock
	s, _ := newTestService(t, Config{})
	task := start(t, s, TaskParams{Mix: testMixParams(), OutputFormat: FormatAAC, MaxFileDuration: 2 * time.Second})
	f := newMixFeed(t, "a", "red", 440)
	f.publish(task, "a")
	paced(5*time.Second, func() { f.tick(t) })
	if c, _ := s.MixInputs(task.p.Room.App, task.id); len(c) != 0 {
		t.Fatalf("an AAC mix lays out video: %+v", c)
	}
	info := finish(t, s, task)
	if len(info.Files) < 2 {
		t.Fatalf("files %+v, want the recording split in pieces of 2 s", info.Files)
	}
	for i, file := range info.Files {
		path := filepath.Join(info.Dir, file.FileName)
		if filepath.Ext(path) != ".aac" || file.TrackType != "audio" {
			t.Fatalf("file %+v", file)
		}
		out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "stream=codec_name,sample_rate", "-of", "csv=p=0", path).CombinedOutput()
		if err != nil || string(bytes.TrimSpace(out)) != "aac,48000" {
			t.Fatalf("ffprobe %s: %v %q", path, err, out)
		}
		if i == len(info.Files)-2 { // a whole piece, after the start-up
			if p := tonePower(t, path, 0.5, 1.0, 440, 700); p[0] < 0.3 || p[1] > 0.01 {
				t.Fatalf("%s: 440 Hz %.3f, 700 Hz %.3f", file.FileName, p[0], p[1])
			}
		}
	}
}

// TestMixEncoderKilled mixes an H.264 publisher and kills the mix's
// encoder: it is replaced (FAILOVER) on a new set of files, and both MP4s
// play.
func TestMixEncoderKilled(t *testing.T) {
	t.Parallel() // mostly waiting on the wall clock
	s, ev := newTestService(t, Config{})
	pids := make(chan int, 64)
	s.workerStarted = func(pid int) { pids <- pid }
	task := start(t, s, TaskParams{Mix: testMixParams(), OutputFormat: FormatMP4})
	// An H.264 publisher this time.
	f := &mixFeed{
		video: &fakeSource{id: "a/video", mime: "video/H264", ssrc: 1},
		audio: &fakeSource{id: "a/audio", mime: "audio/opus", ssrc: 2},
		nals:  h264Key(t, "red"), tone: opusTone(t, 440, 6*time.Second),
	}
	f.publish(task, "a")
	feed := func() { f.tick(t) }
	feedUntil(t, s, task, feed, func(c []MixCell) bool { return len(c) == 1 && c[0].Live })
	paced(time.Second, feed)
	encoder := 0
	for encoder == 0 {
		select {
		case pid := <-pids:
			if cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); bytes.Contains(cmd, []byte("libx264")) {
				encoder = pid
			}
		default:
			t.Fatal("no encoder started")
		}
	}
	if err := syscall.Kill(encoder, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for {
		if _, ok := ev.find(EventFailover); ok {
			break
		}
		paced(100*time.Millisecond, feed)
	}
	paced(1500*time.Millisecond, feed)
	info := finish(t, s, task)
	if info.Restarts != 1 || info.Failed {
		t.Fatalf("restarts %d, failed %v", info.Restarts, info.Failed)
	}
	var mp4s []string
	for _, file := range info.Files {
		if filepath.Ext(file.FileName) == ".mp4" {
			mp4s = append(mp4s, filepath.Join(info.Dir, file.FileName))
		}
	}
	if len(mp4s) != 2 {
		t.Fatalf("files %+v, want the first encoder's MP4 and its replacement's", info.Files)
	}
	for _, p := range mp4s {
		if out, err := exec.Command("ffmpeg", "-v", "error", "-i", p, "-f", "null", "-").CombinedOutput(); err != nil || len(out) > 0 {
			t.Fatalf("decode %s: %v %s", p, err, out)
		}
	}
	if c := rgbAt(t, mp4s[1], 0.5, 320, 240, [][2]int{{160, 120}}); !isColor(c[0], [3]byte{255, 0, 0}) {
		t.Fatalf("the replacement's file shows %v, want red", c[0])
	}
}

// TestMixUploads records a mix as hls+aac into an S3-compatible bucket:
// every file, segment and the playlist is uploaded byte for byte, with
// FILE_INFO for the mix's playlist and UPLOAD_STOP LeaveCode 0.
func TestMixUploads(t *testing.T) {
	t.Parallel()
	s3 := newS3Server(t, "mixes")
	s, ev := newTestService(t, Config{})
	cs := s3.storage("mixes")
	task := start(t, s, TaskParams{Mix: testMixParams(), OutputFormat: FormatHLSAAC, Storage: cs})
	f := newMixFeed(t, "a", "red", 440)
	f.publish(task, "a")
	paced(3*time.Second, func() { f.tick(t) })
	info := finish(t, s, task)
	if stop := ev.waitEvent(t, EventUploadStop); stop.Payload["LeaveCode"] != UploadStopAll {
		t.Fatalf("UPLOAD_STOP %v", stop.Payload)
	}
	if n := checkUploaded(t, s3, cs, task.id, info.Dir); n < 3 {
		t.Fatalf("%d objects, want the playlist, a segment and the AAC file", n)
	}
	fi := ev.waitEvent(t, EventFileInfo)
	if l := fi.Payload["FileList"].([]string); len(l) != 1 || !strings.HasSuffix(l[0], "/"+task.id+"/"+playlistOf(t, info)) {
		t.Fatalf("FILE_INFO %v", fi.Payload)
	}
}
