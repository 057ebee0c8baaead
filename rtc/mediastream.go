package rtc

import (
	"encoding/json"

	"github.com/rtcengine/rtcengine/internal/proto"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// Publishing media streams to CDNs (startPublishMediaStream, trtc-reference
// §3.6; docs/cdn.md): the server mixes or relays streams of the room and
// pushes them to RTMP URLs. The results arrive in a MediaStreamListener's
// callbacks.

// PublishMode is TRTCPublishMode.
type PublishMode int

const (
	PublishModeUnknown PublishMode = 0
	// PublishBigStreamToCdn relays this user's camera (with its audio).
	PublishBigStreamToCdn PublishMode = 1
	// PublishSubStreamToCdn relays this user's screen share.
	PublishSubStreamToCdn PublishMode = 2
	// PublishMixStreamToCdn mixes the room's streams as StreamMixingConfig
	// says.
	PublishMixStreamToCdn PublishMode = 3
	// PublishMixStreamToRoom publishes the mix into a room as the robot
	// user PublishTarget.MixStreamIdentity (the server makes its UserSig).
	PublishMixStreamToRoom PublishMode = 4
)

// PublishUser is TRTCUser: a user and its room (zero room: this room).
type PublishUser struct {
	UserID    string
	IntRoomID uint32
	StrRoomID string
}

// PublishCdnURL is TRTCPublishCdnUrl: an rtmp:// URL.
type PublishCdnURL struct {
	RTMPURL        string
	IsInternalLine bool
}

// PublishTarget is TRTCPublishTarget: at most 10 URLs.
type PublishTarget struct {
	Mode              PublishMode
	CdnURLList        []PublishCdnURL
	MixStreamIdentity *PublishUser
}

// StreamEncoderParam is TRTCStreamEncoderParam. Zero values take the
// defaults: 48 kHz mono 50 kbps LC-AAC, 15 fps, GOP 2 s, automatic video
// bitrate; a 0x0 video size is audio only.
type StreamEncoderParam struct {
	VideoEncodedWidth, VideoEncodedHeight int
	VideoEncodedFPS                       int
	VideoEncodedGOP                       int // s, 1..5
	VideoEncodedKbps                      int
	VideoEncodedCodecType                 int // 0 H.264 (1 H.265 is not supported)
	AudioEncodedSampleRate                int
	AudioEncodedChannelNum                int
	AudioEncodedKbps                      int
	AudioEncodedCodecType                 int // 0 LC-AAC (HE-AAC is not supported)
}

// Rect is a rectangle of the mixed canvas, in pixels.
type Rect struct{ Left, Top, Right, Bottom int }

// VideoLayout is TRTCVideoLayout: one window of the mix.
type VideoLayout struct {
	Rect   Rect
	ZOrder int // 0..15
	// FillMode: 0 fill the window (crop), 1 fit inside it.
	FillMode int
	// FixedVideoUser: nil fills the window with the next anchor.
	FixedVideoUser       *PublishUser
	FixedVideoStreamType StreamType
}

// StreamMixingConfig is TRTCStreamMixingConfig. An empty VideoLayoutList
// mixes the anchors in a grid; an empty AudioMixUserList mixes every
// anchor's audio.
type StreamMixingConfig struct {
	BackgroundColor  uint32 // 0xRRGGBB
	BackgroundImage  string // not supported: leave empty
	VideoLayoutList  []VideoLayout
	AudioMixUserList []PublishUser
}

// MediaStreamListener receives the results of the PublishMediaStream
// calls; a Listener that implements it gets them. code 0 is success; a
// failed start of a task that already runs names that task.
type MediaStreamListener interface {
	OnStartPublishMediaStream(taskID string, code int, message string, extraInfo string)
	OnUpdatePublishMediaStream(taskID string, code int, message string, extraInfo string)
	OnStopPublishMediaStream(taskID string, code int, message string, extraInfo string)
}

func (u *PublishUser) wire() *proto.PublishUser {
	if u == nil {
		return nil
	}
	return &proto.PublishUser{UserID: u.UserID, IntRoomID: uint64(u.IntRoomID), StrRoomID: u.StrRoomID}
}

func mediaStreamRequest(taskID string, target *PublishTarget, enc *StreamEncoderParam, mix *StreamMixingConfig) proto.PublishMediaStreamRequest {
	req := proto.PublishMediaStreamRequest{TaskID: taskID}
	if target != nil {
		req.Target.Mode = int(target.Mode)
		for _, u := range target.CdnURLList {
			req.Target.CdnURLList = append(req.Target.CdnURLList, proto.PublishCdnURL{RTMPURL: u.RTMPURL, IsInternalLine: u.IsInternalLine})
		}
		req.Target.MixStreamIdentity = target.MixStreamIdentity.wire()
	}
	if enc != nil {
		e := proto.StreamEncoderParam(*enc)
		req.Encoder = &e
	}
	if mix != nil {
		m := &proto.StreamMixingConfig{BackgroundColor: mix.BackgroundColor, BackgroundImage: mix.BackgroundImage}
		for _, l := range mix.VideoLayoutList {
			m.VideoLayoutList = append(m.VideoLayoutList, proto.VideoLayout{
				Rect:   proto.Rect{Left: l.Rect.Left, Top: l.Rect.Top, Right: l.Rect.Right, Bottom: l.Rect.Bottom},
				ZOrder: l.ZOrder, FillMode: l.FillMode, FixedVideoUser: l.FixedVideoUser.wire(),
				FixedVideoStreamType: int(l.FixedVideoStreamType),
			})
		}
		for _, u := range mix.AudioMixUserList {
			m.AudioMixUserList = append(m.AudioMixUserList, *u.wire())
		}
		req.Mix = m
	}
	return req
}

// CdnStreamStateListener hears the targets of this user's publishing tasks
// change state (onCdnStreamStateChanged): status 0 idle (ended), 1
// connecting, 2 pushing, 3 recovering, 4 failed (retried), 5
// disconnecting; code −1 with the failure in msg. A Listener that
// implements it gets them. Feedback rooms are named
// "trtc://<sdkAppId>/<room>/<robot>".
type CdnStreamStateListener interface {
	OnCdnStreamStateChanged(cdnURL string, status int, code int, msg string, extraInfo string)
}

// cdnStreamState delivers a cdn_stream_state event.
func (c *Cloud) cdnStreamState(m proto.Message) {
	var e proto.CdnStreamState
	if proto.DecodeData(m, &e) != nil {
		return
	}
	b, _ := json.Marshal(map[string]string{"taskId": e.TaskID}) // extraInfo names the task
	extra := string(b)
	c.emit(func(l Listener) {
		if sl, ok := l.(CdnStreamStateListener); ok {
			sl.OnCdnStreamStateChanged(e.CdnURL, e.Status, e.Code, e.Msg, extra)
		}
	})
}

// mediaStreamEmit delivers a result to a MediaStreamListener.
func (c *Cloud) mediaStreamEmit(f func(MediaStreamListener)) {
	c.emit(func(l Listener) {
		if ml, ok := l.(MediaStreamListener); ok {
			f(ml)
		}
	})
}

// mediaStreamLink returns the link of the room session, or nil when not in
// a room.
func (c *Cloud) mediaStreamLink() (*link, *roomSession) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.sess
	if s == nil || s.state != sInRoom || s.link == nil {
		return nil, nil
	}
	return s.link, s
}

