package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/rtcengine/rtcengine/internal/api"
	"github.com/rtcengine/rtcengine/internal/egress"
	"github.com/rtcengine/rtcengine/internal/proto"
	"github.com/rtcengine/rtcengine/internal/signaling"
	"github.com/rtcengine/rtcengine/internal/trtc"
	"github.com/rtcengine/rtcengine/usersig"
)

// The SDKs' startPublishMediaStream, updatePublishMediaStream and
// stopPublishMediaStream (docs/protocol.md): each request is mapped to the
// REST action's request and validated by the same parser, then run by the
// relay service as the member's own task (its robot is named by the
// server; the member's ticket stands for the robot's UserSig).

// sdkRobotSig stands in for AgentParams.UserSig: the member entered with
// a verified ticket, and an SDK task's robot is not a user that enters.
const sdkRobotSig = "member"

// sdkRelay adapts the relay service to signaling.MediaStreams.
type sdkRelay struct{ r *relayService }

var _ signaling.MediaStreams = sdkRelay{}

// roomIDOf writes a room key as the REST request's RoomId and RoomIdType.
func roomIDOf(k trtc.RoomKey) (string, int) {
	if k.Str != "" {
		return k.Str, 1
	}
	return strconv.FormatUint(uint64(k.Num), 10), 0
}

// restUser is a MixUserInfo of the caller's room.
func restUser(u proto.PublishUser, k trtc.RoomKey) map[string]any {
	m := map[string]any{"UserId": u.UserID}
	switch {
	case u.StrRoomID != "":
		m["RoomId"], m["RoomIdType"] = u.StrRoomID, 1
	case u.IntRoomID != 0:
		m["RoomId"], m["RoomIdType"] = strconv.FormatUint(u.IntRoomID, 10), 0
	default:
		m["RoomId"], m["RoomIdType"] = roomIDOf(k)
	}
	return m
}

// restEncoding maps TRTCStreamEncoderParam and TRTCStreamMixingConfig to
// AudioParams and VideoParams (nil VideoParams: audio only).
func restEncoding(c signaling.MediaStreamCaller, enc *proto.StreamEncoderParam, mix *proto.StreamMixingConfig, pass bool) (audio, video map[string]any, err error) {
	var e proto.StreamEncoderParam
	if enc != nil {
		e = *enc
	}
	if e.VideoEncodedCodecType != 0 {
		return nil, nil, &signaling.MediaStreamError{Code: trtc.ErrNotSupported, Msg: "videoEncodedCodecType 1 (H.265) is not supported: use 0 (H.264)"}
	}
	orDefault := func(v, def int) int {
		if v == 0 {
			return def
		}
		return v
	}
	audio = map[string]any{"AudioEncode": map[string]any{
		"SampleRate": orDefault(e.AudioEncodedSampleRate, 48000), "Channel": orDefault(e.AudioEncodedChannelNum, 1),
		"BitRate": orDefault(e.AudioEncodedKbps, 50), "Codec": e.AudioEncodedCodecType,
	}}
	if mix != nil && len(mix.AudioMixUserList) > 0 {
		var list []map[string]any
		for _, u := range mix.AudioMixUserList {
			list = append(list, map[string]any{"UserInfo": restUser(u, c.Room)})
		}
		audio["SubscribeAudioList"] = list
	}
	if e.VideoEncodedWidth == 0 && e.VideoEncodedHeight == 0 {
		return audio, nil, nil // 0x0: audio only (pass-through: the default canvas)
	}
	video = map[string]any{"VideoEncode": map[string]any{
		"Width": e.VideoEncodedWidth, "Height": e.VideoEncodedHeight, "Fps": e.VideoEncodedFPS,
		"BitRate": e.VideoEncodedKbps, "Gop": orDefault(e.VideoEncodedGOP, api.DefaultCdnGop),
	}}
	if mix == nil || pass {
		return audio, video, nil
	}
	if mix.BackgroundImage != "" {
		video["BackgroundImageUrl"] = mix.BackgroundImage
	}
	video["BackGroundColor"] = fmt.Sprintf("0x%06X", mix.BackgroundColor&0xFFFFFF)
	if len(mix.VideoLayoutList) == 0 {
		video["LayoutParams"] = map[string]any{"MixLayoutMode": 3}
		return audio, video, nil
	}
	var list []map[string]any
	for _, l := range mix.VideoLayoutList {
		w := map[string]any{
			"ImageWidth": l.Rect.Right - l.Rect.Left, "ImageHeight": l.Rect.Bottom - l.Rect.Top,
			"LocationX": l.Rect.Left, "LocationY": l.Rect.Top, "ZOrder": l.ZOrder, "RenderMode": min(max(l.FillMode, 0), 1),
		}
		if l.Rect.Right <= l.Rect.Left || l.Rect.Bottom <= l.Rect.Top || l.Rect.Left < 0 || l.Rect.Top < 0 {
			return nil, nil, &signaling.MediaStreamError{Code: trtc.ErrInvalidParameter, Msg: fmt.Sprintf("videoLayoutList: rect %+v is empty or negative", l.Rect)}
		}
		if l.FixedVideoUser != nil && l.FixedVideoUser.UserID != "" {
			st := 0
			if l.FixedVideoStreamType == 2 {
				st = 1
			}
			w["UserMediaStream"] = map[string]any{"UserInfo": restUser(*l.FixedVideoUser, c.Room), "StreamType": st}
		}
		list = append(list, w)
	}
	video["LayoutParams"] = map[string]any{"MixLayoutMode": 4, "MixLayoutList": list}
	return audio, video, nil
}

