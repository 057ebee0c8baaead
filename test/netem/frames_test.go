package netem

import (
	"encoding/binary"
	"hash/crc32"
	"sync"
	"time"

	"github.com/rtcengine/rtcengine/rtc"
)

// Synthetic media whose every frame can be checked: a VP8 frame (a real
// uncompressed header, so receivers learn its size) or an Opus packet (a
// CELT TOC byte) followed by a body of
//
//	phase (1) | counter (4) | send time (8, Unix ns) | CRC-32 of the rest (4) | filler
//
// The phase marks which part of a test a frame belongs to, the counter
// shows loss and order, the send time gives the latency (sender and
// receiver share the machine's clock), the CRC shows corruption.

// Frame header sizes before the body.
const (
	vp8KeyHeader   = 10
	vp8DeltaHeader = 3
)

const bodyHeader = 17

// frameBody returns a body of size bytes (at least bodyHeader).
func frameBody(phase byte, n uint32, size int) []byte {
	size = max(size, bodyHeader)
	b := make([]byte, size)
	b[0] = phase
	binary.BigEndian.PutUint32(b[1:5], n)
	binary.BigEndian.PutUint64(b[5:13], uint64(nowNano()))
	for i := bodyHeader; i < size; i++ {
		b[i] = byte(uint32(i)*131 + n*7)
	}
	binary.BigEndian.PutUint32(b[13:17], crc32.Update(crc32.ChecksumIEEE(b[:13]), crc32.IEEETable, b[bodyHeader:]))
	return b
}

func nowNano() int64 { return time.Now().UnixNano() }

// vp8 returns a VP8 frame: a keyframe of width×height, or a delta frame.
func vp8(phase byte, n uint32, key bool, width, height, size int) []byte {
	var h []byte
	if key {
		h = []byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, byte(width), byte(width >> 8), byte(height), byte(height >> 8)}
		size -= vp8KeyHeader
	} else {
		h = []byte{0x11, 0x02, 0x00}
		size -= vp8DeltaHeader
	}
	return append(h, frameBody(phase, n, size)...)
}

// opus returns a 20 ms Opus packet.
func opus(phase byte, n uint32, size int) []byte {
	return append([]byte{0xf8}, frameBody(phase, n, size-1)...)
}

// parseBody checks a body and returns its phase, counter and send time.
func parseBody(b []byte) (phase byte, n uint32, sent int64, ok bool) {
	if len(b) < bodyHeader {
		return 0, 0, 0, false
	}
	sum := crc32.Update(crc32.ChecksumIEEE(b[:13]), crc32.IEEETable, b[bodyHeader:])
	if binary.BigEndian.Uint32(b[13:17]) != sum {
		return 0, 0, 0, false
	}
	return b[0], binary.BigEndian.Uint32(b[1:5]), int64(binary.BigEndian.Uint64(b[5:13])), true
}

// parseVP8 checks a received VP8 frame.
func parseVP8(f []byte) (phase byte, n uint32, sent int64, ok bool) {
	switch {
	case len(f) > vp8KeyHeader && f[0]&1 == 0:
		return parseBody(f[vp8KeyHeader:])
	case len(f) > vp8DeltaHeader:
		return parseBody(f[vp8DeltaHeader:])
	}
	return 0, 0, 0, false
}

// received is one whole frame or packet as a receiver got it.
type received struct {
	phase byte
	n     uint32
	width int   // video: the frame's width as reported, 0 for audio
	sent  int64 // Unix ns
	at    int64 // Unix ns
}

// Sink collects what a client renders and hears, checked frame by frame.
type Sink struct {
	mu      sync.Mutex
	video   []received
	audio   []received
	corrupt int // frames whose CRC did not match
}

func (s *Sink) OnRenderVideoFrame(_ string, _ rtc.StreamType, f *rtc.VideoFrame) {
	phase, n, sent, ok := parseVP8(f.Data)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !ok {
		s.corrupt++
		return
	}
	s.video = append(s.video, received{phase: phase, n: n, width: f.Width, sent: sent, at: nowNano()})
}

