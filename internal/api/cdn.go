package api

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"reflect"
	"strconv"
	"strings"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// Mix transcoding and CDN relay: StartPublishCdnStream,
// UpdatePublishCdnStream and StopPublishCdnStream (trtc-reference §7.5;
// docs/cdn.md), and rtcengine's DescribePublishCdnStream.

// Codes of the relay actions (§7.5, §7.7).
const (
	CodeInvalidStreamURL = "InvalidParameter.StreamUrl"
)

// Limits of the relay actions (§7.5; docs/cdn.md).
const (
	MinCdnIdleTime       = 5
	MaxCdnIdleTime       = 86400
	DefaultCdnIdleTime   = 30
	MaxCdnURLs           = 10
	MaxCdnURLLen         = 1024
	MaxCdnFeedBackRooms  = 10
	MaxCdnInputs         = 16 // MixLayoutList entries and audio list entries
	MaxCdnSide           = 1920
	MaxCdnArea           = 1920 * 1080
	MaxCdnFps            = 60
	DefaultCdnFps        = 15
	MaxCdnVideoKbps      = 10000
	MinCdnVideoKbps      = 64 // below this x264 cannot hold a picture; 0 = auto
	MinCdnGop            = 1
	MaxCdnGop            = 5
	DefaultCdnGop        = 2
	MinCdnAudioKbps      = 8
	MaxCdnAudioKbps      = 500
	MaxCdnZOrder         = 15
	DefaultPassWidth     = 1280 // pass-through canvas without VideoEncode
	DefaultPassHeight    = 720
	maxCdnSequenceNumber = 1<<63 - 1
)

// cdnSampleRates are the AudioEncode.SampleRate values of §7.5.
var cdnSampleRates = []uint64{48000, 44100, 32000, 24000, 16000, 8000}

// CdnStream names one user's stream (UserMediaStream).
type CdnStream struct {
	UserID string
	Sub    bool // StreamType 1: the screen share
}

// CdnWindow is one McuLayout of a custom layout, in canvas pixels.
type CdnWindow struct {
	Stream        CdnStream // empty UserID: the next stream no window names
	Left, Top     int
	Width, Height int
	ZOrder        int
	Fit           int // RenderMode: 0 crop, 1 fit on the background colour, 2 fit on black
}

// CdnLayout is a validated LayoutParams with VideoParams' background.
type CdnLayout struct {
	Mode       int // 1 floating (default), 2 screen share, 3 nine-grid, 4 custom
	Windows    []CdnWindow
	Background [3]byte
	Fit        int // template cells: RenderMode 0 crop, 1 fit, 2 fit on black
	// MaxVideoUser is shown large in the floating and screen-share
	// templates.
	MaxVideoUser *CdnStream
}

// CdnEncode is the output's encoding.
type CdnEncode struct {
	Video                           bool // VideoParams given: the output has video
	Width, Height, Fps, VideoKbps   int  // VideoKbps 0: chosen from the size
	Gop                             int  // s
	SampleRate, Channels, AudioKbps int
	videoGiven, audioGiven          bool
}

// CdnRequest is a validated StartPublishCdnStream.
type CdnRequest struct {
	Room        trtc.RoomKey
	UserID      trtc.UserID // the robot (AgentParams.UserId)
	UserSig     string
	MaxIdleTime uint64 // s
	Transcode   bool   // WithTranscoding 1
	// Single is SingleSubscribeParams (WithTranscoding 0).
	Single   *CdnStream
	Encode   CdnEncode
	Layout   CdnLayout
	AudioIn  []string // SubscribeAudioList user ids (empty: every anchor)
	AudioOut []string // UnSubscribeAudioList
	URLs     []string
	// FeedBack are the rooms the mix is published into (FeedBackRoomParams).
	FeedBack []CdnFeedBack
}

// CdnFeedBack is one FeedBackRoomParams entry: the robot that publishes
// the mix into a room.
type CdnFeedBack struct {
	Room    trtc.RoomKey
	UserID  trtc.UserID
	UserSig string
}

// CdnUpdate is a validated UpdatePublishCdnStream; nil fields are
// unchanged.
type CdnUpdate struct {
	App       trtc.SDKAppID
	TaskID    string
	Sequence  uint64
	Transcode bool
	Single    *CdnStream
	Encode    *CdnEncode // to check that it did not change
	Layout    *CdnLayout
	AudioIn   *[]string
	AudioOut  *[]string
	URLs      *[]string
}

// CdnTarget is one DescribePublishCdnStream target.
type CdnTarget struct {
	PublishCdnUrl string `json:"PublishCdnUrl"`
	// State is TRTC's onCdnStreamStateChanged status: 0 idle, 1
	// connecting, 2 pushing, 3 recovering, 4 failed (retrying), 5
	// disconnecting.
	State     int    `json:"State"`
	StateName string `json:"StateName"`
	Attempts  int    `json:"Attempts"`
	Failures  int    `json:"Failures"`
	LastError string `json:"LastError"`
}

// CdnTask is DescribePublishCdnStream's answer.
type CdnTask struct {
	TaskID         string      `json:"TaskId"`
	Status         string      `json:"Status"` // Idle, InProgress, Exited
	SequenceNumber uint64      `json:"SequenceNumber"`
	PublishCdn     []CdnTarget `json:"PublishCdnStates"`
	// Restarts counts the mixing pipeline's ffmpeg processes replaced
	// after they died or stalled.
	Restarts int `json:"Restarts"`
}

