package api

import (
	"context"
	"encoding/json"
	"reflect"
	"strconv"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// Cloud recording actions (trtc-reference §7.6).

// Codes of the recording actions (§7.6, §7.7).
const (
	CodeOutOfRange            = "InvalidParameter.OutOfRange"
	CodeInvalidTaskID         = "InvalidParameter.TaskId"
	CodeInvalidUserSig        = "InvalidParameter.UserSig"
	CodeMissingRecordParams   = "MissingParameter.RecordParams"
	CodeMissingRecordMode     = "MissingParameter.RecordMode"
	CodeMissingUserSig        = "MissingParameter.UserSig"
	CodeMissingTaskID         = "MissingParameter.TaskId"
	CodeResourceNotFound      = "ResourceNotFound"
	CodeRestrictedConcurrency = "FailedOperation.RestrictedConcurrency"
	CodeTaskExist             = "FailedOperation.TaskExist"
	CodeUnsupportedOperation  = "UnsupportedOperation"
	CodeCRInternalError       = "InternalError.CRInternalError"
)

// Limits of the recording actions (§7.6).
const (
	MinRecordIdleTime       = 5
	MaxRecordIdleTime       = 86400
	DefaultRecordIdleTime   = 30
	MinResourceExpiredHour  = 6
	MaxResourceExpiredHour  = 720
	DefaultResourceExpHours = 72
	MaxMediaFileMinutes     = 1440
	MaxSubscribeUserIDs     = 32
	maxTaskIDLen            = 128
	maxUserSigLen           = 4096
)

// RecordingSubscription is SubscribeStreamUserIds.
type RecordingSubscription struct {
	SubscribeAudioUserIds   []string `json:"SubscribeAudioUserIds,omitempty"`
	UnSubscribeAudioUserIds []string `json:"UnSubscribeAudioUserIds,omitempty"`
	SubscribeVideoUserIds   []string `json:"SubscribeVideoUserIds,omitempty"`
	UnSubscribeVideoUserIds []string `json:"UnSubscribeVideoUserIds,omitempty"`
}

// RecordingRequest is a validated CreateCloudRecording.
type RecordingRequest struct {
	Room            trtc.RoomKey
	UserID          trtc.UserID
	UserSig         string
	PrivateMapKey   string
	MaxIdleTime     uint64 // s
	StreamType      uint64
	OutputFormat    uint64
	MaxFileMinutes  uint64 // 0 = no limit
	Subscription    RecordingSubscription
	ResourceExpires uint64
	// Storage is StorageParams.CloudStorage (nil: local storage only).
	Storage *CloudStorage
	// Mix is set for RecordMode 2 (recording_mix.go).
	Mix *MixRequest
	// Vod is StorageParams.CloudVod (recording_vod.go); its MediaType
	// has replaced OutputFormat.
	Vod *VodRequest
}

// RecordingFile is one StorageFileList entry.
type RecordingFile struct {
	UserID         string `json:"UserId"`
	FileName       string `json:"FileName"`
	TrackType      string `json:"TrackType"`
	BeginTimeStamp uint64 `json:"BeginTimeStamp"`
	// UploadStatus (rtcengine's addition, with CloudStorage only): Recording,
	// Local, Uploading, Uploaded, Retrying or Missing; UploadError is the
	// last failed attempt's error.
	UploadStatus string `json:"UploadStatus,omitempty"`
	UploadError  string `json:"UploadError,omitempty"`
}

// RecordingTask is what DescribeCloudRecording returns.
type RecordingTask struct {
	TaskID          string          `json:"TaskId"`
	Status          string          `json:"Status"`
	StorageFileList []RecordingFile `json:"StorageFileList"`
}

// Recorder is what the recording actions need: the server's recording
// service. Errors are *Error values (the adapter maps its own).
type Recorder interface {
	CreateRecording(ctx context.Context, r RecordingRequest) (taskID string, err error)
	DescribeRecording(ctx context.Context, app trtc.SDKAppID, taskID string) (RecordingTask, error)
	ModifyRecording(ctx context.Context, app trtc.SDKAppID, taskID string, s RecordingSubscription) error
	DeleteRecording(ctx context.Context, app trtc.SDKAppID, taskID string) error
}

// RegisterRecordingActions adds CreateCloudRecording, DescribeCloudRecording,
// ModifyCloudRecording and DeleteCloudRecording to h.
func RegisterRecordingActions(h *Handler, rec Recorder) {
	h.Register("CreateCloudRecording", Typed(func(ctx context.Context, _ *Call, p *createRecordingParams) (any, error) {
		id, err := rec.CreateRecording(ctx, p.req)
		if err != nil {
			return nil, err
		}
		return map[string]any{"TaskId": id}, nil
	}))
	h.Register("DescribeCloudRecording", Typed(func(ctx context.Context, _ *Call, p *taskParams) (any, error) {
		t, err := rec.DescribeRecording(ctx, p.app, *p.TaskID)
		if err != nil {
			return nil, err
		}
		if t.StorageFileList == nil {
			t.StorageFileList = []RecordingFile{}
		}
		return t, nil
	}))
	h.Register("ModifyCloudRecording", Typed(func(ctx context.Context, _ *Call, p *modifyRecordingParams) (any, error) {
		var sub RecordingSubscription
		if p.SubscribeStreamUserIds != nil {
			sub = *p.SubscribeStreamUserIds
		}
		if err := modifyLayout(ctx, rec, p); err != nil {
			return nil, err
		}
		if p.layout != nil && p.SubscribeStreamUserIds == nil {
			return map[string]any{"TaskId": *p.TaskID}, nil // a layout change only
		}
		if err := rec.ModifyRecording(ctx, p.app, *p.TaskID, sub); err != nil {
			return nil, err
		}
		return map[string]any{"TaskId": *p.TaskID}, nil
	}))
	h.Register("DeleteCloudRecording", Typed(func(ctx context.Context, _ *Call, p *taskParams) (any, error) {
		if err := rec.DeleteRecording(ctx, p.app, *p.TaskID); err != nil {
			return nil, err
		}
		return map[string]any{"TaskId": *p.TaskID}, nil
	}))
}

// recordParams is RecordParams.
type recordParams struct {
	RecordMode             *uint64                `json:"RecordMode"`
	MaxIdleTime            *uint64                `json:"MaxIdleTime"`
	StreamType             *uint64                `json:"StreamType"`
	SubscribeStreamUserIds *RecordingSubscription `json:"SubscribeStreamUserIds"`
	OutputFormat           *uint64                `json:"OutputFormat"`
	AvMerge                *uint64                `json:"AvMerge"`
	MaxMediaFileDuration   *uint64                `json:"MaxMediaFileDuration"`
	MediaId                *uint64                `json:"MediaId"`
	FillType               *uint64                `json:"FillType"`
	SubscribeAbility       *uint64                `json:"SubscribeAbility"`
}

// storageParams is StorageParams: CloudStorage (storage.go) or CloudVod
// (recording_vod.go).
type storageParams struct {
	CloudStorage *cloudStorage   `json:"CloudStorage"`
	CloudVod     json.RawMessage `json:"CloudVod"`
}

// createRecordingParams is CreateCloudRecording's request.
type createRecordingParams struct {
	SDKAppID            *uint64         `json:"SdkAppId"`
	RoomID              *string         `json:"RoomId"`
	RoomIDType          *uint64         `json:"RoomIdType"`
	UserID              *string         `json:"UserId"`
	UserSig             *string         `json:"UserSig"`
	PrivateMapKey       *string         `json:"PrivateMapKey"`
	ResourceExpiredHour *uint64         `json:"ResourceExpiredHour"`
	RecordParams        *recordParams   `json:"RecordParams"`
	StorageParams       *storageParams  `json:"StorageParams"`
	MixTranscodeParams  json.RawMessage `json:"MixTranscodeParams"`
	MixLayoutParams     json.RawMessage `json:"MixLayoutParams"`

	req RecordingRequest
}

func outOfRange(field string, v, lo, hi uint64) error {
	if v < lo || v > hi {
		return Errorf(CodeOutOfRange, "%s must be between %d and %d, not %d.", field, lo, hi, v)
	}
	return nil
}

func (p *createRecordingParams) Validate() error {
	switch {
	case p.SDKAppID == nil:
		return Errorf(CodeMissingSDKAppID, "The required parameter SdkAppId is missing.")
	case p.RoomID == nil:
		return Errorf(CodeMissingRoomID, "The required parameter RoomId is missing.")
	case p.UserID == nil:
		return Errorf(CodeMissingUserID, "The required parameter UserId is missing.")
	case p.UserSig == nil:
		return Errorf(CodeMissingUserSig, "The required parameter UserSig is missing.")
	case p.RecordParams == nil:
		return Errorf(CodeMissingRecordParams, "The required parameter RecordParams is missing.")
	case p.RecordParams.RecordMode == nil:
		return Errorf(CodeMissingRecordMode, "The required parameter RecordParams.RecordMode is missing.")
	}
	rp := p.RecordParams
	r := &p.req
	var err error
	idType := uint64(1) // §7.6: 0 = string room, 1 = 32-bit integer room (the default)
	if p.RoomIDType != nil {
		idType = *p.RoomIDType
	}
	switch idType {
	case 0:
		if r.Room, err = stringRoom(*p.SDKAppID, *p.RoomID); err != nil {
			return err
		}
	case 1:
		n, perr := strconv.ParseUint(*p.RoomID, 10, 64)
		if perr != nil || n == 0 || n > trtc.MaxRoomID {
			if _, err := sdkAppID(*p.SDKAppID); err != nil {
				return err
			}
			return Errorf(CodeInvalidRoomID, "RoomId %q is not a numeric room id (1 to %d) as RoomIdType 1 requires.", clip(*p.RoomID), uint64(trtc.MaxRoomID))
		}
		if r.Room, err = numericRoom(*p.SDKAppID, n); err != nil {
			return err
		}
	default:
		return Errorf(CodeOutOfRange, "RoomIdType must be 0 (string room) or 1 (numeric room), not %d.", idType)
	}
	if trtc.ValidateUserID(*p.UserID) != nil {
		return Errorf(CodeInvalidUserID, "UserId %q is not a valid user id (1 to %d characters of a-z, A-Z, 0-9, _ and -).", clip(*p.UserID), trtc.MaxUserIDLen)
	}
	r.UserID = trtc.UserID(*p.UserID)
	if *p.UserSig == "" || len(*p.UserSig) > maxUserSigLen {
		return Errorf(CodeInvalidUserSig, "UserSig is empty or longer than %d bytes.", maxUserSigLen)
	}
	r.UserSig = *p.UserSig
	if p.PrivateMapKey != nil {
		r.PrivateMapKey = *p.PrivateMapKey
	}
	r.ResourceExpires = DefaultResourceExpHours
	if p.ResourceExpiredHour != nil {
		if err := outOfRange("ResourceExpiredHour", *p.ResourceExpiredHour, MinResourceExpiredHour, MaxResourceExpiredHour); err != nil {
			return err
		}
		r.ResourceExpires = *p.ResourceExpiredHour
	}
	switch *rp.RecordMode {
	case 1:
	case 2:
		if r.Mix, err = parseMix(p.MixTranscodeParams, p.MixLayoutParams, rp); err != nil {
			return err
		}
	default:
		return Errorf(CodeOutOfRange, "RecordParams.RecordMode must be 1 (single stream) or 2 (mixed), not %d.", *rp.RecordMode)
	}
	r.MaxIdleTime = DefaultRecordIdleTime
	if rp.MaxIdleTime != nil {
		if err := outOfRange("RecordParams.MaxIdleTime", *rp.MaxIdleTime, MinRecordIdleTime, MaxRecordIdleTime); err != nil {
			return err
		}
		r.MaxIdleTime = *rp.MaxIdleTime
	}
	r.OutputFormat = 3 // absent: split files (mp4); Tencent's default is 0 (hls)
	for _, f := range []struct {
		name string
		v    *uint64
		max  uint64
		dst  *uint64
	}{
		{"RecordParams.StreamType", rp.StreamType, 2, &r.StreamType},
		{"RecordParams.OutputFormat", rp.OutputFormat, 4, &r.OutputFormat},
		{"RecordParams.AvMerge", rp.AvMerge, 1, nil},
		{"RecordParams.MediaId", rp.MediaId, 2, nil},
		{"RecordParams.FillType", rp.FillType, 1, nil},
		{"RecordParams.SubscribeAbility", rp.SubscribeAbility, 1, nil},
	} {
		if f.v == nil {
			continue
		}
		if err := outOfRange(f.name, *f.v, 0, f.max); err != nil {
			return err
		}
		if f.dst != nil {
			*f.dst = *f.v
		}
	}
	if rp.MaxMediaFileDuration != nil {
		if err := outOfRange("RecordParams.MaxMediaFileDuration", *rp.MaxMediaFileDuration, 1, MaxMediaFileMinutes); err != nil {
			return err
		}
		r.MaxFileMinutes = *rp.MaxMediaFileDuration
	}
	if rp.SubscribeStreamUserIds != nil {
		if err := checkSubscription(*rp.SubscribeStreamUserIds); err != nil {
			return err
		}
		r.Subscription = *rp.SubscribeStreamUserIds
	}
	if sp := p.StorageParams; sp != nil {
		if present(sp.CloudVod) { // recording_vod.go
			if sp.CloudStorage != nil {
				return Errorf(CodeInvalidParameter, "StorageParams takes CloudStorage or CloudVod, not both.")
			}
			if r.Vod, err = parseCloudVod(sp.CloudVod); err != nil {
				return err
			}
			r.OutputFormat = vodOutputFormat[r.Vod.MediaType]
			return nil
		}
		if sp.CloudStorage == nil {
			return Errorf(CodeMissingCloudStorage, "StorageParams needs CloudStorage.")
		}
		if r.Storage, err = sp.CloudStorage.validate(); err != nil {
			return err
		}
	}
	return nil
}

// checkSubscription bounds the subscription lists; the recorder compiles
// the patterns and reports bad ones.
func checkSubscription(s RecordingSubscription) error {
	for _, l := range []struct {
		name string
		ids  []string
	}{
		{"SubscribeAudioUserIds", s.SubscribeAudioUserIds},
		{"UnSubscribeAudioUserIds", s.UnSubscribeAudioUserIds},
		{"SubscribeVideoUserIds", s.SubscribeVideoUserIds},
		{"UnSubscribeVideoUserIds", s.UnSubscribeVideoUserIds},
	} {
		if len(l.ids) > MaxSubscribeUserIDs {
			return Errorf(CodeOutOfRange, "SubscribeStreamUserIds.%s holds %d entries, at most %d.", l.name, len(l.ids), MaxSubscribeUserIDs)
		}
	}
	return nil
}

func (p *createRecordingParams) App() trtc.SDKAppID { return p.req.Room.App }

// taskParams is DescribeCloudRecording's and DeleteCloudRecording's request.
type taskParams struct {
	SDKAppID *uint64 `json:"SdkAppId"`
	TaskID   *string `json:"TaskId"`

	app trtc.SDKAppID
}

func (p *taskParams) Validate() (err error) {
	p.app, err = validateTask(p.SDKAppID, p.TaskID)
	return err
}

func (p *taskParams) App() trtc.SDKAppID { return p.app }

func validateTask(app *uint64, task *string) (trtc.SDKAppID, error) {
	switch {
	case app == nil:
		return 0, Errorf(CodeMissingSDKAppID, "The required parameter SdkAppId is missing.")
	case task == nil:
		return 0, Errorf(CodeMissingTaskID, "The required parameter TaskId is missing.")
	}
	a, err := sdkAppID(*app)
	if err != nil {
		return 0, err
	}
	if *task == "" || len(*task) > maxTaskIDLen {
		return 0, Errorf(CodeInvalidTaskID, "TaskId must be 1 to %d characters.", maxTaskIDLen)
	}
	return a, nil
}

// modifyRecordingParams is ModifyCloudRecording's request.
type modifyRecordingParams struct {
	SDKAppID               *uint64                `json:"SdkAppId"`
	TaskID                 *string                `json:"TaskId"`
	SubscribeStreamUserIds *RecordingSubscription `json:"SubscribeStreamUserIds"`
	MixLayoutParams        json.RawMessage        `json:"MixLayoutParams"`

	app    trtc.SDKAppID
	layout *MixLayoutRequest // recording_mix.go
}

func (p *modifyRecordingParams) Validate() (err error) {
	if p.app, err = validateTask(p.SDKAppID, p.TaskID); err != nil {
		return err
	}
	if err := p.validateLayout(); err != nil {
		return err
	}
	if p.SubscribeStreamUserIds != nil {
		return checkSubscription(*p.SubscribeStreamUserIds)
	}
	return nil
}

func (p *modifyRecordingParams) App() trtc.SDKAppID { return p.app }

// Nested objects are decoded as strictly as the top level: an unknown key
// inside RecordParams is UnknownParameter too.

type plainRecordParams recordParams
type plainSubscription RecordingSubscription
type plainStorageParams storageParams

var (
	recordParamsFields  = jsonFields(reflect.TypeFor[plainRecordParams]())
	subscriptionFields  = jsonFields(reflect.TypeFor[plainSubscription]())
	storageParamsFields = jsonFields(reflect.TypeFor[plainStorageParams]())
)

func (p *recordParams) UnmarshalJSON(b []byte) error {
	return decodeStrict(b, (*plainRecordParams)(p), recordParamsFields)
}

func (s *RecordingSubscription) UnmarshalJSON(b []byte) error {
	return decodeStrict(b, (*plainSubscription)(s), subscriptionFields)
}

func (p *storageParams) UnmarshalJSON(b []byte) error {
	return decodeStrict(b, (*plainStorageParams)(p), storageParamsFields)
}
