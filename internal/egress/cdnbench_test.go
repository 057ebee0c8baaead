package egress

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/sfu"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// BenchmarkCdnCPU measures what one 720p CDN relay costs (docs/cdn.md):
// as BenchmarkMixCPU, two publishers of 640x360 VP8 and Opus mixed in
// nine-grid on a 1280x720 canvas at 15 fps, H.264 1.5 Mbit/s + AAC, but
// pushed over RTMP to an ffmpeg listening on loopback instead of written
// to files. ffmpeg-cores counts the decoders, compositor, audio mixer,
// encoder and the pusher (not the sink, which is waited for after the
// measurement). MIXBENCH_SECONDS sets the length (default 20).
//
//	go test -run X -bench CdnCPU -benchtime 1x ./internal/egress/
func BenchmarkCdnCPU(b *testing.B) {
	secs := mixBenchSeconds()
	frames, tone := benchClip(b), benchTone(b)
	for range b.N {
		self, children := benchCdn(b, 2, time.Duration(secs)*time.Second, frames, tone)
		b.ReportMetric(children, "ffmpeg-cores")
		b.ReportMetric(self, "server-cores")
	}
}

func benchCdn(b *testing.B, n int, d time.Duration, frames, tone [][]byte) (self, children float64) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	url := fmt.Sprintf("rtmp://%s/live/bench", l.Addr())
	l.Close()
	sink := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-listen", "1", "-i", url, "-c", "copy", "-f", "null", "-")
	if err := sink.Start(); err != nil {
		b.Fatal(err)
	}
	s := New(Config{Dir: b.TempDir(), Media: nopMedia{}})
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = s.Close(ctx)
		_ = sink.Process.Kill()
		_ = sink.Wait()
	}()
	key, err := trtc.NewRoomKey(1400000001, 43, "")
	if err != nil {
		b.Fatal(err)
	}
	p := &MixParams{Width: 1280, Height: 720, Fps: 15, VideoBitRate: 1500000, Gop: 2,
		SampleRate: 48000, Channels: 2, AudioBitRate: 64000, Layout: DefaultMixLayout()}
	self0, children0 := cpuSeconds(syscall.RUSAGE_SELF), cpuSeconds(syscall.RUSAGE_CHILDREN)
	begin := time.Now()
	id, err := s.Create(TaskParams{Room: key, UserID: "robot", MaxIdleTime: time.Minute, Retention: time.Hour,
		Mix: p, Push: &PushParams{URLs: []string{url}, Video: true}})
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
			if k%3 == 0 {
				benchPush(b, video[i], uint16(k/3), uint32(k/3*6000), append([]byte{0x10}, frames[(k/3)%len(frames)]...))
			}
		}
		time.Sleep(time.Until(begin.Add(time.Duration(k+1) * 20 * time.Millisecond)))
	}
	pushed := false
	for _, t := range task.push.snapshot() {
		pushed = t.State == PushPushing
	}
	if !pushed {
		b.Fatalf("the sink is not being pushed to: %+v", task.push.snapshot())
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
	return (cpuSeconds(syscall.RUSAGE_SELF) - self0) / wall, (cpuSeconds(syscall.RUSAGE_CHILDREN) - children0) / wall
}
