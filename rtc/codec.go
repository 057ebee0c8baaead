package rtc

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"
)

// Raw I420 and PCM go through codecs that only a cgo build has
// (codec_cgo.go, -tags rtccodecs: libvpx and libopus). Without them
// rawCodecs is nil and raw formats are refused with ErrFormatNeedsCgo.
var rawCodecs *codecFactory

// codecFactory makes the raw-format codecs of a cgo build.
type codecFactory struct {
	newVideoEncoder func(w, h, kbps int) (videoEncoder, error) // VP8
	newVideoDecoder func() (videoDecoder, error)               // VP8
	newAudioEncoder func(rate, channels int) (audioEncoder, error)
	newAudioDecoder func(channels int) (audioDecoder, error) // 48 kHz output
}

// videoEncoder compresses tightly packed I420 frames of one size. It is
// not safe for concurrent use.
type videoEncoder interface {
	// encode returns the frame, or nil data if rate control dropped it.
	encode(i420 []byte, ptsMs int64, durMs int, forceKey bool) (data []byte, key bool, err error)
	close()
}

// videoDecoder turns frames into tightly packed I420 pictures; nil data
// means the frame showed nothing.
type videoDecoder interface {
	decode(frame []byte) (i420 []byte, w, h int, err error)
	close()
}

// audioEncoder compresses one 20 ms frame of interleaved samples.
type audioEncoder interface {
	encode(pcm []int16) ([]byte, error)
	close()
}

// audioDecoder turns one Opus packet into interleaved 48 kHz samples.
type audioDecoder interface {
	decode(pkt []byte) ([]int16, error)
	close()
}

var errCodecClosed = errors.New("rtc: codec closed")

// i420Size is the size of a tightly packed I420 picture.
func i420Size(w, h int) int {
	cw, ch := (w+1)/2, (h+1)/2
	return w*h + 2*cw*ch
}

// defaultVideoKbps is the VP8 target for a size when the application gave
// none: about 0.11 bits per pixel at 30 fps.
func defaultVideoKbps(w, h int) int {
	return min(max(w*h/300, 100), 4000)
}

// rawEncoders holds a Cloud's encoders of raw input, one per stream, so
// that they live across rooms. Cloud.Close frees them.
type rawEncoders struct {
	video [3]rawVideoSlot // by StreamType
	audio rawAudioSlot
}

type rawVideoSlot struct {
	mu     sync.Mutex
	closed bool
	enc    videoEncoder
	w, h   int
	kbps   int
	track  *localTrack // the track its frames went to: a new one needs a keyframe
	lastMs int64
	wall   time.Time
}

type rawAudioSlot struct {
	mu       sync.Mutex
	closed   bool
	enc      audioEncoder
	rate, ch int
	buf      []int16
}

func (r *rawEncoders) close() {
	for i := range r.video {
		s := &r.video[i]
		s.mu.Lock()
		s.closed = true
		if s.enc != nil {
			s.enc.close()
			s.enc = nil
		}
		s.mu.Unlock()
	}
	a := &r.audio
	a.mu.Lock()
	a.closed = true
	if a.enc != nil {
		a.enc.close()
		a.enc = nil
	}
	a.buf = nil
	a.mu.Unlock()
}

