package proto

// Media negotiation (docs/protocol.md, "Media"). Each client has two
// PeerConnections with the server: on the publisher connection the client
// always offers (pub_offer), on the subscriber connection the server always
// offers (sub_offer event, answered with sub_answer). Offers never collide.
const (
	TypePubOffer   = "pub_offer"   // PubOffer → SDP (answer)
	TypeSubAnswer  = "sub_answer"  // SDP → empty response
	TypeCandidate  = "candidate"   // Candidate, both directions, no response
	TypeSubscribe  = "subscribe"   // Subscribe → empty response
	TypeRestartICE = "restart_ice" // RestartICE → empty response (a new sub_offer follows for "sub")
	TypeSubOffer   = "sub_offer"   // event: SDP the client must answer with sub_answer
)

// Connection targets.
const (
	TargetPub = "pub"
	TargetSub = "sub"
)

// Track stream names in pub_offer, and the layer names of subscribe.
const (
	LayerBig   = "big"
	LayerSmall = "small"
	LayerAuto  = "auto"
)

// PubTrack names one track of a publisher offer by its MediaStreamTrack id:
// stream is "audio", "big", "small" (the small layer of the camera stream,
// sent as a second track) or "sub" (screen share).
type PubTrack struct {
	ID     string `json:"id"`
	Stream string `json:"stream"`
}

// PubOffer is an offer for the publisher connection.
type PubOffer struct {
	SDP    string     `json:"sdp"`
	Tracks []PubTrack `json:"tracks,omitempty"`
}

// SDP carries a session description (answers, subscriber offers). In a
// sub_offer, tracks are MediaStreamTrack ids "<userId>/<stream>" with
// stream "audio", "video" or "sub"; the MediaStream id is the userId.
type SDP struct {
	SDP string `json:"sdp"`
}

// Candidate is one trickled ICE candidate (RTCIceCandidateInit) for a target
// connection. An empty candidate string means end of candidates.
type Candidate struct {
	Target        string  `json:"target"`
	Candidate     string  `json:"candidate"`
	SDPMid        *string `json:"sdpMid,omitempty"`
	SDPMLineIndex *uint16 `json:"sdpMLineIndex,omitempty"`
}

// Subscribe changes what the sender receives of one remote user's stream:
// StartRemoteView/StopRemoteView (video, sub), MuteRemoteAudio (audio),
// MuteRemoteVideoStream and SetRemoteVideoStreamType (layer). On=false stops
// receiving. Layer is "big", "small" or "auto" (bandwidth decides; the
// default); it applies to video only.
type Subscribe struct {
	UserID string `json:"userId"`
	Stream string `json:"stream"`
	On     bool   `json:"on"`
	Layer  string `json:"layer,omitempty"`
}

// RestartICE asks the server to restart ICE on a connection ("sub"; the
// client restarts "pub" itself with a new pub_offer).
type RestartICE struct {
	Target string `json:"target"`
}