func restURLs(t proto.PublishTarget) []map[string]any {
	out := []map[string]any{}
	for _, u := range t.CdnURLList {
		out = append(out, map[string]any{"PublishCdnUrl": u.RTMPURL, "IsTencentCdn": 0})
	}
	return out
}

// sdkError maps the REST parser's and relay's refusals to client codes.
func sdkError(err error) error {
	var ae *api.Error
	if err == nil || !errors.As(err, &ae) {
		return err
	}
	code := trtc.ErrFailed
	switch {
	case strings.HasPrefix(ae.Code, "InvalidParameter"), strings.HasPrefix(ae.Code, "MissingParameter"),
		ae.Code == api.CodeUnknownParameter, ae.Code == api.CodeResourceNotFound:
		code = trtc.ErrInvalidParameter
	case ae.Code == api.CodeUnsupportedOperation:
		code = trtc.ErrNotSupported
	case ae.Code == api.CodeTaskExist, ae.Code == api.CodeRestrictedConcurrency:
		code = trtc.ErrRefused
	}
	return &signaling.MediaStreamError{Code: code, Msg: ae.Message}
}

// request builds the REST body of a start or an update.
func (a sdkRelay) request(c signaling.MediaStreamCaller, req proto.PublishMediaStreamRequest) (map[string]any, error) {
	body := map[string]any{"PublishCdnParams": restURLs(req.Target)}
	switch req.Target.Mode {
	case proto.PublishBigStreamToCdn, proto.PublishSubStreamToCdn:
		st := 0
		if req.Target.Mode == proto.PublishSubStreamToCdn {
			st = 1
		}
		body["WithTranscoding"] = 0
		body["SingleSubscribeParams"] = map[string]any{"UserMediaStream": map[string]any{
			"UserInfo": restUser(proto.PublishUser{UserID: string(c.User)}, c.Room), "StreamType": st}}
	case proto.PublishMixStreamToCdn:
		body["WithTranscoding"] = 1
	case proto.PublishMixStreamToRoom:
		fb, err := a.feedBack(c, req.Target.MixStreamIdentity)
		if err != nil {
			return nil, err
		}
		body["WithTranscoding"] = 1
		body["FeedBackRoomParams"] = []map[string]any{fb}
	default:
		return nil, &signaling.MediaStreamError{Code: trtc.ErrInvalidParameter, Msg: fmt.Sprintf("target mode %d is not 1 to 4", req.Target.Mode)}
	}
	audio, video, err := restEncoding(c, req.Encoder, req.Mix, req.Target.Mode != proto.PublishMixStreamToCdn)
	if err != nil {
		return nil, err
	}
	body["AudioParams"] = audio
	if video != nil {
		body["VideoParams"] = video
	}
	return body, nil
}

// sdkRobotSigExpiry is the lifetime of the UserSig the server makes for a
// MixStreamToRoom robot (it re-enters with it after a failure).
const sdkRobotSigExpiry = 7 * 24 * 3600

// feedBack maps mixStreamIdentity (MixStreamToRoom) to a FeedBackRoomParams
// entry; the member's ticket vouches for the robot, whose UserSig the
// server makes.
func (a sdkRelay) feedBack(c signaling.MediaStreamCaller, id *proto.PublishUser) (map[string]any, error) {
	if id == nil || id.UserID == "" {
		return nil, &signaling.MediaStreamError{Code: trtc.ErrInvalidParameter, Msg: "target mode 4 needs mixStreamIdentity with a userId"}
	}
	app, ok := a.r.apps.Lookup(c.Room.App)
	if !ok {
		return nil, &signaling.MediaStreamError{Code: trtc.ErrFailed, Msg: "the app is not configured"}
	}
	sig, err := usersig.GenUserSig(uint32(app.SDKAppID), app.Secret, id.UserID, sdkRobotSigExpiry)
	if err != nil {
		return nil, &signaling.MediaStreamError{Code: trtc.ErrInvalidParameter, Msg: "mixStreamIdentity: " + err.Error()}
	}
	u := restUser(*id, c.Room)
	return map[string]any{"RoomId": u["RoomId"], "RoomIdType": u["RoomIdType"], "UserId": id.UserID, "UserSig": sig}, nil
}