// Relay is what the relay actions need: the server's relay service.
// Errors are *Error values.
type Relay interface {
	StartCdn(ctx context.Context, r CdnRequest) (taskID string, err error)
	UpdateCdn(ctx context.Context, u CdnUpdate) error
	StopCdn(ctx context.Context, app trtc.SDKAppID, taskID string) error
	DescribeCdn(ctx context.Context, app trtc.SDKAppID, taskID string) (CdnTask, error)
}

// RegisterRelayActions adds the relay actions to h.
func RegisterRelayActions(h *Handler, r Relay) {
	h.Register("StartPublishCdnStream", Typed(func(ctx context.Context, _ *Call, p *startCdnParams) (any, error) {
		id, err := r.StartCdn(ctx, p.req)
		if err != nil {
			return nil, err
		}
		return map[string]any{"TaskId": id}, nil
	}))
	h.Register("UpdatePublishCdnStream", Typed(func(ctx context.Context, _ *Call, p *updateCdnParams) (any, error) {
		if err := r.UpdateCdn(ctx, p.upd); err != nil {
			return nil, err
		}
		return map[string]any{"TaskId": p.upd.TaskID}, nil
	}))
	h.Register("StopPublishCdnStream", Typed(func(ctx context.Context, _ *Call, p *taskParams) (any, error) {
		if err := r.StopCdn(ctx, p.app, *p.TaskID); err != nil {
			return nil, err
		}
		return map[string]any{"TaskId": *p.TaskID}, nil
	}))
	h.Register("DescribePublishCdnStream", Typed(func(ctx context.Context, _ *Call, p *taskParams) (any, error) {
		return r.DescribeCdn(ctx, p.app, *p.TaskID)
	}))
}

// The request's JSON. Every nested object is decoded strictly (strictJSON).

type cdnUserInfo struct {
	UserId     *string `json:"UserId"`
	RoomId     *string `json:"RoomId"`
	RoomIdType *uint64 `json:"RoomIdType"`
}

type cdnUserMediaStream struct {
	UserInfo   *cdnUserInfo `json:"UserInfo"`
	StreamType *uint64      `json:"StreamType"`
}

type cdnAudioUser struct {
	UserInfo   *cdnUserInfo `json:"UserInfo"`
	SoundLevel *uint64      `json:"SoundLevel"`
}

type cdnAudioEncode struct {
	SampleRate *uint64 `json:"SampleRate"`
	Channel    *uint64 `json:"Channel"`
	BitRate    *uint64 `json:"BitRate"`
	Codec      *uint64 `json:"Codec"`
}

type cdnAudioParams struct {
	AudioEncode          *cdnAudioEncode `json:"AudioEncode"`
	SubscribeAudioList   []cdnAudioUser  `json:"SubscribeAudioList"`
	UnSubscribeAudioList []cdnAudioUser  `json:"UnSubscribeAudioList"`
}

type cdnVideoEncode struct {
	Width   *uint64 `json:"Width"`
	Height  *uint64 `json:"Height"`
	Fps     *uint64 `json:"Fps"`
	BitRate *uint64 `json:"BitRate"`
	Gop     *uint64 `json:"Gop"`
}

type cdnLayout struct {
	UserMediaStream      *cdnUserMediaStream `json:"UserMediaStream"`
	ImageWidth           *uint64             `json:"ImageWidth"`
	ImageHeight          *uint64             `json:"ImageHeight"`
	LocationX            *uint64             `json:"LocationX"`
	LocationY            *uint64             `json:"LocationY"`
	ZOrder               *uint64             `json:"ZOrder"`
	RenderMode           *uint64             `json:"RenderMode"`
	BackgroundImageUrl   *string             `json:"BackgroundImageUrl"`
	CustomCrop           json.RawMessage     `json:"CustomCrop"`
	BackgroundRenderMode *uint64             `json:"BackgroundRenderMode"`
	TransparentUrl       *string             `json:"TransparentUrl"`
}

type cdnLayoutParams struct {
	MixLayoutMode          *uint64             `json:"MixLayoutMode"`
	PureAudioHoldPlaceMode *uint64             `json:"PureAudioHoldPlaceMode"`
	MixLayoutList          []cdnLayout         `json:"MixLayoutList"`
	MaxVideoUser           *cdnUserMediaStream `json:"MaxVideoUser"`
	RenderMode             *uint64             `json:"RenderMode"`
}

type cdnVideoParams struct {
	VideoEncode          *cdnVideoEncode  `json:"VideoEncode"`
	LayoutParams         *cdnLayoutParams `json:"LayoutParams"`
	BackGroundColor      *string          `json:"BackGroundColor"`
	BackgroundImageUrl   *string          `json:"BackgroundImageUrl"`
	WaterMarkList        json.RawMessage  `json:"WaterMarkList"`
	BackgroundRenderMode *uint64          `json:"BackgroundRenderMode"`
}

type cdnSingleSubscribe struct {
	UserMediaStream *cdnUserMediaStream `json:"UserMediaStream"`
}

type cdnPublishParam struct {
	PublishCdnUrl *string `json:"PublishCdnUrl"`
	IsTencentCdn  *uint64 `json:"IsTencentCdn"`
}

