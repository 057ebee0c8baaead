package rtc

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"

	"github.com/rtcengine/rtcengine/internal/proto"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// Codes reported by the media calls.
const (
	// WarnCodeIgnoreUpstreamForAudience (6001): an audience member tried to
	// publish; nothing is sent.
	WarnCodeIgnoreUpstreamForAudience = trtc.WarnIgnoreUpstreamForAudience
	// ErrCodeNotSupported (−4): a raw format was asked for in a build
	// without cgo codecs.
	ErrCodeNotSupported = trtc.ErrNotSupported
)

// cloudMedia is what a Cloud remembers about media across rooms: which
// custom inputs are enabled and muted, and who renders what. A session's
// mediaClient reads it when it negotiates.
type cloudMedia struct {
	api mediaAPI

	mu        sync.Mutex
	video     [3]bool // custom capture enabled, by StreamType (Small: EnableSmallVideoStream)
	small     VideoEncParam
	audio     bool
	muteAudio bool
	muteVideo [3]bool // by StreamType; Small follows Big
	renderers map[string]videoRender
	audioObs  AudioFrameObserver
	audioFmt  AudioFormat
	raw       rawEncoders // of I420 and PCM input (cgo builds)

	volInterval time.Duration // EnableAudioVolumeEvaluation; 0 = off
}

type videoRender struct {
	format VideoFormat
	r      VideoRenderer
}

// pubStream is the pub_offer stream name of a local track.
func pubStream(st StreamType) string {
	switch st {
	case StreamSmall:
		return "small"
	case StreamSub:
		return "sub"
	}
	return "big"
}

// desired reports which streams this user should make available, given the
// capture state (role checks are the caller's).
func (cm *cloudMedia) desired() streams {
	cm.mu.Lock()
	defer cm.mu.Unlock()
	return streams{
		audio: cm.audio && !cm.muteAudio,
		video: cm.video[StreamBig] && !cm.muteVideo[StreamBig],
		sub:   cm.video[StreamSub] && !cm.muteVideo[StreamSub],
	}
}

// enabled reports whether the named pub stream's input is on.
func (cm *cloudMedia) enabled(name string) bool {
	cm.mu.Lock()
	defer cm.mu.Unlock()
	switch name {
	case proto.StreamAudio:
		return cm.audio
	case "big":
		return cm.video[StreamBig]
	case "small":
		return cm.video[StreamBig] && cm.video[StreamSmall]
	case "sub":
		return cm.video[StreamSub]
	}
	return false
}

// EnableCustomVideoCapture turns custom video input for a stream on or off
// (StreamBig: the camera stream, StreamSub: screen share). It may be called
// before EnterRoom; in a room, enabling makes the stream available to
// others and the frames given to SendCustomVideoData are sent. The small
// stream is enabled with EnableSmallVideoStream instead.
func (c *Cloud) EnableCustomVideoCapture(streamType StreamType, enable bool) {
	if streamType != StreamBig && streamType != StreamSub {
		c.emit(func(l Listener) {
			l.OnWarning(trtc.ErrInvalidParameter, "EnableCustomVideoCapture takes StreamBig or StreamSub")
		})
		return
	}
	cm := &c.mediaState
	cm.mu.Lock()
	changed := cm.video[streamType] != enable
	cm.video[streamType] = enable
	cm.mu.Unlock()
	if changed {
		c.mediaChanged(enable)
	}
}

// EnableSmallVideoStream turns the small stream of the camera on or off.
// With encoded input it is a second encoded input: send its frames with
// SendCustomVideoData(StreamSmall, frame). small describes it (TRTC's
// encoder parameters; an encoded input decides its own).
func (c *Cloud) EnableSmallVideoStream(enable bool, small VideoEncParam) {
	cm := &c.mediaState
	cm.mu.Lock()
	changed := cm.video[StreamSmall] != enable
	cm.video[StreamSmall] = enable
	cm.small = small
	cm.mu.Unlock()
	if changed {
		c.mediaChanged(false)
	}
}