func (s *Sink) OnRemoteUserAudioFrame(_ string, f *rtc.AudioFrame) {
	if len(f.Data) < 2 {
		return
	}
	phase, n, sent, ok := parseBody(f.Data[1:])
	s.mu.Lock()
	defer s.mu.Unlock()
	if !ok {
		s.corrupt++
		return
	}
	s.audio = append(s.audio, received{phase: phase, n: n, sent: sent, at: nowNano()})
}

// Video returns the whole video frames of phase by counter (first copy).
func (s *Sink) Video(phase byte) map[uint32]received { return s.distinct(phase, true) }

// Audio returns the whole audio packets of phase by counter (first copy).
func (s *Sink) Audio(phase byte) map[uint32]received { return s.distinct(phase, false) }

func (s *Sink) distinct(phase byte, video bool) map[uint32]received {
	s.mu.Lock()
	defer s.mu.Unlock()
	list := s.audio
	if video {
		list = s.video
	}
	got := map[uint32]received{}
	for _, r := range list {
		if r.phase == phase {
			if _, dup := got[r.n]; !dup {
				got[r.n] = r
			}
		}
	}
	return got
}

// LastVideo returns the most recent whole video frame.
func (s *Sink) LastVideo() (received, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.video) == 0 {
		return received{}, false
	}
	return s.video[len(s.video)-1], true
}

// Corrupt returns how many frames failed their check.
func (s *Sink) Corrupt() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.corrupt
}

// Pacer publishes checkable media from a Cloud: fps VP8 frames of size
// bytes (a 640x360 keyframe every keyEvery frames; with small, a 320x180
// small layer a fifth of the size) and a 20 ms Opus packet, catching up on
// late ticks so that the rate over any second is exact.
type Pacer struct {
	c        *rtc.Cloud
	fps      int
	size     int
	keyEvery int
	small    bool

	mu           sync.Mutex
	phase        byte
	video, audio map[byte]int // sent per phase

	stop chan struct{}
	done chan struct{}
}

func startPacer(c *rtc.Cloud, fps, size, keyEvery int, small bool) *Pacer {
	p := &Pacer{c: c, fps: fps, size: size, keyEvery: keyEvery, small: small,
		video: map[byte]int{}, audio: map[byte]int{}, stop: make(chan struct{}), done: make(chan struct{})}
	go p.run()
	return p
}

// Phase makes later frames carry phase.
func (p *Pacer) Phase(phase byte) {
	p.mu.Lock()
	p.phase = phase
	p.mu.Unlock()
}

// Count returns the video frames and audio packets sent in phase.
func (p *Pacer) Count(phase byte) (video, audio int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.video[phase], p.audio[phase]
}

// Stop ends the pacer; it is idempotent.
func (p *Pacer) Stop() {
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
	<-p.done
}

func (p *Pacer) next(count map[byte]int) (byte, uint32) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := count[p.phase]
	count[p.phase]++
	return p.phase, uint32(n)
}

func (p *Pacer) run() {
	defer close(p.done)
	start := time.Now()
	frameEvery := time.Second / time.Duration(p.fps)
	const audioEvery = 20 * time.Millisecond
	var frames, packets int64
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-tick.C:
		}
		el := time.Since(start)
		for ; frames <= int64(el/frameEvery); frames++ {
			ph, n := p.next(p.video)
			key := int(n)%p.keyEvery == 0
			_ = p.c.SendCustomVideoData(rtc.StreamBig, &rtc.VideoFrame{Format: rtc.VideoFormatVP8, Data: vp8(ph, n, key, 640, 360, p.size), Keyframe: key})
			if p.small {
				_ = p.c.SendCustomVideoData(rtc.StreamSmall, &rtc.VideoFrame{Format: rtc.VideoFormatVP8, Data: vp8(ph, n, key, 320, 180, max(p.size/5, 60)), Keyframe: key})
			}
		}
		for ; packets <= int64(el/audioEvery); packets++ {
			ph, n := p.next(p.audio)
			_ = p.c.SendCustomAudioData(&rtc.AudioFrame{Format: rtc.AudioFormatOpus, Data: opus(ph, n, 80)})
		}
	}
}