type cdnFeedBack struct {
	RoomId     *string `json:"RoomId"`
	RoomIdType *uint64 `json:"RoomIdType"`
	UserId     *string `json:"UserId"`
	UserSig    *string `json:"UserSig"`
}

type cdnAgent struct {
	UserId      *string `json:"UserId"`
	UserSig     *string `json:"UserSig"`
	MaxIdleTime *uint64 `json:"MaxIdleTime"`
}

// strictJSON decodes b into dst (a pointer to a struct of a plain type,
// without UnmarshalJSON) rejecting unknown keys, as the top level does.
func strictJSON(b []byte, dst any) error {
	return decodeStrict(b, dst, jsonFields(reflect.TypeOf(dst).Elem()))
}

func (p *cdnUserInfo) UnmarshalJSON(b []byte) error {
	type plain cdnUserInfo
	return strictJSON(b, (*plain)(p))
}

func (p *cdnUserMediaStream) UnmarshalJSON(b []byte) error {
	type plain cdnUserMediaStream
	return strictJSON(b, (*plain)(p))
}

func (p *cdnAudioUser) UnmarshalJSON(b []byte) error {
	type plain cdnAudioUser
	return strictJSON(b, (*plain)(p))
}

func (p *cdnAudioEncode) UnmarshalJSON(b []byte) error {
	type plain cdnAudioEncode
	return strictJSON(b, (*plain)(p))
}

func (p *cdnAudioParams) UnmarshalJSON(b []byte) error {
	type plain cdnAudioParams
	return strictJSON(b, (*plain)(p))
}

func (p *cdnVideoEncode) UnmarshalJSON(b []byte) error {
	type plain cdnVideoEncode
	return strictJSON(b, (*plain)(p))
}

func (p *cdnLayout) UnmarshalJSON(b []byte) error {
	type plain cdnLayout
	return strictJSON(b, (*plain)(p))
}

func (p *cdnLayoutParams) UnmarshalJSON(b []byte) error {
	type plain cdnLayoutParams
	return strictJSON(b, (*plain)(p))
}

func (p *cdnVideoParams) UnmarshalJSON(b []byte) error {
	type plain cdnVideoParams
	return strictJSON(b, (*plain)(p))
}

func (p *cdnSingleSubscribe) UnmarshalJSON(b []byte) error {
	type plain cdnSingleSubscribe
	return strictJSON(b, (*plain)(p))
}

func (p *cdnPublishParam) UnmarshalJSON(b []byte) error {
	type plain cdnPublishParam
	return strictJSON(b, (*plain)(p))
}

func (p *cdnFeedBack) UnmarshalJSON(b []byte) error {
	type plain cdnFeedBack
	return strictJSON(b, (*plain)(p))
}

func (p *cdnAgent) UnmarshalJSON(b []byte) error {
	type plain cdnAgent
	return strictJSON(b, (*plain)(p))
}

// startCdnParams is StartPublishCdnStream's request.
type startCdnParams struct {
	SDKAppID              *uint64             `json:"SdkAppId"`
	RoomID                *string             `json:"RoomId"`
	RoomIDType            *uint64             `json:"RoomIdType"`
	AgentParams           *cdnAgent           `json:"AgentParams"`
	WithTranscoding       *uint64             `json:"WithTranscoding"`
	AudioParams           *cdnAudioParams     `json:"AudioParams"`
	VideoParams           *cdnVideoParams     `json:"VideoParams"`
	SingleSubscribeParams *cdnSingleSubscribe `json:"SingleSubscribeParams"`
	PublishCdnParams      []cdnPublishParam   `json:"PublishCdnParams"`
	SeiParams             json.RawMessage     `json:"SeiParams"`
	FeedBackRoomParams    []cdnFeedBack       `json:"FeedBackRoomParams"`
	RecordParams          json.RawMessage     `json:"RecordParams"`

	req CdnRequest
}

func missingCdn(name string) error {
	return Errorf(CodeMissingParameter, "The required parameter %s is missing.", name)
}