// EnableCustomAudioCapture turns custom audio input on or off; in a room,
// enabling makes audio available to others.
func (c *Cloud) EnableCustomAudioCapture(enable bool) {
	cm := &c.mediaState
	cm.mu.Lock()
	changed := cm.audio != enable
	cm.audio = enable
	cm.mu.Unlock()
	if changed {
		c.mediaChanged(enable)
	}
}

// MuteLocalAudio stops or resumes sending audio without releasing it: while
// muted the audio track stays and carries Opus silence in place of the
// frames given to SendCustomAudioData, and others see
// OnUserAudioAvailable(false).
func (c *Cloud) MuteLocalAudio(mute bool) {
	cm := &c.mediaState
	cm.mu.Lock()
	cm.muteAudio = mute
	cm.mu.Unlock()
	c.mediaChanged(false)
}

// MuteLocalVideo stops or resumes sending a video stream (StreamBig, which
// includes its small stream, or StreamSub); others see the stream become
// unavailable. Frames sent while muted are dropped.
func (c *Cloud) MuteLocalVideo(streamType StreamType, mute bool) {
	if streamType == StreamSmall {
		streamType = StreamBig
	}
	if streamType != StreamBig && streamType != StreamSub {
		return
	}
	cm := &c.mediaState
	cm.mu.Lock()
	cm.muteVideo[streamType] = mute
	cm.mu.Unlock()
	c.mediaChanged(false)
}

// mediaChanged brings the current session's publication in line with the
// capture state. warnAudience reports 6001 if the user is audience.
func (c *Cloud) mediaChanged(warnAudience bool) {
	c.mu.Lock()
	s := c.sess
	c.mu.Unlock()
	if s != nil {
		s.media.sync(warnAudience)
	}
}

// SendCustomVideoData sends one encoded frame (VP8 frame or H.264 access
// unit) on a stream whose custom capture is enabled. A cgo build with
// -tags rtccodecs also takes raw I420 frames (Data of Width×Height×3/2
// bytes) and encodes them to VP8 in real time: at the StreamSmall
// VideoBitrate of EnableSmallVideoStream, else at a rate for the size, with
// a keyframe first and whenever a receiver asks for one. Frame.Timestamp (ms)
// sets the RTP timestamps; 0 means "now". Frames sent before the media
// connection is up, or while muted, are dropped without error. An encoded
// input cannot be asked for keyframes: send one at least every 2 s so that
// new subscribers and those recovering from loss can start decoding.
func (c *Cloud) SendCustomVideoData(streamType StreamType, frame *VideoFrame) error {
	if streamType < StreamBig || streamType > StreamSub {
		return ErrInvalidStreamType
	}
	if frame == nil || len(frame.Data) == 0 {
		return ErrInvalidFrame
	}
	switch frame.Format {
	case VideoFormatVP8, VideoFormatH264:
	case VideoFormatI420:
		if rawCodecs == nil {
			return ErrFormatNeedsCgo
		}
		return c.sendI420(streamType, frame)
	default:
		return fmt.Errorf("%w: %v", ErrUnsupportedFormat, frame.Format)
	}
	lt, muted, err := c.videoTrack(streamType, frame.Format)
	if err != nil || muted {
		return err
	}
	if err := lt.write(c.msgs.attachSEI(streamType, frame.Format, frame.Data), frame.Timestamp); err != nil {
		return err
	}
	lt.meterVideo(frame)
	if lt.live.Load() && !lt.sentFirst.Swap(true) {
		c.emit(func(l Listener) { l.OnSendFirstLocalVideoFrame(streamType) })
	}
	return nil
}

// videoTrack applies the checks every video frame passes — capture enabled,
// in a room, not muted — and returns the local track for format. muted
// reports a frame to drop without an error.
func (c *Cloud) videoTrack(st StreamType, format VideoFormat) (lt *localTrack, muted bool, err error) {
	name := pubStream(st)
	if !c.mediaState.enabled(name) {
		return nil, false, ErrCaptureDisabled
	}
	m, err := c.publishingMedia()
	if err != nil {
		return nil, false, err
	}
	cm := &c.mediaState
	cm.mu.Lock()
	muted = cm.muteVideo[st] || (st == StreamSmall && cm.muteVideo[StreamBig])
	cm.mu.Unlock()
	if muted {
		return nil, true, nil
	}
	if lt = m.localTrack(name, format); lt == nil {
		return nil, false, ErrNotInRoom
	}
	return lt, false, nil
}