// StartMediaStream implements signaling.MediaStreams.
func (a sdkRelay) StartMediaStream(_ context.Context, c signaling.MediaStreamCaller, req proto.PublishMediaStreamRequest) (string, error) {
	body, err := a.request(c, req)
	if err != nil {
		return "", err
	}
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	room, idType := roomIDOf(c.Room)
	body["SdkAppId"], body["RoomId"], body["RoomIdType"] = uint32(c.Room.App), room, idType
	body["AgentParams"] = map[string]any{"UserId": "cdn_" + hex.EncodeToString(rnd[:]), "UserSig": sdkRobotSig}
	b, _ := json.Marshal(body)
	r, err := api.ParseCdnStart(b)
	if err != nil {
		return "", sdkError(err)
	}
	// The same mode and URLs can be started once: a second start (after
	// an app restart, say) fails and names the running task.
	if id := a.r.runningLike(c, r); id != "" {
		return id, &signaling.MediaStreamError{Code: trtc.ErrRefused, Msg: "this publishing task already runs: " + id}
	}
	id, err := a.r.start(r, c.User)
	return id, sdkError(err)
}

// UpdateMediaStream implements signaling.MediaStreams. Updates are
// ordered as they arrive.
func (a sdkRelay) UpdateMediaStream(_ context.Context, c signaling.MediaStreamCaller, req proto.PublishMediaStreamRequest) error {
	t, err := a.r.owned(c, req.TaskID)
	if err != nil {
		return err
	}
	body, err := a.request(c, req)
	if err != nil {
		return err
	}
	a.r.mu.Lock()
	seq := t.seq + 1
	a.r.mu.Unlock()
	body["SdkAppId"], body["TaskId"], body["SequenceNumber"] = uint32(c.Room.App), req.TaskID, seq
	b, _ := json.Marshal(body)
	u, err := api.ParseCdnUpdate(b)
	if err != nil {
		return sdkError(err)
	}
	return sdkError(a.r.UpdateCdn(context.Background(), u))
}

// StopMediaStream implements signaling.MediaStreams: one task, or every
// task of the member in its room.
func (a sdkRelay) StopMediaStream(_ context.Context, c signaling.MediaStreamCaller, taskID string) ([]string, error) {
	var ids []string
	if taskID != "" {
		if _, err := a.r.owned(c, taskID); err != nil {
			return nil, err
		}
		ids = []string{taskID}
	} else {
		ids = a.r.ownedBy(c)
	}
	var stopped []string
	for _, id := range ids {
		if err := a.r.rec.Delete(c.Room.App, id); err != nil {
			if taskID != "" {
				return nil, sdkError(relayError(err))
			}
			continue // ended meanwhile
		}
		stopped = append(stopped, id)
	}
	return stopped, nil
}

// owned returns a task the caller started.
func (r *relayService) owned(c signaling.MediaStreamCaller, id string) (*relayTask, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.tasks[id]
	if t == nil || t.app != c.Room.App || t.owner != c.User || t.req.Room != c.Room {
		return nil, &signaling.MediaStreamError{Code: trtc.ErrInvalidParameter, Msg: "no publishing task " + id + " of this user in this room"}
	}
	return t, nil
}

// ownedBy lists the running tasks the caller started in its room.
func (r *relayService) ownedBy(c signaling.MediaStreamCaller) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ids []string
	for id, t := range r.tasks {
		if t.owner == c.User && t.req.Room == c.Room && r.running(t.app, id) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// runningLike finds a running task of the caller with the same mode and
// URLs as r.
func (r *relayService) runningLike(c signaling.MediaStreamCaller, req api.CdnRequest) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for id, t := range r.tasks {
		o := t.req
		if t.owner != c.User || o.Room != c.Room || o.Transcode != req.Transcode || !r.running(t.app, id) ||
			(o.Single == nil) != (req.Single == nil) || (o.Single != nil && *o.Single != *req.Single) {
			continue
		}
		a, b := slices.Clone(o.URLs), slices.Clone(req.URLs)
		slices.Sort(a)
		slices.Sort(b)
		if slices.Equal(a, b) {
			return id
		}
	}
	return ""
}

// running reports whether a task has not ended.
func (r *relayService) running(app trtc.SDKAppID, id string) bool {
	info, err := r.rec.Describe(app, id)
	return err == nil && info.Status != egress.StatusExited
}

// notifyState tells the member that started a task of a target's new state
// (TRTC's onCdnStreamStateChanged). A failure carries code −1 and its
// reason.
func (r *relayService) notifyState(room trtc.RoomKey, owner trtc.UserID, id, target string, st egress.PushState, failure string) {
	if r.notify == nil {
		return
	}
	ev := proto.CdnStreamState{TaskID: id, CdnURL: target, Status: int(st)}
	if failure != "" {
		ev.Code, ev.Msg = trtc.ErrFailed, failure
	}
	r.notify(room, owner, proto.TypeCdnStreamState, ev)
}