func (p *startCdnParams) Validate() error {
	switch {
	case p.SDKAppID == nil:
		return Errorf(CodeMissingSDKAppID, "The required parameter SdkAppId is missing.")
	case p.RoomID == nil:
		return Errorf(CodeMissingRoomID, "The required parameter RoomId is missing.")
	case p.AgentParams == nil:
		return missingCdn("AgentParams")
	case p.AgentParams.UserId == nil:
		return Errorf(CodeMissingUserID, "The required parameter AgentParams.UserId is missing.")
	case p.AgentParams.UserSig == nil:
		return Errorf(CodeMissingUserSig, "The required parameter AgentParams.UserSig is missing.")
	case p.WithTranscoding == nil:
		return missingCdn("WithTranscoding")
	case p.AudioParams == nil:
		return missingCdn("AudioParams")
	}
	r := &p.req
	var err error
	idType := uint64(0) // §7.5: 0 = integer room (the default), 1 = string room
	if p.RoomIDType != nil {
		idType = *p.RoomIDType
	}
	if r.Room, err = relayRoom(*p.SDKAppID, *p.RoomID, idType, "RoomId"); err != nil {
		return err
	}
	a := p.AgentParams
	if trtc.ValidateUserID(*a.UserId) != nil {
		return Errorf(CodeInvalidUserID, "AgentParams.UserId %q is not a valid user id (1 to %d characters of a-z, A-Z, 0-9, _ and -).", clip(*a.UserId), trtc.MaxUserIDLen)
	}
	r.UserID = trtc.UserID(*a.UserId)
	if *a.UserSig == "" || len(*a.UserSig) > maxUserSigLen {
		return Errorf(CodeInvalidUserSig, "AgentParams.UserSig is empty or longer than %d bytes.", maxUserSigLen)
	}
	r.UserSig = *a.UserSig
	if r.MaxIdleTime, err = pickU("AgentParams.MaxIdleTime", a.MaxIdleTime, DefaultCdnIdleTime, MinCdnIdleTime, MaxCdnIdleTime); err != nil {
		return err
	}
	switch *p.WithTranscoding {
	case 0:
		if p.SingleSubscribeParams == nil || p.SingleSubscribeParams.UserMediaStream == nil {
			return missingCdn("SingleSubscribeParams.UserMediaStream (WithTranscoding 0)")
		}
		s, err := parseCdnStream(p.SingleSubscribeParams.UserMediaStream, "SingleSubscribeParams.UserMediaStream", *p.RoomID, true)
		if err != nil {
			return err
		}
		r.Single = &s
	case 1:
		r.Transcode = true
	default:
		return Errorf(CodeOutOfRange, "WithTranscoding must be 0 (pass-through) or 1 (transcode), not %d.", *p.WithTranscoding)
	}
	if r.Encode, err = parseCdnEncode(p.AudioParams, p.VideoParams, true, r.Single != nil); err != nil {
		return err
	}
	if r.AudioIn, r.AudioOut, err = parseAudioLists(p.AudioParams, *p.RoomID); err != nil {
		return err
	}
	if p.VideoParams != nil {
		if r.Layout, err = parseCdnLayout(p.VideoParams, *p.RoomID); err != nil {
			return err
		}
	} else {
		r.Layout = CdnLayout{Mode: 1}
	}
	if r.URLs, err = parseCdnURLs(p.PublishCdnParams); err != nil {
		return err
	}
	if err := unsupportedExtras(p.SeiParams, p.RecordParams, p.FeedBackRoomParams); err != nil {
		return err
	}
	if r.FeedBack, err = parseFeedBack(*p.SDKAppID, p.FeedBackRoomParams, r.UserID); err != nil {
		return err
	}
	if len(r.URLs) == 0 && len(r.FeedBack) == 0 {
		return missingCdn("PublishCdnParams or FeedBackRoomParams (at least one target)")
	}
	return nil
}

// parseFeedBack validates FeedBackRoomParams: each robot is a valid user
// with a UserSig, not the task's own robot, once per room.
func parseFeedBack(app uint64, list []cdnFeedBack, agent trtc.UserID) ([]CdnFeedBack, error) {
	var out []CdnFeedBack
	for i, f := range list {
		name := "FeedBackRoomParams[" + strconv.Itoa(i) + "]"
		switch {
		case f.RoomId == nil:
			return nil, Errorf(CodeMissingRoomID, "The required parameter %s.RoomId is missing.", name)
		case f.UserId == nil:
			return nil, Errorf(CodeMissingUserID, "The required parameter %s.UserId is missing.", name)
		case f.UserSig == nil:
			return nil, Errorf(CodeMissingUserSig, "The required parameter %s.UserSig is missing.", name)
		}
		idType := uint64(0)
		if f.RoomIdType != nil {
			idType = *f.RoomIdType
		}
		k, err := relayRoom(app, *f.RoomId, idType, name+".RoomId")
		if err != nil {
			return nil, err
		}
		if trtc.ValidateUserID(*f.UserId) != nil || trtc.UserID(*f.UserId) == agent {
			return nil, Errorf(CodeInvalidUserID, "%s.UserId %q is not a valid user id, or is AgentParams.UserId.", name, clip(*f.UserId))
		}
		if *f.UserSig == "" || len(*f.UserSig) > maxUserSigLen {
			return nil, Errorf(CodeInvalidUserSig, "%s.UserSig is empty or longer than %d bytes.", name, maxUserSigLen)
		}
		for _, o := range out {
			if o.Room == k {
				return nil, Errorf(CodeInvalidParameter, "%s.RoomId: the room is listed twice.", name)
			}
		}
		out = append(out, CdnFeedBack{Room: k, UserID: trtc.UserID(*f.UserId), UserSig: *f.UserSig})
	}
	return out, nil
}

func (p *startCdnParams) App() trtc.SDKAppID { return p.req.Room.App }

// relayRoom parses a room id of the relay actions (RoomIdType 0 integer,
// 1 string: the opposite of the recording actions' convention).
func relayRoom(app uint64, room string, idType uint64, field string) (trtc.RoomKey, error) {
	switch idType {
	case 0:
		n, perr := strconv.ParseUint(room, 10, 64)
		if perr != nil || n == 0 || n > trtc.MaxRoomID {
			if _, err := sdkAppID(app); err != nil {
				return trtc.RoomKey{}, err
			}
			return trtc.RoomKey{}, Errorf(CodeInvalidRoomID, "%s %q is not a numeric room id (1 to %d) as RoomIdType 0 requires.", field, clip(room), uint64(trtc.MaxRoomID))
		}
		return numericRoom(app, n)
	case 1:
		return stringRoom(app, room)
	}
	return trtc.RoomKey{}, Errorf(CodeOutOfRange, "%sType must be 0 (numeric room) or 1 (string room), not %d.", field, idType)
}

