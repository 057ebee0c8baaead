package proto

// Mix transcoding and CDN relay from the SDKs: startPublishMediaStream,
// updatePublishMediaStream and stopPublishMediaStream (trtc-reference §3.6,
// §3.8; docs/protocol.md "Publishing media streams"). The structs follow
// TRTCPublishTarget, TRTCStreamEncoderParam and TRTCStreamMixingConfig,
// with their JSON keys.

// Message types of media stream publishing, sent by clients.
const (
	// PublishMediaStreamRequest → PublishMediaStreamResponse.
	TypeStartPublishMediaStream = "start_publish_media_stream"
	// PublishMediaStreamRequest with TaskID → PublishMediaStreamResponse.
	TypeUpdatePublishMediaStream = "update_publish_media_stream"
	// StopPublishMediaStreamRequest → StopPublishMediaStreamResponse.
	TypeStopPublishMediaStream = "stop_publish_media_stream"
)

// TypeCdnStreamState is an event to the member that started a task: one of
// its targets changed state (CdnStreamState; TRTC's onCdnStreamStateChanged).
const TypeCdnStreamState = "cdn_stream_state"

// CdnStreamState reports a target's state: 0 idle (ended), 1 connecting, 2
// pushing, 3 recovering, 4 failed (retrying), 5 disconnecting. Msg is the
// failure when Code is not 0.
type CdnStreamState struct {
	TaskID string `json:"taskId"`
	CdnURL string `json:"cdnUrl"`
	Status int    `json:"status"`
	Code   int    `json:"code,omitempty"`
	Msg    string `json:"msg,omitempty"`
}

// Publish modes (TRTCPublishMode).
const (
	PublishBigStreamToCdn  = 1
	PublishSubStreamToCdn  = 2
	PublishMixStreamToCdn  = 3
	PublishMixStreamToRoom = 4
)

// PublishUser is TRTCUser: a user and its room (empty: the caller's room).
type PublishUser struct {
	UserID    string `json:"userId"`
	IntRoomID uint64 `json:"intRoomId,omitempty"`
	StrRoomID string `json:"strRoomId,omitempty"`
}

// PublishCdnURL is TRTCPublishCdnUrl.
type PublishCdnURL struct {
	RTMPURL        string `json:"rtmpUrl"`
	IsInternalLine bool   `json:"isInternalLine,omitempty"`
}

// PublishTarget is TRTCPublishTarget.
type PublishTarget struct {
	Mode              int             `json:"mode"`
	CdnURLList        []PublishCdnURL `json:"cdnUrlList,omitempty"`
	MixStreamIdentity *PublishUser    `json:"mixStreamIdentity,omitempty"`
}

// StreamEncoderParam is TRTCStreamEncoderParam (0 values: defaults).
type StreamEncoderParam struct {
	VideoEncodedWidth      int `json:"videoEncodedWidth,omitempty"`
	VideoEncodedHeight     int `json:"videoEncodedHeight,omitempty"`
	VideoEncodedFPS        int `json:"videoEncodedFPS,omitempty"`
	VideoEncodedGOP        int `json:"videoEncodedGOP,omitempty"`
	VideoEncodedKbps       int `json:"videoEncodedKbps,omitempty"`
	VideoEncodedCodecType  int `json:"videoEncodedCodecType,omitempty"`
	AudioEncodedSampleRate int `json:"audioEncodedSampleRate,omitempty"`
	AudioEncodedChannelNum int `json:"audioEncodedChannelNum,omitempty"`
	AudioEncodedKbps       int `json:"audioEncodedKbps,omitempty"`
	AudioEncodedCodecType  int `json:"audioEncodedCodecType,omitempty"`
}

// Rect is a layout's rectangle in canvas pixels.
type Rect struct {
	Left   int `json:"left"`
	Top    int `json:"top"`
	Right  int `json:"right"`
	Bottom int `json:"bottom"`
}

// VideoLayout is TRTCVideoLayout.
type VideoLayout struct {
	Rect     Rect `json:"rect"`
	ZOrder   int  `json:"zOrder,omitempty"`
	FillMode int  `json:"fillMode,omitempty"` // 0 fill (crop), 1 fit
	// FixedVideoUser: nil fills the cell with the next anchor.
	FixedVideoUser       *PublishUser `json:"fixedVideoUser,omitempty"`
	FixedVideoStreamType int          `json:"fixedVideoStreamType,omitempty"` // 0 big, 2 sub
}

// StreamMixingConfig is TRTCStreamMixingConfig.
type StreamMixingConfig struct {
	BackgroundColor  uint32        `json:"backgroundColor,omitempty"` // 0xRRGGBB
	BackgroundImage  string        `json:"backgroundImage,omitempty"`
	VideoLayoutList  []VideoLayout `json:"videoLayoutList,omitempty"`
	AudioMixUserList []PublishUser `json:"audioMixUserList,omitempty"`
}

// PublishMediaStreamRequest starts (TaskID empty) or updates a task.
type PublishMediaStreamRequest struct {
	TaskID  string              `json:"taskId,omitempty"`
	Target  PublishTarget       `json:"target"`
	Encoder *StreamEncoderParam `json:"encoder,omitempty"`
	Mix     *StreamMixingConfig `json:"mix,omitempty"`
}

// PublishMediaStreamResponse names the task; a refused start of a task
// that already runs names that task (Code < 0).
type PublishMediaStreamResponse struct {
	TaskID string `json:"taskId"`
}

// StopPublishMediaStreamRequest stops one task, or (TaskID empty) every
// task the user started in the room.
type StopPublishMediaStreamRequest struct {
	TaskID string `json:"taskId,omitempty"`
}

// StopPublishMediaStreamResponse lists the tasks stopped.
type StopPublishMediaStreamResponse struct {
	TaskIDs []string `json:"taskIds"`
}
