package egress

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/rtcengine/rtcengine/examples/mediafile"
	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/sfu"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// mixBenchSeconds is the length of the mixing benchmarks' runs:
// MIXBENCH_SECONDS, default 20.
func mixBenchSeconds() int {
	if v, err := strconv.Atoi(os.Getenv("MIXBENCH_SECONDS")); err == nil && v > 0 {
		return v
	}
	return 20
}

// BenchmarkMixCPU measures what one 720p mixed recording costs: N
// publishers of 640x360 VP8 (a moving test pattern, 15 fps, 600 kbit/s)
// and Opus, mixed in nine-grid on a 1280x720 canvas at 15 fps, encoded to
// H.264 (1.5 Mbit/s, veryfast) and AAC into MP4. It reports the cores used
// (CPU seconds per second of recording) by the ffmpeg processes and by the
// server process. MIXBENCH_SECONDS sets the length (default 20).
//
//	go test -run X -bench MixCPU -benchtime 1x ./internal/egress/
func BenchmarkMixCPU(b *testing.B) {
	secs := mixBenchSeconds()
	frames := benchClip(b)
	tone := benchTone(b)
	for _, n := range []int{2, 4} {
		b.Run(fmt.Sprintf("%dinputs", n), func(b *testing.B) {
			for range b.N {
				self, children, rt := benchMix(b, n, time.Duration(secs)*time.Second, frames, tone)
				b.ReportMetric(children, "ffmpeg-cores")
				b.ReportMetric(self, "server-cores")
				b.ReportMetric(rt, "output-s/s")
			}
		})
	}
}

func benchClip(b *testing.B) [][]byte {
	path := filepath.Join(b.TempDir(), "clip.ivf")
	if out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=15",
		"-frames:v", "60", "-c:v", "libvpx", "-b:v", "600k", "-g", "30", "-deadline", "realtime", "-y", path).CombinedOutput(); err != nil {
		b.Fatalf("ffmpeg: %v: %s", err, out)
	}
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	r, err := mediafile.NewIVFReader(f)
	if err != nil {
		b.Fatal(err)
	}
	var frames [][]byte
	for {
		fr, err := r.Next()
		if err != nil {
			return frames
		}
		frames = append(frames, fr.Data)
	}
}

func benchTone(b *testing.B) [][]byte {
	path := filepath.Join(b.TempDir(), "tone.ogg")
	if out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
		"-t", "4", "-c:a", "libopus", "-frame_duration", "20", "-b:a", "48k", "-y", path).CombinedOutput(); err != nil {
		b.Fatalf("ffmpeg: %v: %s", err, out)
	}
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	r, err := mediafile.NewOpusReader(f)
	if err != nil {
		b.Fatal(err)
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

func cpuSeconds(who int) float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// benchPush hands one RTP packet to a fake source's tap.
func benchPush(b *testing.B, f *fakeSource, seq uint16, ts uint32, payload []byte) {
	p := rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: ts, SSRC: f.ssrc, Marker: true}, Payload: payload}
	raw, err := p.Marshal()
	if err != nil {
		b.Fatal(err)
	}
	f.mu.Lock()
	tap := f.tap
	f.mu.Unlock()
	if tap != nil {
		tap.TapPacket(raw)
	}
}

// benchMix runs one mixed recording of n inputs for d and returns the
// cores used by the server process and by its ffmpeg children, and the
// seconds of output per second of recording (1: the mix kept up).
func benchMix(b *testing.B, n int, d time.Duration, frames, tone [][]byte) (self, children, realtime float64) {
	s := New(Config{Dir: b.TempDir(), Media: nopMedia{}})
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = s.Close(ctx)
	}()
	key, err := trtc.NewRoomKey(1400000001, 42, "")
	if err != nil {
		b.Fatal(err)
	}
	p := &MixParams{Width: 1280, Height: 720, Fps: 15, VideoBitRate: 1500000, Gop: 2,
		SampleRate: 48000, Channels: 2, AudioBitRate: 64000, Layout: DefaultMixLayout()}
	self0, children0 := cpuSeconds(syscall.RUSAGE_SELF), cpuSeconds(syscall.RUSAGE_CHILDREN)
	begin := time.Now()
	id, err := s.Create(TaskParams{Room: key, UserID: "robot", MaxIdleTime: time.Minute, Retention: time.Hour,
		OutputFormat: FormatMP4, Mix: p})
	if err != nil {
		b.Fatal(err)
	}
	s.mu.Lock()
	task := s.tasks[id]
	s.mu.Unlock()
	var video, audio []*fakeSource
	for i := range n {
		user := trtc.UserID(fmt.Sprint("user", i))
		v := &fakeSource{id: sfu.TrackID(fmt.Sprint(user, "/video")), mime: "video/VP8", ssrc: uint32(10 + i)}
		a := &fakeSource{id: sfu.TrackID(fmt.Sprint(user, "/audio")), mime: "audio/opus", ssrc: uint32(20 + i)}
		task.trackChanged(trackInfo{user: user, stream: room.StreamVideo, track: v, available: true}, false)
		task.trackChanged(trackInfo{user: user, stream: room.StreamAudio, track: a, available: true}, false)
		video, audio = append(video, v), append(audio, a)
	}
	for k := 0; time.Duration(k)*20*time.Millisecond < d; k++ {
		for i := range n {
			benchPush(b, audio[i], uint16(k), uint32(k*960), tone[k%len(tone)])
			if k%3 == 0 { // 60 ms; the clip's timestamps say 1/15 s
				benchPush(b, video[i], uint16(k/3), uint32(k/3*6000), append([]byte{0x10}, frames[(k/3)%len(frames)]...))
			}
		}
		time.Sleep(time.Until(begin.Add(time.Duration(k+1) * 20 * time.Millisecond)))
	}
	if err := s.Delete(key.App, id); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := task.wait(ctx); err != nil {
		b.Fatal(err)
	}
	wall := time.Since(begin).Seconds()
	info := task.info()
	self, children = (cpuSeconds(syscall.RUSAGE_SELF)-self0)/wall, (cpuSeconds(syscall.RUSAGE_CHILDREN)-children0)/wall
	var out float64
	for _, f := range info.Files {
		o, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
			filepath.Join(info.Dir, f.FileName)).Output()
		v, perr := strconv.ParseFloat(string(bytes.TrimSpace(o)), 64)
		if err != nil || perr != nil {
			b.Fatalf("ffprobe %s: %v %q", f.FileName, err, o)
		}
		out += v
	}
	if out == 0 {
		b.Fatal("no file recorded")
	}
	return self, children, out / d.Seconds()
}