// pickU is pick for uint64 results.
func pickU(field string, v *uint64, def, lo, hi uint64) (uint64, error) {
	n, err := pick(field, v, def, lo, hi)
	return uint64(n), err
}

// parseCdnStream validates a UserMediaStream of the main room.
func parseCdnStream(s *cdnUserMediaStream, name, mainRoom string, required bool) (CdnStream, error) {
	var out CdnStream
	if s.UserInfo == nil || s.UserInfo.UserId == nil || *s.UserInfo.UserId == "" {
		if required {
			return out, missingCdn(name + ".UserInfo.UserId")
		}
	} else {
		if err := checkCdnUser(s.UserInfo, name+".UserInfo", mainRoom); err != nil {
			return out, err
		}
		out.UserID = *s.UserInfo.UserId
	}
	st, err := pick(name+".StreamType", s.StreamType, 0, 0, 1)
	if err != nil {
		return out, err
	}
	out.Sub = st == 1
	return out, nil
}

// checkCdnUser validates a MixUserInfo: a user of the main room (mixing
// users of other rooms is not supported).
func checkCdnUser(u *cdnUserInfo, name, mainRoom string) error {
	if u.UserId == nil || trtc.ValidateUserID(*u.UserId) != nil {
		id := ""
		if u.UserId != nil {
			id = *u.UserId
		}
		return Errorf(CodeInvalidUserID, "%s.UserId %q is not a valid user id.", name, clip(id))
	}
	if u.RoomId != nil && *u.RoomId != "" && mainRoom != "" && *u.RoomId != mainRoom {
		return Errorf(CodeUnsupportedOperation, "%s.RoomId %q: only users of the task's room (%q) can be mixed.", name, clip(*u.RoomId), clip(mainRoom))
	}
	if u.RoomIdType != nil && *u.RoomIdType > 1 {
		return Errorf(CodeOutOfRange, "%s.RoomIdType must be 0 or 1, not %d.", name, *u.RoomIdType)
	}
	return nil
}

// parseCdnEncode validates AudioEncode and VideoEncode. At start audio is
// required; pass-through without VideoEncode uses a 1280x720 canvas.
func parseCdnEncode(ap *cdnAudioParams, vp *cdnVideoParams, start, pass bool) (CdnEncode, error) {
	var e CdnEncode
	if ap != nil && ap.AudioEncode != nil {
		ae := ap.AudioEncode
		e.audioGiven = true
		switch {
		case ae.SampleRate == nil:
			return e, missingCdn("AudioParams.AudioEncode.SampleRate")
		case ae.Channel == nil:
			return e, missingCdn("AudioParams.AudioEncode.Channel")
		case ae.BitRate == nil:
			return e, missingCdn("AudioParams.AudioEncode.BitRate")
		}
		ok := false
		for _, r := range cdnSampleRates {
			ok = ok || *ae.SampleRate == r
		}
		if !ok {
			return e, Errorf(CodeOutOfRange, "AudioParams.AudioEncode.SampleRate must be one of 48000, 44100, 32000, 24000, 16000 and 8000, not %d.", *ae.SampleRate)
		}
		e.SampleRate = int(*ae.SampleRate)
		var err error
		if e.Channels, err = pick("AudioParams.AudioEncode.Channel", ae.Channel, 2, 1, 2); err != nil {
			return e, err
		}
		if e.AudioKbps, err = pick("AudioParams.AudioEncode.BitRate", ae.BitRate, 0, MinCdnAudioKbps, MaxCdnAudioKbps); err != nil {
			return e, err
		}
		codec, err := pick("AudioParams.AudioEncode.Codec", ae.Codec, 0, 0, 2)
		if err != nil {
			return e, err
		}
		if codec != 0 {
			return e, Errorf(CodeUnsupportedOperation, "AudioParams.AudioEncode.Codec %d (HE-AAC) is not supported: use 0 (LC-AAC).", codec)
		}
	} else if start {
		return e, missingCdn("AudioParams.AudioEncode")
	}
	if vp == nil {
		if pass {
			e.Video, e.Width, e.Height, e.Fps, e.Gop = true, DefaultPassWidth, DefaultPassHeight, DefaultCdnFps, DefaultCdnGop
		}
		return e, nil
	}
	e.Video = true
	if vp.VideoEncode == nil {
		if !start {
			return e, nil
		}
		return e, missingCdn("VideoParams.VideoEncode")
	}
	ve := vp.VideoEncode
	e.videoGiven = true
	switch {
	case ve.Width == nil:
		return e, missingCdn("VideoParams.VideoEncode.Width")
	case ve.Height == nil:
		return e, missingCdn("VideoParams.VideoEncode.Height")
	}
	var err error
	for _, f := range []struct {
		name        string
		v           *uint64
		def, lo, hi uint64
		dst         *int
	}{
		{"VideoParams.VideoEncode.Width", ve.Width, 0, MinMixSide, MaxCdnSide, &e.Width},
		{"VideoParams.VideoEncode.Height", ve.Height, 0, MinMixSide, MaxCdnSide, &e.Height},
		{"VideoParams.VideoEncode.Fps", ve.Fps, DefaultCdnFps, 1, MaxCdnFps, &e.Fps},
		{"VideoParams.VideoEncode.BitRate", ve.BitRate, 0, 0, MaxCdnVideoKbps, &e.VideoKbps},
		{"VideoParams.VideoEncode.Gop", ve.Gop, DefaultCdnGop, MinCdnGop, MaxCdnGop, &e.Gop},
	} {
		v := f.v
		if f.name == "VideoParams.VideoEncode.Fps" && v != nil && *v == 0 {
			v = nil // 0: the default
		}
		if *f.dst, err = pick(f.name, v, f.def, f.lo, f.hi); err != nil {
			return e, err
		}
	}
	if e.Width%2 != 0 || e.Height%2 != 0 {
		return e, Errorf(CodeOutOfRange, "VideoParams.VideoEncode: Width and Height must be even (4:2:0 video), not %d x %d.", e.Width, e.Height)
	}
	if e.Width*e.Height > MaxCdnArea {
		return e, Errorf(CodeOutOfRange, "VideoParams.VideoEncode: Width x Height must be at most 1920 x 1080 pixels, not %d x %d.", e.Width, e.Height)
	}
	if e.VideoKbps != 0 && e.VideoKbps < MinCdnVideoKbps {
		return e, Errorf(CodeOutOfRange, "VideoParams.VideoEncode.BitRate must be 0 (automatic) or between %d and %d kbps, not %d.", MinCdnVideoKbps, MaxCdnVideoKbps, e.VideoKbps)
	}
	return e, nil
}

