package api

import (
	"context"
	"encoding/json"
	"strconv"

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
	// Placeholder (the window's BackgroundImageUrl) is shown while its
	// stream has no picture.
	Placeholder string
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
	// Images (VideoParams.BackgroundImageUrl, BackgroundRenderMode and
	// WaterMarkList), as for mixed recordings: BackgroundImageRenderMode 0
	// crop, 1 fit on the background colour, 2 fit on black, 3 and 4
	// stretch.
	BackgroundImageURL        string
	BackgroundImageRenderMode int
	Watermarks                []WatermarkRequest
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
	// ImageErrors lists the layout images that could not be fetched or
	// decoded (a recording reports them as event 309 instead).
	ImageErrors []CdnImageError `json:"ImageErrors"`
	// Resumed: a server restart interrupted the task and it was started
	// again. Message says why an interrupted task was not.
	Resumed bool   `json:"Resumed"`
	Message string `json:"Message,omitempty"`
}

// CdnImageError is a layout image a relay task could not use.
type CdnImageError struct {
	URL   string `json:"Url"`
	Error string `json:"Error"`
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