// SendCustomAudioData sends one Opus packet while custom audio capture is
// enabled. A cgo build with -tags rtccodecs also takes 16-bit PCM (8, 12,
// 16, 24 or 48 kHz; 1 or 2 channels; any length, typically 10–60 ms),
// buffers it into 20 ms frames and encodes them to Opus; such packets get
// consecutive timestamps and their measured loudness as Volume. Frame.Timestamp (ms) sets the RTP timestamp; 0 continues from the
// previous packet by its duration. While muted, silence is sent instead.
func (c *Cloud) SendCustomAudioData(frame *AudioFrame) error {
	if frame == nil || len(frame.Data) == 0 {
		return ErrInvalidFrame
	}
	switch frame.Format {
	case AudioFormatOpus:
	case AudioFormatPCM:
		if rawCodecs == nil {
			return ErrFormatNeedsCgo
		}
		return c.sendPCM(frame)
	default:
		return fmt.Errorf("%w: %v", ErrUnsupportedFormat, frame.Format)
	}
	if !c.mediaState.enabled(proto.StreamAudio) {
		return ErrCaptureDisabled
	}
	m, err := c.publishingMedia()
	if err != nil {
		return err
	}
	cm := &c.mediaState
	cm.mu.Lock()
	muted := cm.muteAudio
	cm.mu.Unlock()
	lt := m.localTrack(proto.StreamAudio, 0)
	if lt == nil {
		return ErrNotInRoom
	}
	data, volume := frame.Data, min(max(frame.Volume, 0), 100)
	if muted {
		data, volume = opusSilence, 0
	}
	if err := lt.writeAudio(data, frame.Data, frame.Timestamp, volume); err != nil {
		return err
	}
	lt.meter.count(len(data), time.Now())
	lt.meter.noteVolume(volume)
	if lt.live.Load() && !lt.sentFirst.Swap(true) {
		c.emit(func(l Listener) { l.OnSendFirstLocalAudioFrame() })
	}
	return nil
}

// publishingMedia returns the media of the current session if this user may
// publish in it.
func (c *Cloud) publishingMedia() (*mediaClient, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.sess
	if s == nil || s.state != sInRoom {
		return nil, ErrNotInRoom
	}
	if s.role == RoleAudience {
		return nil, ErrAudienceCannotPublish
	}
	return s.media, nil
}

// localTrack is one published input: an RTP track, its packetizer and the
// mapping from frame timestamps to RTP timestamps.
type localTrack struct {
	name   string // pub_offer stream: audio, big, small, sub
	format VideoFormat
	track  *webrtc.TrackLocalStaticRTP

	mu      sync.Mutex
	pk      rtp.Packetizer
	clock   uint32 // Hz
	started bool
	base    uint32 // RTP timestamp of the first frame
	firstMs uint64 // its frame timestamp
	wall    time.Time
	lastTS  uint32
	nextTS  uint32 // audio without timestamps: continues by packet duration

	live      atomic.Bool // negotiated on a connected publisher connection
	sentFirst atomic.Bool
	// keyRequested: a PLI or FIR arrived; the I420 encoder makes its next
	// frame a keyframe.
	keyRequested atomic.Bool

	meter   flowMeter     // what the application sent (statistics, volume)
	levelID atomic.Uint32 // negotiated RFC 6464 extension id (audio), 0 = none
}

// meterVideo counts a sent video frame and notes its size: the frame's
// own when it is a keyframe that says, else what the application gave.
func (t *localTrack) meterVideo(f *VideoFrame) {
	t.meter.count(len(f.Data), time.Now())
	var w, h int
	var ok bool
	switch f.Format {
	case VideoFormatVP8:
		w, h, ok = vp8KeyframeSize(f.Data)
	case VideoFormatH264:
		if f.Keyframe || f.Width == 0 {
			_, w, h, ok = h264KeyframeInfo(f.Data)
		}
	}
	if !ok {
		w, h = f.Width, f.Height
	}
	t.meter.setSize(w, h)
}

