package relay

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// The control link is a WebSocket carrying one JSON message per text frame,
// the same in both directions. Each end tells the other about the room's
// anchors on its node ("member", "left": presence and availability, before
// any media flows) and about the RTP streams it sends ("track", before the
// offer that carries them, so that the receiver knows what an incoming
// stream is when it arrives).
//
//	{"t":"member","user":"alice","audio":true,"video":true}       enter, publish, mute
//	{"t":"left","user":"alice"}                                   exit, became audience
//	{"t":"track","id":"alice/video#big","user":"alice","stream":"video","layer":"big"}
//	{"t":"msg","user":"alice","cmd":1,"seq":7,"data":"aGk="}      custom message (base64)
//	{"t":"offer","sdp":"v=0…"}  {"t":"answer","sdp":"v=0…"}       media negotiation
const (
	// MaxMessageBytes bounds one control message (SDP of a room with its
	// 50 anchors' streams fits with a wide margin).
	MaxMessageBytes = 256 << 10
	// MaxStreamsPerLink bounds the streams one end may announce on a link:
	// 50 anchors (TRTC's LIVE cap) × audio, big, small and sub.
	MaxStreamsPerLink = 200
	// MaxMembersPerLink bounds the anchors one end may announce.
	MaxMembersPerLink = 100
	// maxTrackIDLen bounds an announced track id.
	maxTrackIDLen = 128
)

// Message kinds.
const (
	msgMember = "member"
	msgLeft   = "left"
	msgTrack  = "track"
	msgCustom = "msg"
	msgOffer  = "offer"
	msgAnswer = "answer"
)

// message is one control message.
type message struct {
	T      string `json:"t"`
	ID     string `json:"id,omitempty"`
	User   string `json:"user,omitempty"`
	Stream string `json:"stream,omitempty"`
	Layer  string `json:"layer,omitempty"`
	Audio  bool   `json:"audio,omitempty"`
	Video  bool   `json:"video,omitempty"`
	Sub    bool   `json:"sub,omitempty"`
	SDP    string `json:"sdp,omitempty"`
	Cmd    int    `json:"cmd,omitempty"`
	Seq    uint32 `json:"seq,omitempty"`
	Data   []byte `json:"data,omitempty"`
}

// decodeMessage parses and checks one control message.
func decodeMessage(b []byte) (message, error) {
	var m message
	if len(b) > MaxMessageBytes {
		return m, fmt.Errorf("%w: %d bytes > %d", ErrBadMessage, len(b), MaxMessageBytes)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("%w: %w", ErrBadMessage, err)
	}
	switch m.T {
	case msgOffer, msgAnswer:
		if m.SDP == "" || !utf8.ValidString(m.SDP) {
			return m, fmt.Errorf("%w: %s without SDP", ErrBadMessage, m.T)
		}
		return m, nil
	case msgTrack, msgMember, msgLeft, msgCustom:
	default:
		return m, fmt.Errorf("%w: unknown kind %q", ErrBadMessage, m.T)
	}
	if err := trtc.ValidateUserID(m.User); err != nil {
		return m, fmt.Errorf("%w: %w", ErrBadMessage, err)
	}
	if m.T == msgCustom {
		if !trtc.ValidCustomCmdID(m.Cmd) || len(m.Data) == 0 || len(m.Data) > trtc.MaxCustomMsgBytes {
			return m, fmt.Errorf("%w: custom message: cmd %d, %d bytes", ErrBadMessage, m.Cmd, len(m.Data))
		}
		return m, nil
	}
	if m.T != msgTrack {
		return m, nil
	}
	if room.ParseStream(m.Stream) == room.StreamUnknown {
		return m, fmt.Errorf("%w: stream %q", ErrBadMessage, m.Stream)
	}
	if m.ID == "" || len(m.ID) > maxTrackIDLen || !utf8.ValidString(m.ID) {
		return m, fmt.Errorf("%w: track id must be 1..%d bytes", ErrBadMessage, maxTrackIDLen)
	}
	if _, ok := parseLayer(m.Layer); !ok {
		return m, fmt.Errorf("%w: layer %q", ErrBadMessage, m.Layer)
	}
	return m, nil
}

// parseLayer reads a layer name: "big" or "small" ("" is big).
func parseLayer(s string) (trtc.StreamType, bool) {
	switch s {
	case "", "big":
		return trtc.StreamBig, true
	case "small":
		return trtc.StreamSmall, true
	}
	return trtc.StreamBig, false
}

func layerName(st trtc.StreamType) string {
	if st == trtc.StreamSmall {
		return "small"
	}
	return "big"
}
