package proto

// Speed test (docs/protocol.md, "Speed test"). A client that is not in a
// room asks for a test with speed_test, then sends and receives probe
// datagrams (internal/probe) on the server's media port, and drives the
// phases with speed_test_up and speed_test_down. Closing the connection, or
// speed_test_end, ends the test.
const (
	TypeSpeedTest     = "speed_test"      // SpeedTestRequest → SpeedTestResponse
	TypeSpeedTestUp   = "speed_test_up"   // SpeedTestUp → ProbeReport (what the server received)
	TypeSpeedTestDown = "speed_test_down" // SpeedTestDown → ProbeReport (Sent: what the server sent)
	TypeSpeedTestEnd  = "speed_test_end"  // no data → empty response
)

// SpeedTestRequest is TRTCSpeedTestParams.
type SpeedTestRequest struct {
	SDKAppID              uint32 `json:"sdkAppId"`
	UserID                string `json:"userId"`
	UserSig               string `json:"userSig"`
	ExpectedUpBandwidth   int    `json:"expectedUpBandwidth,omitempty"`   // kbps, 0 = no upload phase
	ExpectedDownBandwidth int    `json:"expectedDownBandwidth,omitempty"` // kbps, 0 = no download phase
	Scene                 int    `json:"scene"`                           // 1 delay, 2 delay and bandwidth, 3 online chorus
	// Transport is "udp" (or empty: probe datagrams on the media port) or
	// "datachannel": the same datagrams as messages of an unordered,
	// unreliable data channel on a PeerConnection that SDP offers.
	Transport string `json:"transport,omitempty"`
	SDP       string `json:"sdp,omitempty"` // the datachannel transport's offer
}

// Speed test transports.
const (
	SpeedTestUDP         = "udp"
	SpeedTestDataChannel = "datachannel"
)

// SpeedTestResponse tells the client where and how to probe.
type SpeedTestResponse struct {
	Token   string `json:"token"`   // 32 hex digits, carried by every probe datagram
	IP      string `json:"ip"`      // the media address; empty: the signaling URL's host
	Port    int    `json:"port"`    // the media UDP port
	PhaseMs int    `json:"phaseMs"` // how long each direction is measured
	MaxKbps int    `json:"maxKbps"` // the highest rate the server sends or accepts
	// HeartbeatMs and TimeoutMs are the connection's heartbeat, as in the
	// enter response: a test outlasts the server's timeout.
	HeartbeatMs int64 `json:"heartbeatMs"`
	TimeoutMs   int64 `json:"timeoutMs"`
	// SDP is the answer to a datachannel transport's offer.
	SDP string `json:"sdp,omitempty"`
}

// SpeedTestUp ends the upload phase: the client sent Sent datagrams.
type SpeedTestUp struct {
	Sent int `json:"sent"`
}

// SpeedTestDown asks the server to send Kbps of Size-byte datagrams for
// DurationMs; the response comes after the last one was sent.
type SpeedTestDown struct {
	Kbps       int `json:"kbps"`
	DurationMs int `json:"durationMs"`
	Size       int `json:"size"`
}

// ProbeReport is one direction's measurement (or, for speed_test_down, what
// was sent).
type ProbeReport struct {
	Sent     int     `json:"sent"`
	Received int     `json:"received"`
	Loss     float64 `json:"loss"`     // 0..1
	Kbps     int     `json:"kbps"`     // −1 if unknown
	JitterMs int     `json:"jitterMs"` // −1 if unknown
}