// outboundMTU leaves room for SRTP, header extensions and RTX.
const outboundMTU = 1200

func newLocalTrack(name string, format VideoFormat, streamID string) (*localTrack, error) {
	var (
		cap      webrtc.RTPCodecCapability
		payloder rtp.Payloader
	)
	switch {
	case name == proto.StreamAudio:
		cap = webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}
		payloder = &codecs.OpusPayloader{}
	case format == VideoFormatVP8:
		cap = webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}
		payloder = &codecs.VP8Payloader{EnablePictureID: true}
	case format == VideoFormatH264:
		cap = webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000, SDPFmtpLine: h264Fmtp}
		payloder = &codecs.H264Payloader{}
	default:
		return nil, fmt.Errorf("%w: %v", ErrUnsupportedFormat, format)
	}
	tr, err := webrtc.NewTrackLocalStaticRTP(cap, name, streamID)
	if err != nil {
		return nil, err
	}
	// SSRC and payload type are set per connection by the track; the
	// packetizer only numbers and splits.
	pk := rtp.NewPacketizer(outboundMTU, 0, 0, payloder, rtp.NewRandomSequencer(), cap.ClockRate)
	return &localTrack{name: name, format: format, track: tr, pk: pk, clock: cap.ClockRate}, nil
}

// write packetizes and sends one video frame.
func (t *localTrack) write(data []byte, tsMs uint64) error {
	t.mu.Lock()
	ts := t.timestamp(tsMs)
	pkts := t.pk.Packetize(data, 0)
	t.mu.Unlock()
	return t.send(pkts, ts)
}

// writeAudio sends one Opus packet; orig is the application's packet, whose
// duration advances the clock when it gives no timestamps. volume (0..100)
// goes out as the packet's RFC 6464 audio level once the extension is
// negotiated.
func (t *localTrack) writeAudio(data, orig []byte, tsMs uint64, volume int) error {
	t.mu.Lock()
	var ts uint32
	if tsMs != 0 {
		ts = t.timestamp(tsMs)
	} else {
		if !t.started {
			t.started = true
			t.nextTS = randomTimestamp()
		}
		ts = t.nextTS
	}
	d := opusSamples(orig)
	if d == 0 {
		d = 960
	}
	t.nextTS = ts + d
	t.lastTS = ts
	pkts := t.pk.Packetize(data, 0)
	t.mu.Unlock()
	if id := uint8(t.levelID.Load()); id != 0 {
		for _, p := range pkts {
			_ = p.Header.SetExtension(id, []byte{audioLevelByte(volume)})
		}
	}
	return t.send(pkts, ts)
}

// timestamp maps a frame time in ms (0: now) to an RTP timestamp that never
// goes backwards. Called with mu held.
func (t *localTrack) timestamp(tsMs uint64) uint32 {
	now := time.Now()
	if !t.started {
		t.started = true
		t.wall = now
		t.firstMs = tsMs
		t.base = randomTimestamp()
		t.lastTS = t.base
		return t.base
	}
	var ms uint64
	if tsMs != 0 && tsMs >= t.firstMs {
		ms = tsMs - t.firstMs
	} else {
		ms = uint64(now.Sub(t.wall) / time.Millisecond)
	}
	ts := t.base + uint32(ms*uint64(t.clock)/1000)
	if int32(ts-t.lastTS) < 0 {
		ts = t.lastTS
	}
	t.lastTS = ts
	return ts
}

func randomTimestamp() uint32 { return rand.Uint32() }

func (t *localTrack) send(pkts []*rtp.Packet, ts uint32) error {
	for _, p := range pkts {
		p.Timestamp = ts
		if err := t.track.WriteRTP(p); err != nil {
			return err
		}
	}
	return nil
}
