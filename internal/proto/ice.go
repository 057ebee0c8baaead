package proto

// ICEServer is one entry of EnterResponse.ICEServers, shaped like the
// browser's RTCIceServer dictionary (W3C webrtc §4.2.4) so that a web client
// can pass the list to new RTCPeerConnection({iceServers}) as it is.
//
// The server lists its embedded TURN server here, when enabled: URLs over
// UDP, TCP and (with TLS configured) TLS, and a short-lived credential in
// the TURN REST API form, username "<expiry>:<sdkAppId>:<userId>" and
// credential base64(HMAC-SHA1(secret, username)). ExpiresAt is the
// credential's expiry in Unix seconds: it may not create relays after that,
// but relays it made keep working.
type ICEServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
	ExpiresAt  int64    `json:"expiresAt,omitempty"`
}
