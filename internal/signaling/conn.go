// Package signaling is the server side of rtcengine's signaling protocol
// (internal/proto, docs/protocol.md): one Session per client connection,
// turning requests into room-service calls and room events into frames.
//
// It depends on a small Conn interface, not on WebSockets, so the socket's
// node and the room's node can differ once clustering arrives; the WebSocket
// adapter lives in internal/server.
package signaling

import "context"

// Conn is one client connection carrying whole frames.
type Conn interface {
	// Read returns the next frame. text is false for binary frames.
	Read(ctx context.Context) (data []byte, text bool, err error)
	// Write sends one text frame.
	Write(ctx context.Context, data []byte) error
	// Close ends the connection with a WebSocket close code and reason.
	Close(code int, reason string) error
	// RemoteIP is the client's address, for history and logs.
	RemoteIP() string
}

// Close codes used by the server (RFC 6455 §7.4).
const (
	CloseNormal          = 1000
	CloseGoingAway       = 1001
	ClosePolicyViolation = 1008
	CloseTooBig          = 1009
	CloseInternal        = 1011
)
