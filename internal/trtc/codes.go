package trtc

// Client- and server-visible error codes (trtc-reference §5). The values are
// TRTC's; the names follow the 2021 TXLiteAVCode header.
const (
	OK = 0

	ErrFailed           = -1
	ErrInvalidParameter = -2
	ErrRefused          = -3
	ErrNotSupported     = -4
	ErrServerTimeout    = -6
	ErrServerProcess    = -7
	ErrDisconnected     = -8

	ErrEnterRoomFailed                = -3301 // ERR_TRTC_ENTER_ROOM_FAILED
	ErrConnectServerTimeout           = -3308 // ERR_TRTC_CONNECT_SERVER_TIMEOUT
	ErrRoomParamNull                  = -3316 // ERR_TRTC_ROOM_PARAM_NULL
	ErrInvalidSDKAppID                = -3317 // ERR_TRTC_INVALID_SDK_APPID
	ErrInvalidRoomID                  = -3318 // ERR_TRTC_INVALID_ROOM_ID
	ErrInvalidUserID                  = -3319 // ERR_TRTC_INVALID_USER_ID
	ErrInvalidUserSig                 = -3320 // ERR_TRTC_INVALID_USER_SIG
	ErrQuitRoomTimeout                = -3325 // ERR_ROOM_REQUEST_QUIT_ROOM_TIMEOUT
	ErrAudienceCannotConnectOtherRoom = -3330
	ErrJSONCmdTimeout                 = -3332 // ERR_ROOM_REQUEST_SEND_JSON_CMD_TIMEOUT
	ErrEnterRoomRefused               = -3340 // ERR_TRTC_ENTER_ROOM_REFUSED

	ErrUnpack               = -100000
	ErrInvalidCommand       = -100005
	ErrInvalidPrivateMapKey = -100006 // ERR_TRTC_INVALID_PRIVATE_MAPKEY
	ErrBadRoomIDServer      = -100010
	ErrBadSceneOrRole       = -100011
	ErrServiceSuspended     = -100013
	ErrStrRoomIDChars       = -100014
	ErrSDKAppIDServer       = -100015
	ErrUserSigCheckFailed   = -100018 // ERR_TRTC_USER_SIG_CHECK_FAILED
	ErrServerOverloaded     = -100021

	ErrCenterSystem         = -102000
	ErrRoomNotExist         = -102005
	ErrUserNotFound         = -102007
	ErrNoPrivilegeCreate    = -102010
	ErrNoPrivilegeEnter     = -102011
	ErrNoPrivilegePushVideo = -102013
	ErrNoPrivilegePushSub   = -102015 // ERR_SCREEN_SHARE_NOT_AUTHORIZED
	ErrSubStreamOccupied    = -102016 // ERR_SCREEN_SHRAE_OCCUPIED_BY_OTHER
	ErrUserNotPushingSub    = -102017
	ErrUserDeleted          = -102018
	ErrRoomFull             = -102052
	ErrJSONDecode           = -102053
	ErrUnknownSubCmd        = -102054
	ErrInvalidRole          = -102055

	// UserSig failures as the SSO layer names them (§5.3). The signaling edge
	// reports -100018 to clients and puts the finer reason in the message.
	ErrSigExpired            = -70001
	ErrSigInvalid            = -70003
	ErrSigVerifyFailed       = -70009
	ErrSigIdentifierMismatch = -70013
	ErrSigSDKAppIDMismatch   = -70014
	ErrSigSDKAppIDNotFound   = -70020
)

// Warning codes (trtc-reference §5.5).
const (
	WarnIgnoreUpstreamForAudience = 6001 // WARNING_IGNORE_UPSTREAM_FOR_AUDIENCE
	WarnRoomDisconnect            = 5101
	WarnRoomReconnect             = 5102
	// WarnKickedByNewSession is rtcengine's warning, sent just before
	// OnExitRoom(1), when the same userId entered the same room elsewhere.
	// TRTC's web SDK reports this as KICKED_OUT with reason "kick".
	WarnKickedByNewSession = 6100
)

// ExitReason is the argument of OnExitRoom.
type ExitReason int

const (
	ExitSelf      ExitReason = 0 // exitRoom was called
	ExitRemoved   ExitReason = 1 // removed by the server (RemoveUser, or a newer session)
	ExitDismissed ExitReason = 2 // room dismissed (DismissRoom)
	ExitAbnormal  ExitReason = 3 // server state abnormal (Chinese docs)
)

// LeaveReason is the reason argument of OnRemoteUserLeaveRoom.
type LeaveReason int

const (
	LeaveNormal       LeaveReason = 0 // left voluntarily
	LeaveTimeout      LeaveReason = 1 // connection dropped past the drop timeout
	LeaveRemoved      LeaveReason = 2 // kicked/removed by the server
	LeaveSwitchedRole LeaveReason = 3 // anchor switched to audience
)
