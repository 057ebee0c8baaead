// Package proto defines rtcengine's signaling wire format: JSON messages in
// WebSocket text frames, spoken between the SDKs and the server. The format is
// documented in docs/protocol.md; this file is its normative definition.
//
// Every frame is one Message. Requests carry a non-zero ID and get exactly one
// "response" with the same ID. Events carry no ID. Version negotiation happens
// in the WebSocket handshake through the subprotocol (Subprotocol); a server
// that does not speak the client's version refuses the upgrade.
package proto

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Subprotocol is the WebSocket subprotocol of this protocol version. Breaking
// changes get a new subprotocol; additive changes (new optional fields, new
// message types) keep it, and peers ignore fields they do not know.
const Subprotocol = "rtcengine.v1"

// Version is the numeric protocol version, reported in the enter response.
const Version = 1

// Message types sent by clients.
const (
	TypeEnter       = "enter"        // EnterRequest → EnterResponse
	TypeResume      = "resume"       // ResumeRequest → EnterResponse
	TypeExit        = "exit"         // no data → empty response
	TypeSwitchRole  = "switch_role"  // SwitchRoleRequest → empty response
	TypeStreamState = "stream_state" // StreamState → empty response
	TypePing        = "ping"         // heartbeat, both directions, no response
)

// Message types sent by the server.
const (
	TypeResponse        = "response"         // answer to a request: ID, Code, Msg, Data
	TypeUserEnter       = "user_enter"       // UserEvent: a visible user entered
	TypeUserLeave       = "user_leave"       // UserEvent with Reason
	TypeKicked          = "kicked"           // KickedEvent: this session is no longer in the room
	TypeWarning         = "warning"          // no data; Code and Msg say what
	TypeError           = "error"            // no data; Code and Msg say why a frame was refused
	TypeClosing         = "closing"          // no data; the server is shutting down: reconnect
	TypeStreamAvailable = "stream_available" // StreamEvent: another user's stream became (un)available
)

// Message is one signaling frame.
type Message struct {
	Type string          `json:"type"`
	ID   uint32          `json:"id,omitempty"`
	Code int             `json:"code,omitempty"`
	Msg  string          `json:"msg,omitempty"`
	Data json.RawMessage `json:"data,omitempty"`
}

// Terminal describes the client for webhooks and history (trtc-reference §8.2).
type Terminal struct {
	TerminalType int    `json:"terminalType,omitempty"` // 1 Windows, 2 Android, 3 iOS, 4 Linux, 100 other
	UserType     int    `json:"userType,omitempty"`     // 1 WebRTC, 2 Mini Program, 3 Native SDK
	SDKVersion   string `json:"sdkVersion,omitempty"`
	Device       string `json:"device,omitempty"`
}

// EnterRequest carries TRTCParams and the scene.
type EnterRequest struct {
	SDKAppID           uint32   `json:"sdkAppId"`
	UserID             string   `json:"userId"`
	UserSig            string   `json:"userSig"`
	RoomID             uint64   `json:"roomId,omitempty"`
	StrRoomID          string   `json:"strRoomId,omitempty"`
	Role               int      `json:"role,omitempty"`
	Scene              int      `json:"scene"`
	PrivateMapKey      string   `json:"privateMapKey,omitempty"`
	StreamID           string   `json:"streamId,omitempty"`
	UserDefineRecordID string   `json:"userDefineRecordId,omitempty"`
	BusinessInfo       string   `json:"businessInfo,omitempty"`
	Terminal           Terminal `json:"terminal,omitempty"`
	// AutoRecvAudio and AutoRecvVideo are SetDefaultStreamRecvMode: nil
	// means true (receive everything without asking).
	AutoRecvAudio *bool `json:"autoRecvAudio,omitempty"`
	AutoRecvVideo *bool `json:"autoRecvVideo,omitempty"`
	// Retry says the SDK enters again because its session timed out
	// while it was reconnecting (resume answered "user not found"):
	// TRTC's "timeout retry", webhook 103 reason 3.
	Retry bool `json:"retry,omitempty"`
}

// ResumeRequest reattaches a session whose connection was lost.
// LastMsgIndex, when present, is the index of the last custom_msg the
// client got: the server sends again what came after it.
type ResumeRequest struct {
	SessionID    string  `json:"sessionId"`
	ResumeToken  string  `json:"resumeToken"`
	LastMsgIndex *uint64 `json:"lastMsgIndex,omitempty"`
}

