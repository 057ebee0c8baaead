//go:build cgo && rtccodecs

package rtc

import (
	"errors"
	"math"
	"testing"
)

// gradient is an I420 picture whose pattern moves with n.
func gradient(w, h, n int) []byte {
	f := make([]byte, i420Size(w, h))
	for y := range h {
		for x := range w {
			f[y*w+x] = byte((x + y + 2*n) * 255 / (w + h + 64))
		}
	}
	cw, ch := (w+1)/2, (h+1)/2
	u, v := f[w*h:], f[w*h+cw*ch:]
	for y := range ch {
		for x := range cw {
			u[y*cw+x] = byte(64 + x*128/cw)
			v[y*cw+x] = byte(192 - y*128/ch)
		}
	}
	return f
}

func psnr(a, b []byte) float64 {
	var se float64
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		se += d * d
	}
	if se == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255/(se/float64(len(a))))
}

func TestVP8RoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		w, h int
	}{
		{"320x180", 320, 180},
		{"odd 161x91", 161, 91},
	} {
		t.Run(tc.name, func(t *testing.T) {
			enc, err := rawCodecs.newVideoEncoder(tc.w, tc.h, defaultVideoKbps(tc.w, tc.h)*2)
			if err != nil {
				t.Fatal(err)
			}
			defer enc.close()
			dec, err := rawCodecs.newVideoDecoder()
			if err != nil {
				t.Fatal(err)
			}
			defer dec.close()
			var best float64
			for n := range 10 {
				src := gradient(tc.w, tc.h, n)
				data, key, err := enc.encode(src, int64(n*33), 33, n == 5)
				if err != nil {
					t.Fatal(err)
				}
				if data == nil {
					t.Fatalf("frame %d dropped", n)
				}
				if want := n == 0 || n == 5; key != want {
					t.Fatalf("frame %d: key %v, want %v", n, key, want)
				}
				if n == 0 {
					if w, h, ok := vp8KeyframeSize(data); !ok || w != tc.w || h != tc.h {
						t.Fatalf("keyframe header says %dx%d (ok %v)", w, h, ok)
					}
				}
				pic, w, h, err := dec.decode(data)
				if err != nil {
					t.Fatal(err)
				}
				if w != tc.w || h != tc.h || len(pic) != i420Size(tc.w, tc.h) {
					t.Fatalf("decoded %dx%d (%d bytes), want %dx%d", w, h, len(pic), tc.w, tc.h)
				}
				best = psnr(src, pic)
			}
			if best < 30 {
				t.Fatalf("PSNR %.1f dB, want ≥ 30", best)
			}
		})
	}
}

func TestOpusRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name     string
		rate, ch int
	}{
		{"48k stereo", 48000, 2},
		{"16k mono", 16000, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			enc, err := rawCodecs.newAudioEncoder(tc.rate, tc.ch)
			if err != nil {
				t.Fatal(err)
			}
			defer enc.close()
			dec, err := rawCodecs.newAudioDecoder(tc.ch)
			if err != nil {
				t.Fatal(err)
			}
			defer dec.close()
			frame := tc.rate / 50
			var inE, outE float64
			var outN int
			for n := range 25 { // 500 ms of a 440 Hz sine at −12 dBFS
				pcm := make([]int16, frame*tc.ch)
				for i := range frame {
					s := int16(8192 * math.Sin(2*math.Pi*440*float64(n*frame+i)/float64(tc.rate)))
					for c := range tc.ch {
						pcm[i*tc.ch+c] = s
					}
				}
				pkt, err := enc.encode(pcm)
				if err != nil {
					t.Fatal(err)
				}
				if got := opusSamples(pkt); got != 960 {
					t.Fatalf("packet of %d samples at 48 kHz, want 960", got)
				}
				out, err := dec.decode(pkt)
				if err != nil {
					t.Fatal(err)
				}
				if len(out) != 960*tc.ch {
					t.Fatalf("decoded %d samples, want %d", len(out), 960*tc.ch)
				}
				if n >= 5 { // past the codec's start-up
					for _, s := range pcm {
						inE += float64(s) * float64(s)
					}
					for _, s := range out {
						outE += float64(s) * float64(s)
					}
					outN += len(out)
				}
			}
			inRMS := math.Sqrt(inE / float64(20*frame*tc.ch))
			outRMS := math.Sqrt(outE / float64(outN))
			if r := outRMS / inRMS; r < 0.7 || r > 1.3 {
				t.Fatalf("output RMS %.0f vs input %.0f", outRMS, inRMS)
			}
		})
	}
}

func TestRawInputRefusals(t *testing.T) {
	c := NewCloud(WithServer("ws://127.0.0.1:1"))
	defer c.Close()
	pcm := func(rate, ch, ms int) *AudioFrame {
		return &AudioFrame{Format: AudioFormatPCM, Data: make([]byte, rate/1000*ms*ch*2), SampleRate: rate, Channels: ch}
	}
	for _, tc := range []struct {
		name string
		err  error
		call func() error
	}{
		{"short I420", ErrInvalidFrame, func() error {
			return c.SendCustomVideoData(StreamBig, &VideoFrame{Format: VideoFormatI420, Data: []byte{1}, Width: 16, Height: 16})
		}},
		{"I420 without size", ErrInvalidFrame, func() error {
			return c.SendCustomVideoData(StreamBig, &VideoFrame{Format: VideoFormatI420, Data: []byte{1}})
		}},
		{"I420 capture off", ErrCaptureDisabled, func() error {
			return c.SendCustomVideoData(StreamBig, &VideoFrame{Format: VideoFormatI420, Data: gradient(16, 16, 0), Width: 16, Height: 16})
		}},
		{"44.1 kHz", ErrUnsupportedSampleRate, func() error { return c.SendCustomAudioData(pcm(44100, 2, 10)) }},
		{"3 channels", ErrInvalidFrame, func() error { return c.SendCustomAudioData(pcm(48000, 3, 10)) }},
		{"odd bytes", ErrInvalidFrame, func() error {
			return c.SendCustomAudioData(&AudioFrame{Format: AudioFormatPCM, Data: []byte{1, 2, 3}, SampleRate: 48000, Channels: 2})
		}},
		{"PCM capture off", ErrCaptureDisabled, func() error { return c.SendCustomAudioData(pcm(48000, 1, 20)) }},
		{"PCM not in a room", ErrNotInRoom, func() error {
			c.EnableCustomAudioCapture(true)
			return c.SendCustomAudioData(pcm(16000, 1, 20))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); !errors.Is(err, tc.err) {
				t.Fatalf("got %v, want %v", err, tc.err)
			}
		})
	}
}

func TestPCMVolume(t *testing.T) {
	pcm := make([]int16, 960)
	if v := pcmVolume(pcm); v != 0 {
		t.Fatalf("silence: %d", v)
	}
	for i := range pcm {
		pcm[i] = int16(16384 * math.Sin(float64(i)/10))
	}
	loud := pcmVolume(pcm)
	for i := range pcm {
		pcm[i] /= 64
	}
	if quiet := pcmVolume(pcm); quiet <= 0 || quiet >= loud {
		t.Fatalf("volume %d (quiet) vs %d (loud)", quiet, loud)
	}
}