// StartPublishMediaStream asks the server to publish a stream to CDNs:
// this user's own stream (PublishBigStreamToCdn, PublishSubStreamToCdn;
// enc and mix may be nil) or a mix of the room (PublishMixStreamToCdn).
// The result, with the task id, arrives in OnStartPublishMediaStream.
func (c *Cloud) StartPublishMediaStream(target *PublishTarget, enc *StreamEncoderParam, mix *StreamMixingConfig) {
	l, s := c.mediaStreamLink()
	if l == nil {
		c.mediaStreamEmit(func(ml MediaStreamListener) {
			ml.OnStartPublishMediaStream("", ErrCodeDisconnected, "not in a room", "")
		})
		return
	}
	if target == nil {
		c.mediaStreamEmit(func(ml MediaStreamListener) {
			ml.OnStartPublishMediaStream("", ErrCodeInvalidParameter, "target is nil", "")
		})
		return
	}
	req := mediaStreamRequest("", target, enc, mix)
	l.request(proto.TypeStartPublishMediaStream, req, s.c.o.connectTimeout, trtc.ErrJSONCmdTimeout, func(m proto.Message) {
		var resp proto.PublishMediaStreamResponse
		_ = proto.DecodeData(m, &resp)
		c.mediaStreamEmit(func(ml MediaStreamListener) { ml.OnStartPublishMediaStream(resp.TaskID, m.Code, m.Msg, "") })
	})
}

// UpdatePublishMediaStream changes a task this user started: its URLs
// (added and removed without interrupting the others), layouts and audio
// users. Its encoding cannot change. The result arrives in
// OnUpdatePublishMediaStream.
func (c *Cloud) UpdatePublishMediaStream(taskID string, target *PublishTarget, enc *StreamEncoderParam, mix *StreamMixingConfig) {
	l, s := c.mediaStreamLink()
	if l == nil || target == nil || taskID == "" {
		code, msg := ErrCodeInvalidParameter, "taskID and target are required"
		if l == nil {
			code, msg = ErrCodeDisconnected, "not in a room"
		}
		c.mediaStreamEmit(func(ml MediaStreamListener) { ml.OnUpdatePublishMediaStream(taskID, code, msg, "") })
		return
	}
	req := mediaStreamRequest(taskID, target, enc, mix)
	l.request(proto.TypeUpdatePublishMediaStream, req, s.c.o.connectTimeout, trtc.ErrJSONCmdTimeout, func(m proto.Message) {
		c.mediaStreamEmit(func(ml MediaStreamListener) { ml.OnUpdatePublishMediaStream(taskID, m.Code, m.Msg, "") })
	})
}

// StopPublishMediaStream stops a task this user started; an empty taskID
// stops all of them. OnStopPublishMediaStream reports each task stopped
// (an empty taskID with nothing to stop reports taskID "").
func (c *Cloud) StopPublishMediaStream(taskID string) {
	l, s := c.mediaStreamLink()
	if l == nil {
		c.mediaStreamEmit(func(ml MediaStreamListener) {
			ml.OnStopPublishMediaStream(taskID, ErrCodeDisconnected, "not in a room", "")
		})
		return
	}
	l.request(proto.TypeStopPublishMediaStream, proto.StopPublishMediaStreamRequest{TaskID: taskID}, s.c.o.connectTimeout,
		trtc.ErrJSONCmdTimeout, func(m proto.Message) {
			var resp proto.StopPublishMediaStreamResponse
			_ = proto.DecodeData(m, &resp)
			if m.Code != 0 || len(resp.TaskIDs) == 0 {
				c.mediaStreamEmit(func(ml MediaStreamListener) { ml.OnStopPublishMediaStream(taskID, m.Code, m.Msg, "") })
				return
			}
			for _, id := range resp.TaskIDs {
				c.mediaStreamEmit(func(ml MediaStreamListener) { ml.OnStopPublishMediaStream(id, 0, "", "") })
			}
		})
}