// AutoVideoKbps is the bitrate chosen for VideoEncode.BitRate 0: about
// 0.1 bit per pixel, within the allowed range.
func AutoVideoKbps(w, h, fps int) int {
	return min(max(w*h*fps/10/1000, MinCdnVideoKbps), MaxCdnVideoKbps)
}

// parseAudioLists validates the audio allow and deny lists.
func parseAudioLists(ap *cdnAudioParams, mainRoom string) (in, out []string, err error) {
	if ap == nil {
		return nil, nil, nil
	}
	for _, l := range []struct {
		name  string
		users []cdnAudioUser
		dst   *[]string
	}{
		{"AudioParams.SubscribeAudioList", ap.SubscribeAudioList, &in},
		{"AudioParams.UnSubscribeAudioList", ap.UnSubscribeAudioList, &out},
	} {
		if len(l.users) > MaxCdnInputs {
			return nil, nil, Errorf(CodeOutOfRange, "%s holds %d users, at most %d.", l.name, len(l.users), MaxCdnInputs)
		}
		for i, u := range l.users {
			name := l.name + "[" + strconv.Itoa(i) + "]"
			if u.UserInfo == nil {
				return nil, nil, missingCdn(name + ".UserInfo")
			}
			if err := checkCdnUser(u.UserInfo, name+".UserInfo", mainRoom); err != nil {
				return nil, nil, err
			}
			if _, err := pick(name+".SoundLevel", u.SoundLevel, 100, 0, 100); err != nil {
				return nil, nil, err
			}
			*l.dst = append(*l.dst, *u.UserInfo.UserId)
		}
	}
	return in, out, nil
}

// parseCdnLayout validates VideoParams' layout and background.
func parseCdnLayout(vp *cdnVideoParams, mainRoom string) (CdnLayout, error) {
	l := CdnLayout{Mode: 1}
	if vp.BackgroundImageUrl != nil && *vp.BackgroundImageUrl != "" {
		return l, Errorf(CodeUnsupportedOperation, "VideoParams.BackgroundImageUrl is not supported: use BackGroundColor.")
	}
	if present(vp.WaterMarkList) && string(vp.WaterMarkList) != "[]" {
		return l, Errorf(CodeUnsupportedOperation, "VideoParams.WaterMarkList is not supported.")
	}
	if _, err := pick("VideoParams.BackgroundRenderMode", vp.BackgroundRenderMode, 0, 0, 4); err != nil {
		return l, err
	}
	if c := vp.BackGroundColor; c != nil && *c != "" {
		hexs, ok := strings.CutPrefix(strings.ToLower(*c), "0x")
		if !ok {
			hexs, ok = strings.CutPrefix(*c, "#")
		}
		b, err := hex.DecodeString(hexs)
		if !ok || err != nil || len(b) != 3 {
			return l, Errorf(CodeInvalidParameter, "VideoParams.BackGroundColor %q is not a colour \"0xRRGGBB\".", clip(*c))
		}
		l.Background = [3]byte{b[0], b[1], b[2]}
	}
	lp := vp.LayoutParams
	if lp == nil {
		return l, nil
	}
	var err error
	if l.Mode, err = pick("VideoParams.LayoutParams.MixLayoutMode", lp.MixLayoutMode, 1, 1, 4); err != nil {
		return l, err
	}
	if l.Fit, err = pick("VideoParams.LayoutParams.RenderMode", lp.RenderMode, 0, 0, 2); err != nil {
		return l, err
	}
	if _, err := pick("VideoParams.LayoutParams.PureAudioHoldPlaceMode", lp.PureAudioHoldPlaceMode, 0, 0, 1); err != nil {
		return l, err
	}
	if lp.MaxVideoUser != nil {
		s, err := parseCdnStream(lp.MaxVideoUser, "VideoParams.LayoutParams.MaxVideoUser", mainRoom, false)
		if err != nil {
			return l, err
		}
		if s.UserID != "" {
			l.MaxVideoUser = &s
		}
	}
	if len(lp.MixLayoutList) > MaxCdnInputs {
		return l, Errorf(CodeOutOfRange, "VideoParams.LayoutParams.MixLayoutList holds %d layouts, at most %d.", len(lp.MixLayoutList), MaxCdnInputs)
	}
	if l.Mode == 4 && len(lp.MixLayoutList) == 0 {
		return l, Errorf(CodeInvalidParameter, "VideoParams.LayoutParams.MixLayoutMode 4 (custom) needs a MixLayoutList.")
	}
	for i, w := range lp.MixLayoutList {
		name := "VideoParams.LayoutParams.MixLayoutList[" + strconv.Itoa(i) + "]"
		var win CdnWindow
		switch {
		case w.ImageWidth == nil:
			return l, missingCdn(name + ".ImageWidth")
		case w.ImageHeight == nil:
			return l, missingCdn(name + ".ImageHeight")
		}
		for _, f := range []struct {
			field  string
			v      *uint64
			def    uint64
			lo, hi uint64
			dst    *int
		}{
			{"ImageWidth", w.ImageWidth, 0, 2, MaxCdnSide, &win.Width},
			{"ImageHeight", w.ImageHeight, 0, 2, MaxCdnSide, &win.Height},
			{"LocationX", w.LocationX, 0, 0, MaxCdnSide, &win.Left},
			{"LocationY", w.LocationY, 0, 0, MaxCdnSide, &win.Top},
			{"ZOrder", w.ZOrder, 0, 0, MaxCdnZOrder, &win.ZOrder},
			{"RenderMode", w.RenderMode, 0, 0, 2, &win.Fit},
		} {
			if *f.dst, err = pick(name+"."+f.field, f.v, f.def, f.lo, f.hi); err != nil {
				return l, err
			}
		}
		if _, err := pick(name+".BackgroundRenderMode", w.BackgroundRenderMode, 0, 0, 4); err != nil {
			return l, err
		}
		for _, s := range []struct {
			field string
			v     *string
		}{{"BackgroundImageUrl", w.BackgroundImageUrl}, {"TransparentUrl", w.TransparentUrl}} {
			if s.v != nil && *s.v != "" {
				return l, Errorf(CodeUnsupportedOperation, "%s.%s is not supported.", name, s.field)
			}
		}
		if present(w.CustomCrop) {
			return l, Errorf(CodeUnsupportedOperation, "%s.CustomCrop is not supported.", name)
		}
		if w.UserMediaStream != nil {
			if win.Stream, err = parseCdnStream(w.UserMediaStream, name+".UserMediaStream", mainRoom, false); err != nil {
				return l, err
			}
		}
		l.Windows = append(l.Windows, win)
	}
	return l, nil
}

