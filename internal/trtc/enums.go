package trtc

import "fmt"

// Scene is TRTCAppScene (trtc-reference §2.2).
type Scene int

const (
	SceneVideoCall     Scene = 0
	SceneLive          Scene = 1
	SceneAudioCall     Scene = 2
	SceneVoiceChatRoom Scene = 3
)

// Valid reports whether s is one of TRTC's four scenes.
func (s Scene) Valid() bool { return s >= SceneVideoCall && s <= SceneVoiceChatRoom }

// IsLive reports whether s is a live scene, where roles matter and audience
// members are invisible to others.
func (s Scene) IsLive() bool { return s == SceneLive || s == SceneVoiceChatRoom }

func (s Scene) String() string {
	switch s {
	case SceneVideoCall:
		return "videocall"
	case SceneLive:
		return "live"
	case SceneAudioCall:
		return "audiocall"
	case SceneVoiceChatRoom:
		return "voicechatroom"
	}
	return fmt.Sprintf("scene(%d)", int(s))
}

// Role is TRTCRoleType. The zero value is RoleUnknown; TRTC's default is anchor.
type Role int

const (
	RoleUnknown  Role = 0
	RoleAnchor   Role = 20
	RoleAudience Role = 21
)

// Valid reports whether r is anchor or audience.
func (r Role) Valid() bool { return r == RoleAnchor || r == RoleAudience }

func (r Role) String() string {
	switch r {
	case RoleAnchor:
		return "anchor"
	case RoleAudience:
		return "audience"
	}
	return fmt.Sprintf("role(%d)", int(r))
}

// StreamType is TRTCVideoStreamType.
type StreamType int

const (
	StreamBig   StreamType = 0
	StreamSmall StreamType = 1
	StreamSub   StreamType = 2
)

func (t StreamType) Valid() bool { return t >= StreamBig && t <= StreamSub }

func (t StreamType) String() string {
	switch t {
	case StreamBig:
		return "big"
	case StreamSmall:
		return "small"
	case StreamSub:
		return "sub"
	}
	return fmt.Sprintf("stream(%d)", int(t))
}

// Privilege bits of a PrivateMapKey (trtc-reference §6.3).
const (
	PrivCreateRoom uint32 = 1
	PrivEnterRoom  uint32 = 2
	PrivSendAudio  uint32 = 4
	PrivRecvAudio  uint32 = 8
	PrivSendVideo  uint32 = 16
	PrivRecvVideo  uint32 = 32
	PrivSendSub    uint32 = 64
	PrivRecvSub    uint32 = 128
	PrivAll        uint32 = 255
)