// sendI420 encodes a raw frame to VP8 and sends it as encoded input. The
// first frame on a track, and the first after a PLI or FIR from the
// server, is a keyframe.
func (c *Cloud) sendI420(st StreamType, f *VideoFrame) error {
	if f.Width <= 0 || f.Height <= 0 || f.Width > 8192 || f.Height > 8192 {
		return fmt.Errorf("%w: I420 frame of %dx%d", ErrInvalidFrame, f.Width, f.Height)
	}
	if len(f.Data) < i420Size(f.Width, f.Height) {
		return fmt.Errorf("%w: I420 %dx%d needs %d bytes, got %d", ErrInvalidFrame, f.Width, f.Height, i420Size(f.Width, f.Height), len(f.Data))
	}
	lt, muted, err := c.videoTrack(st, VideoFormatVP8)
	if err != nil || muted {
		return err
	}
	cm := &c.mediaState
	kbps := 0
	if st == StreamSmall {
		cm.mu.Lock()
		kbps = cm.small.VideoBitrate
		cm.mu.Unlock()
	}
	if kbps <= 0 {
		kbps = defaultVideoKbps(f.Width, f.Height)
	}

	s := &cm.raw.video[st]
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrNotInRoom
	}
	if s.enc == nil || s.w != f.Width || s.h != f.Height || s.kbps != kbps {
		if s.enc != nil {
			s.enc.close()
			s.enc = nil
		}
		enc, err := rawCodecs.newVideoEncoder(f.Width, f.Height, kbps)
		if err != nil {
			s.mu.Unlock()
			return err
		}
		s.enc, s.w, s.h, s.kbps = enc, f.Width, f.Height, kbps
		s.track, s.lastMs, s.wall = nil, -1, time.Time{}
	}
	// pts in ms: the application's timestamps, else the wall clock.
	now := time.Now()
	if s.wall.IsZero() {
		s.wall = now
	}
	pts := int64(f.Timestamp)
	if pts == 0 {
		pts = now.Sub(s.wall).Milliseconds()
	}
	if pts <= s.lastMs {
		pts = s.lastMs + 1
	}
	dur := 33
	if s.lastMs >= 0 {
		dur = int(min(max(pts-s.lastMs, 1), 1000))
	}
	s.lastMs = pts
	force := lt.keyRequested.Swap(false) || s.track != lt
	s.track = lt
	data, key, err := s.enc.encode(f.Data, pts, dur, force)
	s.mu.Unlock()
	if err != nil || data == nil {
		return err
	}
	return c.SendCustomVideoData(st, &VideoFrame{
		Format: VideoFormatVP8, Data: data, Width: f.Width, Height: f.Height, Timestamp: f.Timestamp, Keyframe: key,
	})
}

// sendPCM buffers raw audio into 20 ms frames, encodes them to Opus and
// sends each packet as encoded input, with its measured loudness as
// Volume. The packets carry consecutive RTP timestamps: Frame.Timestamp is
// not used.
func (c *Cloud) sendPCM(f *AudioFrame) error {
	switch f.SampleRate {
	case 8000, 12000, 16000, 24000, 48000:
	default:
		return fmt.Errorf("%w: %d Hz", ErrUnsupportedSampleRate, f.SampleRate)
	}
	if f.Channels != 1 && f.Channels != 2 {
		return fmt.Errorf("%w: %d channels (want 1 or 2)", ErrInvalidFrame, f.Channels)
	}
	if len(f.Data)%(2*f.Channels) != 0 {
		return fmt.Errorf("%w: PCM data of %d bytes is not whole 16-bit samples", ErrInvalidFrame, len(f.Data))
	}
	if !c.mediaState.enabled("audio") {
		return ErrCaptureDisabled
	}
	if _, err := c.publishingMedia(); err != nil {
		return err
	}

	a := &c.mediaState.raw.audio
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return ErrNotInRoom
	}
	if a.enc == nil || a.rate != f.SampleRate || a.ch != f.Channels {
		if a.enc != nil {
			a.enc.close()
			a.enc = nil
		}
		enc, err := rawCodecs.newAudioEncoder(f.SampleRate, f.Channels)
		if err != nil {
			a.mu.Unlock()
			return err
		}
		a.enc, a.rate, a.ch, a.buf = enc, f.SampleRate, f.Channels, nil
	}
	for i := 0; i+1 < len(f.Data); i += 2 {
		a.buf = append(a.buf, int16(binary.LittleEndian.Uint16(f.Data[i:])))
	}
	frame := f.SampleRate / 50 * f.Channels // 20 ms
	var pkts [][]byte
	var vols []int
	var err error
	for len(a.buf) >= frame && err == nil {
		var p []byte
		p, err = a.enc.encode(a.buf[:frame])
		if err == nil {
			pkts = append(pkts, p)
			vols = append(vols, pcmVolume(a.buf[:frame]))
		}
		a.buf = a.buf[frame:]
	}
	a.buf = append(a.buf[:0:0], a.buf...) // do not pin what was sent
	ch := a.ch
	a.mu.Unlock()
	if err != nil {
		return err
	}
	for i, p := range pkts {
		if err := c.SendCustomAudioData(&AudioFrame{
			Format: AudioFormatOpus, Data: p, SampleRate: 48000, Channels: ch, Volume: vols[i],
		}); err != nil {
			return err
		}
	}
	return nil
}

