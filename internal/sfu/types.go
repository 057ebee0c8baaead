package sfu

import (
	"fmt"
	"strings"

	"github.com/pion/webrtc/v4"
)

// PeerID names a client session. The room layer picks it (for example
// "room/user"); the SFU only uses it in logs, track ids and stream ids.
type PeerID string

func (id PeerID) String() string { return string(id) }

// TrackID names a published track: "<peer id>/<source>", where source is
// "audio", "video" (the main camera stream with its big and small layers) or
// "sub" (screen share). It is also the MediaStreamTrack id subscribers see.
type TrackID string

// Target is one of a Peer's two PeerConnections.
type Target int

const (
	TargetUnknown Target = iota
	// TargetPublisher is the connection that carries the client's media to
	// the server. The client offers.
	TargetPublisher
	// TargetSubscriber is the connection that carries other clients' media
	// to this client. The server offers.
	TargetSubscriber
)

func (t Target) String() string {
	switch t {
	case TargetPublisher:
		return "publisher"
	case TargetSubscriber:
		return "subscriber"
	}
	return fmt.Sprintf("target(%d)", int(t))
}

// ParseTarget parses the String form of a Target.
func ParseTarget(s string) (Target, error) {
	switch strings.ToLower(s) {
	case "publisher":
		return TargetPublisher, nil
	case "subscriber":
		return TargetSubscriber, nil
	}
	return TargetUnknown, fmt.Errorf("%w: %q", ErrUnknownTarget, s)
}

// Kind is the media kind of a track.
type Kind int

const (
	KindUnknown Kind = iota
	KindAudio
	KindVideo
)

func (k Kind) String() string {
	switch k {
	case KindAudio:
		return "audio"
	case KindVideo:
		return "video"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// ParseKind parses the String form of a Kind.
func ParseKind(s string) (Kind, error) {
	switch strings.ToLower(s) {
	case "audio":
		return KindAudio, nil
	case "video":
		return KindVideo, nil
	}
	return KindUnknown, fmt.Errorf("sfu: unknown kind %q", s)
}

func kindOf(k webrtc.RTPCodecType) Kind {
	switch k {
	case webrtc.RTPCodecTypeAudio:
		return KindAudio
	case webrtc.RTPCodecTypeVideo:
		return KindVideo
	}
	return KindUnknown
}

// ConnectionState is the state of one PeerConnection
// (https://www.w3.org/TR/webrtc/#rtcpeerconnectionstate-enum).
type ConnectionState int

const (
	ConnectionStateUnknown ConnectionState = iota
	ConnectionStateNew
	ConnectionStateConnecting
	ConnectionStateConnected
	ConnectionStateDisconnected
	ConnectionStateFailed
	ConnectionStateClosed
)

func (s ConnectionState) String() string {
	switch s {
	case ConnectionStateNew:
		return "new"
	case ConnectionStateConnecting:
		return "connecting"
	case ConnectionStateConnected:
		return "connected"
	case ConnectionStateDisconnected:
		return "disconnected"
	case ConnectionStateFailed:
		return "failed"
	case ConnectionStateClosed:
		return "closed"
	}
	return fmt.Sprintf("state(%d)", int(s))
}

// ParseConnectionState parses the String form of a ConnectionState.
func ParseConnectionState(s string) (ConnectionState, error) {
	for st := ConnectionStateNew; st <= ConnectionStateClosed; st++ {
		if st.String() == strings.ToLower(s) {
			return st, nil
		}
	}
	return ConnectionStateUnknown, fmt.Errorf("sfu: unknown connection state %q", s)
}

func connectionStateOf(s webrtc.PeerConnectionState) ConnectionState {
	switch s {
	case webrtc.PeerConnectionStateNew:
		return ConnectionStateNew
	case webrtc.PeerConnectionStateConnecting:
		return ConnectionStateConnecting
	case webrtc.PeerConnectionStateConnected:
		return ConnectionStateConnected
	case webrtc.PeerConnectionStateDisconnected:
		return ConnectionStateDisconnected
	case webrtc.PeerConnectionStateFailed:
		return ConnectionStateFailed
	case webrtc.PeerConnectionStateClosed:
		return ConnectionStateClosed
	}
	return ConnectionStateUnknown
}

// Candidate is a client's trickled ICE candidate, shaped like the W3C
// RTCIceCandidateInit dictionary so that it round-trips through JSON
// (https://www.w3.org/TR/webrtc/#dom-rtcicecandidateinit).
type Candidate struct {
	Candidate        string  `json:"candidate"`
	SDPMid           *string `json:"sdpMid,omitempty"`
	SDPMLineIndex    *uint16 `json:"sdpMLineIndex,omitempty"`
	UsernameFragment *string `json:"usernameFragment,omitempty"`
}

// Codec describes the codec of a published track.
type Codec struct {
	MimeType    string // "video/VP8", "audio/opus", …
	ClockRate   uint32
	Channels    uint16
	SDPFmtpLine string
}

func codecOf(c webrtc.RTPCodecParameters) Codec {
	return Codec{MimeType: c.MimeType, ClockRate: c.ClockRate, Channels: c.Channels, SDPFmtpLine: c.SDPFmtpLine}
}
