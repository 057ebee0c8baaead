//go:build cgo && rtccodecs

package test

import (
	"encoding/binary"
	"math"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/rtc"
)

// TestRawMediaE2E: alice sends raw I420 and PCM, which the SDK encodes to
// VP8 and Opus (libvpx, libopus); bob asks for raw output and gets decoded
// pictures of alice's size and 48 kHz PCM that is not silence.
func TestRawMediaE2E(t *testing.T) {
	e := NewEnv(t)
	const room = 7301
	const w, h = 320, 240
	alice := e.Join("alice", room, rtc.SceneVideoCall, rtc.RoleAnchor)
	bob := e.Join("bob", room, rtc.SceneVideoCall, rtc.RoleAnchor)
	s := newSink()
	bob.SetRemoteVideoRenderCallback("alice", rtc.VideoFormatI420, s)
	bob.SetAudioFrameObserver(rtc.AudioFormatPCM, s)

	alice.EnableCustomVideoCapture(rtc.StreamBig, true)
	alice.EnableCustomAudioCapture(true)
	bob.waitSeen("OnUserVideoAvailable", "alice", true)
	bob.waitSeen("OnUserAudioAvailable", "alice", true)

	enough := func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.video["alice"]) >= 5 && len(s.audio["alice"]) >= 10
	}
	deadline := time.Now().Add(8 * time.Second)
	for n := 0; !enough(); n++ {
		if time.Now().After(deadline) {
			s.mu.Lock()
			v, a := len(s.video["alice"]), len(s.audio["alice"])
			s.mu.Unlock()
			t.Fatalf("bob got %d pictures and %d audio frames within 8s; bob saw %v", v, a, bob.rec.All())
		}
		if err := alice.SendCustomVideoData(rtc.StreamBig, &rtc.VideoFrame{
			Format: rtc.VideoFormatI420, Data: testPicture(w, h, n), Width: w, Height: h,
		}); err != nil {
			t.Fatalf("SendCustomVideoData: %v", err)
		}
		// 10 ms of PCM twice: the SDK buffers it to 20 ms Opus frames.
		for half := range 2 {
			if err := alice.SendCustomAudioData(&rtc.AudioFrame{
				Format: rtc.AudioFormatPCM, Data: testSine(48000, 2, 480, (2*n+half)*480), SampleRate: 48000, Channels: 2,
			}); err != nil {
				t.Fatalf("SendCustomAudioData: %v", err)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	bob.waitSeen("OnFirstVideoFrame", "alice", int(rtc.StreamBig), w, h)

	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.video["alice"] {
		if f.Format != rtc.VideoFormatI420 || f.Width != w || f.Height != h || len(f.Data) != w*h*3/2 {
			t.Fatalf("picture %v %dx%d of %d bytes, want I420 %dx%d", f.Format, f.Width, f.Height, len(f.Data), w, h)
		}
	}
	var loud int
	for _, f := range s.audio["alice"] {
		if f.Format != rtc.AudioFormatPCM || f.SampleRate != 48000 || f.Channels != 2 || len(f.Data) != 960*2*2 {
			t.Fatalf("audio %v %d Hz ×%d of %d bytes, want 20 ms of 48 kHz stereo PCM", f.Format, f.SampleRate, f.Channels, len(f.Data))
		}
		var e float64
		for i := 0; i+1 < len(f.Data); i += 2 {
			v := float64(int16(binary.LittleEndian.Uint16(f.Data[i:])))
			e += v * v
		}
		if math.Sqrt(e/float64(len(f.Data)/2)) > 1000 {
			loud++
		}
	}
	if loud == 0 {
		t.Fatal("every decoded audio frame is near silence")
	}
}

// testPicture is a moving I420 gradient.
func testPicture(w, h, n int) []byte {
	f := make([]byte, w*h*3/2)
	for y := range h {
		for x := range w {
			f[y*w+x] = byte(x + y + 4*n)
		}
	}
	for i := w * h; i < len(f); i++ {
		f[i] = 128
	}
	return f
}

// testSine is samples of a 440 Hz tone (−12 dBFS) from sample offset off.
func testSine(rate, ch, samples, off int) []byte {
	b := make([]byte, 2*ch*samples)
	for i := range samples {
		v := int16(8192 * math.Sin(2*math.Pi*440*float64(off+i)/float64(rate)))
		for c := range ch {
			binary.LittleEndian.PutUint16(b[2*(i*ch+c):], uint16(v))
		}
	}
	return b
}