// parseCdnURLs validates PublishCdnParams: rtmp:// URLs with a host and a
// stream path, no blanks or control characters, no duplicates.
func parseCdnURLs(ps []cdnPublishParam) ([]string, error) {
	if len(ps) > MaxCdnURLs {
		return nil, Errorf(CodeOutOfRange, "PublishCdnParams holds %d URLs, at most %d.", len(ps), MaxCdnURLs)
	}
	var out []string
	for i, p := range ps {
		name := "PublishCdnParams[" + strconv.Itoa(i) + "]"
		if p.PublishCdnUrl == nil || *p.PublishCdnUrl == "" {
			return nil, missingCdn(name + ".PublishCdnUrl")
		}
		if _, err := pick(name+".IsTencentCdn", p.IsTencentCdn, 0, 0, 1); err != nil {
			return nil, err
		}
		u := *p.PublishCdnUrl
		if err := checkRTMPURL(u); err != nil {
			return nil, Errorf(CodeInvalidStreamURL, "%s.PublishCdnUrl %q: %s", name, clip(u), err.Error())
		}
		for _, o := range out {
			if o == u {
				return nil, Errorf(CodeInvalidStreamURL, "%s.PublishCdnUrl %q is listed twice.", name, clip(u))
			}
		}
		out = append(out, u)
	}
	return out, nil
}

type urlError string

func (e urlError) Error() string { return string(e) }

// checkRTMPURL accepts rtmp://host[:port]/app/stream[?query].
func checkRTMPURL(s string) error {
	if len(s) > MaxCdnURLLen {
		return urlError("longer than " + strconv.Itoa(MaxCdnURLLen) + " bytes")
	}
	for _, c := range s {
		if c <= ' ' || c == 0x7f {
			return urlError("contains a blank or control character")
		}
	}
	if !strings.HasPrefix(s, "rtmp://") {
		return urlError("not an rtmp:// URL")
	}
	u, err := url.Parse(s)
	if err != nil {
		return urlError("not a valid URL")
	}
	if u.Hostname() == "" || u.User != nil || u.Fragment != "" {
		return urlError("needs a host, and no user info or fragment")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return urlError("port out of range")
		}
	}
	app, stream, _ := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/")
	if app == "" || stream == "" {
		return urlError("needs an application and a stream name (rtmp://host/app/stream)")
	}
	return nil
}

// unsupportedExtras rejects the optional parts this server does not do.
func unsupportedExtras(sei, record json.RawMessage, feedBack []cdnFeedBack) error {
	if present(sei) && string(sei) != "{}" {
		return Errorf(CodeUnsupportedOperation, "SeiParams is not supported.")
	}
	if present(record) && string(record) != "{}" {
		return Errorf(CodeUnsupportedOperation, "RecordParams (relay recording) is not supported: use CreateCloudRecording.")
	}
	if len(feedBack) > MaxCdnFeedBackRooms {
		return Errorf(CodeOutOfRange, "FeedBackRoomParams holds %d rooms, at most %d.", len(feedBack), MaxCdnFeedBackRooms)
	}
	return nil
}