// pcmVolume is the loudness of samples on the 0..100 scale of
// OnUserVoiceVolume: the RFC 6464 level (−dBov) of their RMS.
func pcmVolume(pcm []int16) int {
	if len(pcm) == 0 {
		return 0
	}
	var sum float64
	for _, s := range pcm {
		sum += float64(s) * float64(s)
	}
	rms := math.Sqrt(sum / float64(len(pcm)))
	if rms < 1 {
		return 0
	}
	dbov := -20 * math.Log10(rms/32768)
	return levelToVolume(uint8(min(max(math.Round(dbov), 0), 127)))
}

// i420Output decodes one remote track's VP8 frames for an I420 renderer.
// It is owned by the track's reader and freed when the track ends.
type i420Output struct {
	dec    videoDecoder
	broken bool // could not create a decoder: logged once
}

// frame decodes f; ok is false when nothing can be rendered (the frame
// did not decode, or the track is not VP8).
func (o *i420Output) frame(m *mediaClient, f *VideoFrame) (out *VideoFrame, ok bool) {
	if rawCodecs == nil || f.Format != VideoFormatVP8 || o.broken {
		return nil, false
	}
	if o.dec == nil {
		d, err := rawCodecs.newVideoDecoder()
		if err != nil {
			o.broken = true
			m.log.Warn("no VP8 decoder", "err", err)
			return nil, false
		}
		o.dec = d
	}
	pic, w, h, err := o.dec.decode(f.Data)
	if err != nil || pic == nil {
		return nil, false
	}
	return &VideoFrame{Format: VideoFormatI420, Data: pic, Width: w, Height: h, Timestamp: f.Timestamp, Keyframe: f.Keyframe}, true
}

func (o *i420Output) close() {
	if o.dec != nil {
		o.dec.close()
		o.dec = nil
	}
}

// pcmOutput decodes one remote track's Opus packets for a PCM observer.
type pcmOutput struct {
	dec      audioDecoder
	channels int
	broken   bool
}

func (o *pcmOutput) frame(m *mediaClient, f *AudioFrame) (*AudioFrame, bool) {
	if rawCodecs == nil || o.broken {
		return nil, false
	}
	ch := min(max(f.Channels, 1), 2)
	if o.dec == nil || o.channels != ch {
		o.close()
		d, err := rawCodecs.newAudioDecoder(ch)
		if err != nil {
			o.broken = true
			m.log.Warn("no Opus decoder", "err", err)
			return nil, false
		}
		o.dec, o.channels = d, ch
	}
	pcm, err := o.dec.decode(f.Data)
	if err != nil || len(pcm) == 0 {
		return nil, false
	}
	data := make([]byte, 2*len(pcm))
	for i, s := range pcm {
		binary.LittleEndian.PutUint16(data[2*i:], uint16(s))
	}
	return &AudioFrame{Format: AudioFormatPCM, Data: data, SampleRate: 48000, Channels: ch, Timestamp: f.Timestamp, Volume: f.Volume}, true
}

func (o *pcmOutput) close() {
	if o.dec != nil {
		o.dec.close()
		o.dec = nil
	}
}
