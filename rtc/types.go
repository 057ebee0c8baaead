// Package rtc is rtcengine's Go SDK. It mirrors TRTCCloud: one Cloud is one
// user in one room; calls are asynchronous and their results arrive on the
// Listener, in order, on one goroutine per Cloud. Names and enum values are
// TRTC's, so TRTC's documentation reads across.
//
//	cloud := rtc.NewCloud(rtc.WithServer("ws://127.0.0.1:7880"))
//	cloud.SetListener(l) // embed rtc.BaseListener for no-op defaults
//	cloud.EnterRoom(rtc.Params{SDKAppID: 1400000001, UserID: "alice", UserSig: sig, RoomID: 1234}, rtc.SceneVideoCall)
//	...
//	cloud.ExitRoom()
//	cloud.Close()
package rtc

import "github.com/rtcengine/rtcengine/internal/trtc"

// AppScene is TRTCAppScene.
type AppScene int

const (
	SceneVideoCall     AppScene = 0
	SceneLive          AppScene = 1
	SceneAudioCall     AppScene = 2
	SceneVoiceChatRoom AppScene = 3
)

func (s AppScene) String() string { return trtc.Scene(s).String() }

// Role is TRTCRoleType.
type Role int

const (
	RoleAnchor   Role = 20
	RoleAudience Role = 21
)

func (r Role) String() string { return trtc.Role(r).String() }

// StreamType is TRTCVideoStreamType.
type StreamType int

const (
	StreamBig   StreamType = 0
	StreamSmall StreamType = 1
	StreamSub   StreamType = 2
)

func (t StreamType) String() string { return trtc.StreamType(t).String() }

// Params is TRTCParams.
type Params struct {
	SDKAppID           uint32
	UserID             string
	UserSig            string
	RoomID             uint32 // 1..4294967294; 0 means use StrRoomID
	StrRoomID          string // ≤64 bytes of TRTC's 89-character set
	Role               Role   // live scenes; default anchor
	PrivateMapKey      string
	StreamID           string
	UserDefineRecordID string
	BusinessInfo       string
}

// Quality is TRTCQuality.
type Quality int

const (
	QualityUnknown   Quality = 0
	QualityExcellent Quality = 1
	QualityGood      Quality = 2
	QualityPoor      Quality = 3
	QualityBad       Quality = 4
	QualityVbad      Quality = 5
	QualityDown      Quality = 6
)

// QualityInfo is TRTCQualityInfo; UserID "" is the local user.
type QualityInfo struct {
	UserID  string
	Quality Quality
}

// VolumeInfo is TRTCVolumeInfo; UserID "" is the local user.
type VolumeInfo struct {
	UserID string
	Volume int // 0..100
	VAD    int // 0/1
}

// LocalStatistics is TRTCLocalStatistics.
type LocalStatistics struct {
	StreamType      StreamType
	Width, Height   int
	FrameRate       int
	VideoBitrate    int // kbps
	AudioSampleRate int
	AudioBitrate    int // kbps
}

// RemoteStatistics is TRTCRemoteStatistics.
type RemoteStatistics struct {
	UserID            string
	StreamType        StreamType
	Width, Height     int
	FrameRate         int
	VideoBitrate      int // kbps
	AudioSampleRate   int
	AudioBitrate      int // kbps
	AudioPacketLoss   int // %
	VideoPacketLoss   int // %
	JitterBufferDelay int // ms
}

// Statistics is TRTCStatistics.
type Statistics struct {
	RTT           int // ms
	UpLoss        int // %
	DownLoss      int // %
	SentBytes     uint64
	ReceivedBytes uint64
	Local         []LocalStatistics
	Remote        []RemoteStatistics
	// Path is how media reaches the server: UDP, ICE-TCP, or a TURN relay
	// and how it is reached (an rtcengine addition; reach.go).
	Path MediaPath
}

// Error codes an application may see in OnError, OnEnterRoom and OnSwitchRole
// (trtc-reference §5).
const (
	ErrCodeEnterRoomFailed      = trtc.ErrEnterRoomFailed
	ErrCodeConnectServerTimeout = trtc.ErrConnectServerTimeout
	ErrCodeRoomParamNull        = trtc.ErrRoomParamNull
	ErrCodeInvalidSDKAppID      = trtc.ErrInvalidSDKAppID
	ErrCodeInvalidRoomID        = trtc.ErrInvalidRoomID
	ErrCodeInvalidUserID        = trtc.ErrInvalidUserID
	ErrCodeInvalidUserSig       = trtc.ErrInvalidUserSig
	ErrCodeEnterRoomRefused     = trtc.ErrEnterRoomRefused
	ErrCodeInvalidPrivateMapKey = trtc.ErrInvalidPrivateMapKey
	ErrCodeUserSigCheckFailed   = trtc.ErrUserSigCheckFailed
	ErrCodeNoPrivilegeCreate    = trtc.ErrNoPrivilegeCreate
	ErrCodeNoPrivilegeEnter     = trtc.ErrNoPrivilegeEnter
	ErrCodeRoomFull             = trtc.ErrRoomFull
	ErrCodeQuitRoomTimeout      = trtc.ErrQuitRoomTimeout
	ErrCodeDisconnected         = trtc.ErrDisconnected

	// WarnCodeKickedByNewSession precedes OnExitRoom(1) when the same userId
	// entered the same room from another device.
	WarnCodeKickedByNewSession = trtc.WarnKickedByNewSession
)