// updateCdnParams is UpdatePublishCdnStream's request.
type updateCdnParams struct {
	SDKAppID              *uint64             `json:"SdkAppId"`
	TaskID                *string             `json:"TaskId"`
	SequenceNumber        *uint64             `json:"SequenceNumber"`
	WithTranscoding       *uint64             `json:"WithTranscoding"`
	AudioParams           *cdnAudioParams     `json:"AudioParams"`
	VideoParams           *cdnVideoParams     `json:"VideoParams"`
	SingleSubscribeParams *cdnSingleSubscribe `json:"SingleSubscribeParams"`
	PublishCdnParams      *[]cdnPublishParam  `json:"PublishCdnParams"`
	SeiParams             json.RawMessage     `json:"SeiParams"`
	FeedBackRoomParams    []cdnFeedBack       `json:"FeedBackRoomParams"`

	upd CdnUpdate
}

func (p *updateCdnParams) Validate() error {
	app, err := validateTask(p.SDKAppID, p.TaskID)
	if err != nil {
		return err
	}
	switch {
	case p.SequenceNumber == nil:
		return missingCdn("SequenceNumber")
	case p.WithTranscoding == nil:
		return missingCdn("WithTranscoding")
	}
	u := &p.upd
	u.App, u.TaskID = app, *p.TaskID
	if u.Sequence, err = pickU("SequenceNumber", p.SequenceNumber, 0, 0, maxCdnSequenceNumber); err != nil {
		return err
	}
	switch *p.WithTranscoding {
	case 0:
	case 1:
		u.Transcode = true
	default:
		return Errorf(CodeOutOfRange, "WithTranscoding must be 0 (pass-through) or 1 (transcode), not %d.", *p.WithTranscoding)
	}
	// Users are checked against the task's room by the relay; here only
	// their form.
	const anyRoom = ""
	if p.SingleSubscribeParams != nil && p.SingleSubscribeParams.UserMediaStream != nil {
		s, err := parseCdnStream(p.SingleSubscribeParams.UserMediaStream, "SingleSubscribeParams.UserMediaStream", anyRoom, true)
		if err != nil {
			return err
		}
		u.Single = &s
	}
	if !u.Transcode && u.Single == nil && p.SingleSubscribeParams != nil {
		return missingCdn("SingleSubscribeParams.UserMediaStream")
	}
	if p.AudioParams != nil || p.VideoParams != nil {
		e, err := parseCdnEncode(p.AudioParams, p.VideoParams, false, false)
		if err != nil {
			return err
		}
		u.Encode = &e
	}
	if p.AudioParams != nil {
		in, out, err := parseAudioLists(p.AudioParams, anyRoom)
		if err != nil {
			return err
		}
		u.AudioIn, u.AudioOut = &in, &out
	}
	if p.VideoParams != nil && (p.VideoParams.LayoutParams != nil || p.VideoParams.BackGroundColor != nil) {
		l, err := parseCdnLayout(p.VideoParams, anyRoom)
		if err != nil {
			return err
		}
		u.Layout = &l
	}
	if p.PublishCdnParams != nil {
		urls, err := parseCdnURLs(*p.PublishCdnParams)
		if err != nil {
			return err
		}
		u.URLs = &urls
	}
	if len(p.FeedBackRoomParams) > 0 {
		return Errorf(CodeUnsupportedOperation, "FeedBackRoomParams cannot change while a task runs.")
	}
	return unsupportedExtras(p.SeiParams, nil, nil)
}

func (p *updateCdnParams) App() trtc.SDKAppID { return p.upd.App }

// SameEncode reports whether an update's encoding (the fields it gave)
// matches the task's: the output's format cannot change while it is
// pushed.
func (e CdnEncode) SameEncode(task CdnEncode) bool {
	if e.audioGiven && (e.SampleRate != task.SampleRate || e.Channels != task.Channels || e.AudioKbps != task.AudioKbps) {
		return false
	}
	if e.Video != task.Video && e.Video {
		return false // audio-only cannot become audio and video
	}
	if e.videoGiven && (e.Width != task.Width || e.Height != task.Height || e.Fps != task.Fps ||
		e.VideoKbps != task.VideoKbps || e.Gop != task.Gop) {
		return false
	}
	return true
}

// ParseCdnStart validates a StartPublishCdnStream body. The SDKs' requests
// are mapped to one, so that both paths keep the same rules.
func ParseCdnStart(body []byte) (CdnRequest, error) {
	p := new(startCdnParams)
	if err := decodeStrict(body, p, jsonFields(reflect.TypeFor[startCdnParams]())); err != nil {
		return CdnRequest{}, err
	}
	if err := p.Validate(); err != nil {
		return CdnRequest{}, err
	}
	return p.req, nil
}

// ParseCdnUpdate validates an UpdatePublishCdnStream body.
func ParseCdnUpdate(body []byte) (CdnUpdate, error) {
	p := new(updateCdnParams)
	if err := decodeStrict(body, p, jsonFields(reflect.TypeFor[updateCdnParams]())); err != nil {
		return CdnUpdate{}, err
	}
	if err := p.Validate(); err != nil {
		return CdnUpdate{}, err
	}
	return p.upd, nil
}
