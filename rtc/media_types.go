package rtc

import (
	"errors"
	"fmt"
)

// VideoFormat is the format of a VideoFrame (TRTCVideoPixelFormat extended
// with the encoded formats a Go program hands in and gets out).
type VideoFormat int

const (
	VideoFormatUnknown VideoFormat = 0
	// VideoFormatI420 is raw planar YUV 4:2:0, tightly packed: Y (w×h),
	// then U and V (⌈w/2⌉×⌈h/2⌉ each). It is encoded to and decoded from
	// VP8 with libvpx, which needs a cgo build with -tags rtccodecs;
	// otherwise such frames are refused with ErrFormatNeedsCgo.
	VideoFormatI420 VideoFormat = 1
	// VideoFormatVP8 is one encoded VP8 frame (RFC 6386), as an IVF file
	// holds it.
	VideoFormatVP8 VideoFormat = 100
	// VideoFormatH264 is one H.264 access unit in Annex-B form (start
	// codes before every NAL unit). Received access units carry 4-byte start
	// codes, and access unit delimiters and filler data are not transmitted.
	VideoFormatH264 VideoFormat = 101
)

func (f VideoFormat) String() string {
	switch f {
	case VideoFormatI420:
		return "I420"
	case VideoFormatVP8:
		return "VP8"
	case VideoFormatH264:
		return "H264"
	}
	return fmt.Sprintf("VideoFormat(%d)", int(f))
}

// AudioFormat is the format of an AudioFrame.
type AudioFormat int

const (
	AudioFormatUnknown AudioFormat = 0
	// AudioFormatPCM is 16-bit little-endian interleaved PCM. It is encoded
	// to and decoded from Opus with libopus, which needs a cgo build with
	// -tags rtccodecs; otherwise such frames are refused with
	// ErrFormatNeedsCgo.
	AudioFormatPCM AudioFormat = 1
	// AudioFormatOpus is one Opus packet (RFC 6716), as an Ogg page holds it.
	AudioFormatOpus AudioFormat = 100
)

func (f AudioFormat) String() string {
	switch f {
	case AudioFormatPCM:
		return "PCM"
	case AudioFormatOpus:
		return "Opus"
	}
	return fmt.Sprintf("AudioFormat(%d)", int(f))
}

// VideoFrame is one video frame, sent with SendCustomVideoData or received
// by a VideoRenderer (TRTCVideoFrame).
type VideoFrame struct {
	Format    VideoFormat // VideoFormatI420, VideoFormatVP8, VideoFormatH264 (one encoded frame / access unit)
	Data      []byte
	Width     int
	Height    int
	Timestamp uint64 // ms
	Keyframe  bool   // encoded formats
}

// AudioFrame is one audio frame, sent with SendCustomAudioData or received
// by an AudioFrameObserver (TRTCAudioFrame).
type AudioFrame struct {
	Format     AudioFormat // AudioFormatPCM (16-bit interleaved), AudioFormatOpus (one packet)
	Data       []byte
	SampleRate int
	Channels   int
	Timestamp  uint64 // ms
	// Volume is the frame's loudness, 0 (silence) to 100 (TRTCVolumeInfo's
	// scale). Sending, the application says it: the SDK sends encoded Opus
	// as it is and cannot measure it, so this value becomes the packet's
	// RFC 6464 audio level, which OnUserVoiceVolume reports to everyone
	// (0, the default, is silence). Receiving, it is the level the sender's
	// packet carried.
	Volume int
}

// VideoRenderer receives the decoded (cgo) or encoded frames of one remote
// user (TRTCVideoRenderCallback). It is called on a goroutine of the
// user's track, never concurrently for one track; the frame and its data
// belong to the renderer. Return quickly: a slow renderer delays that
// track's frames.
type VideoRenderer interface {
	OnRenderVideoFrame(userID string, streamType StreamType, frame *VideoFrame)
}

// VideoRendererFunc adapts a function to VideoRenderer.
type VideoRendererFunc func(userID string, streamType StreamType, frame *VideoFrame)

// OnRenderVideoFrame calls f.
func (f VideoRendererFunc) OnRenderVideoFrame(userID string, streamType StreamType, frame *VideoFrame) {
	f(userID, streamType, frame)
}