// SwitchRoleRequest changes the caller's role in a live scene.
type SwitchRoleRequest struct {
	Role          int    `json:"role"`
	PrivateMapKey string `json:"privateMapKey,omitempty"`
}

// RemoteUser is a user visible to the receiver at the time of a snapshot,
// with the streams it makes available.
type RemoteUser struct {
	UserID string `json:"userId"`
	Role   int    `json:"role"`
	Audio  bool   `json:"audio,omitempty"`
	Video  bool   `json:"video,omitempty"`
	Sub    bool   `json:"sub,omitempty"`
}

// Stream names on the wire.
const (
	StreamAudio = "audio"
	StreamVideo = "video" // main camera stream (big and its small layer)
	StreamSub   = "sub"   // screen share
)

// StreamState is the stream_state request: the sender makes one of its
// streams available or not (publish, unpublish, mute, unmute).
type StreamState struct {
	Stream    string `json:"stream"`
	Available bool   `json:"available"`
}

// StreamEvent is the stream_available event.
type StreamEvent struct {
	UserID    string `json:"userId"`
	Stream    string `json:"stream"`
	Available bool   `json:"available"`
}

// EnterResponse answers enter and resume.
type EnterResponse struct {
	Version       int          `json:"version"`
	SessionID     string       `json:"sessionId"`
	ResumeToken   string       `json:"resumeToken"`
	Role          int          `json:"role"`
	Scene         int          `json:"scene"`
	Users         []RemoteUser `json:"users"`
	HeartbeatMs   int64        `json:"heartbeatMs"`
	TimeoutMs     int64        `json:"timeoutMs"`
	DropTimeoutMs int64        `json:"dropTimeoutMs"`
	Resumed       bool         `json:"resumed,omitempty"`
	// ICEServers are the TURN servers and credentials for this session's
	// PeerConnections (ice.go); absent without TURN, and in the answer to a
	// resume, where the client keeps those of its enter.
	ICEServers []ICEServer `json:"iceServers,omitempty"`
}

// UserEvent is user_enter / user_leave.
type UserEvent struct {
	UserID string `json:"userId"`
	Role   int    `json:"role,omitempty"`
	Reason int    `json:"reason,omitempty"`
}

// KickedEvent ends the session: Reason is OnExitRoom's reason (1 removed,
// 2 dismissed); Code and Msg say why (e.g. a newer session with the same userId).
type KickedEvent struct {
	Reason int    `json:"reason"`
	Code   int    `json:"code,omitempty"`
	Msg    string `json:"msg,omitempty"`
}

// Errors of Decode.
var (
	ErrEmpty       = errors.New("proto: empty frame")
	ErrNotJSON     = errors.New("proto: frame is not a JSON object")
	ErrMissingType = errors.New("proto: message has no type")
)

// Decode parses one frame. It never panics on any input; errors wrap the
// cause so the edge can report it.
func Decode(frame []byte) (Message, error) {
	var m Message
	if len(frame) == 0 {
		return m, ErrEmpty
	}
	if err := json.Unmarshal(frame, &m); err != nil {
		return Message{}, fmt.Errorf("%w: %v", ErrNotJSON, err)
	}
	if m.Type == "" {
		return Message{}, ErrMissingType
	}
	return m, nil
}

// DecodeData unmarshals a message's data into v, rejecting a missing body.
func DecodeData(m Message, v any) error {
	if len(m.Data) == 0 || string(m.Data) == "null" {
		return fmt.Errorf("proto: %s has no data", m.Type)
	}
	if err := json.Unmarshal(m.Data, v); err != nil {
		return fmt.Errorf("proto: bad %s data: %w", m.Type, err)
	}
	return nil
}

// Encode builds a frame. Data may be nil.
func Encode(typ string, id uint32, code int, msg string, data any) ([]byte, error) {
	m := Message{Type: typ, ID: id, Code: code, Msg: msg}
	if data != nil {
		raw, err := json.Marshal(data)
		if err != nil {
			return nil, err
		}
		m.Data = raw
	}
	return json.Marshal(m)
}

// MustEncode is Encode for values that always marshal (the types of this package).
func MustEncode(typ string, id uint32, code int, msg string, data any) []byte {
	b, err := Encode(typ, id, code, msg, data)
	if err != nil {
		panic(err)
	}
	return b
}