// AudioFrameObserver receives every remote user's audio
// (TRTCAudioFrameObserver). It is called on a goroutine of each user's
// audio track, so calls for different users may be concurrent; the frame
// belongs to the observer.
type AudioFrameObserver interface {
	OnRemoteUserAudioFrame(userID string, frame *AudioFrame)
}

// AudioFrameObserverFunc adapts a function to AudioFrameObserver.
type AudioFrameObserverFunc func(userID string, frame *AudioFrame)

// OnRemoteUserAudioFrame calls f.
func (f AudioFrameObserverFunc) OnRemoteUserAudioFrame(userID string, frame *AudioFrame) {
	f(userID, frame)
}

// VideoResolution is TRTCVideoResolution (landscape sizes; ResMode turns
// them to portrait).
type VideoResolution int

const (
	VideoResolution120x120   VideoResolution = 1
	VideoResolution160x160   VideoResolution = 3
	VideoResolution270x270   VideoResolution = 5
	VideoResolution480x480   VideoResolution = 7
	VideoResolution160x120   VideoResolution = 50
	VideoResolution240x180   VideoResolution = 52
	VideoResolution280x210   VideoResolution = 54
	VideoResolution320x240   VideoResolution = 56
	VideoResolution400x300   VideoResolution = 58
	VideoResolution480x360   VideoResolution = 60
	VideoResolution640x480   VideoResolution = 62
	VideoResolution960x720   VideoResolution = 64
	VideoResolution160x90    VideoResolution = 100
	VideoResolution256x144   VideoResolution = 102
	VideoResolution320x180   VideoResolution = 104
	VideoResolution480x270   VideoResolution = 106
	VideoResolution640x360   VideoResolution = 108
	VideoResolution960x540   VideoResolution = 110
	VideoResolution1280x720  VideoResolution = 112
	VideoResolution1920x1080 VideoResolution = 114
)

// VideoResolutionMode is TRTCVideoResolutionMode.
type VideoResolutionMode int

const (
	ResModeLandscape VideoResolutionMode = 0
	ResModePortrait  VideoResolutionMode = 1
)

// VideoEncParam is TRTCVideoEncParam. With encoded custom capture the
// application's encoder decides what is sent; the SDK keeps these values
// for the encoder of raw input (cgo) and for statistics.
type VideoEncParam struct {
	VideoResolution VideoResolution
	ResMode         VideoResolutionMode
	VideoFps        int // frames per second
	VideoBitrate    int // kbps, the target
	MinVideoBitrate int // kbps; 0 lets the SDK choose
	EnableAdjustRes bool
}

// Errors of custom capture. SendCustomVideoData and SendCustomAudioData
// return them (possibly wrapped); test with errors.Is.
var (
	// ErrFormatNeedsCgo: raw I420 video and PCM audio need libvpx/libopus
	// through cgo, which this build does not include (build with
	// -tags rtccodecs). Send encoded VP8,
	// H.264 or Opus instead.
	ErrFormatNeedsCgo = errors.New("rtc: raw I420/PCM needs a cgo build with libvpx/libopus; send VP8, H.264 or Opus")
	// ErrUnsupportedSampleRate: PCM input must be 8, 12, 16, 24 or 48 kHz,
	// the rates libopus encodes; resample 44.1 or 32 kHz audio first.
	ErrUnsupportedSampleRate = errors.New("rtc: unsupported PCM sample rate (want 8000, 12000, 16000, 24000 or 48000)")
	// ErrUnsupportedFormat: the frame's format is not one the SDK knows.
	ErrUnsupportedFormat = errors.New("rtc: unsupported frame format")
	// ErrInvalidFrame: a nil frame or one without data.
	ErrInvalidFrame = errors.New("rtc: empty frame")
	// ErrCaptureDisabled: custom capture is not enabled for this stream
	// (EnableCustomVideoCapture, EnableCustomAudioCapture,
	// EnableSmallVideoStream).
	ErrCaptureDisabled = errors.New("rtc: custom capture is not enabled for this stream")
	// ErrNotInRoom: media is sent only while in a room.
	ErrNotInRoom = errors.New("rtc: not in a room")
	// ErrAudienceCannotPublish: audience members do not send media (TRTC
	// warning 6001); switch role to anchor first.
	ErrAudienceCannotPublish = errors.New("rtc: audience members cannot publish")
	// ErrInvalidStreamType: a stream type other than Big, Small or Sub.
	ErrInvalidStreamType = errors.New("rtc: invalid stream type")
)
