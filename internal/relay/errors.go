package relay

import "errors"

// Errors of the relay. The HTTP edge of the origin (Origin.ServeHTTP) turns
// them into TRTC codes: authentication errors into ErrSigVerifyFailed
// (-70009) with HTTP 401, malformed requests into ErrInvalidParameter (-2)
// with HTTP 400.
var (
	// ErrNoSecret: the cluster secret is empty or shorter than MinSecretLen.
	ErrNoSecret = errors.New("relay: cluster secret missing or shorter than 16 bytes")
	// ErrAuthMissing: a request lacks one of the authentication headers.
	ErrAuthMissing = errors.New("relay: missing authentication header")
	// ErrAuthMalformed: an authentication header is not in its format.
	ErrAuthMalformed = errors.New("relay: malformed authentication header")
	// ErrAuthStale: the request's timestamp is further than MaxClockSkew
	// from the receiver's clock.
	ErrAuthStale = errors.New("relay: request timestamp outside the allowed window")
	// ErrAuthReplay: the request's nonce was already used within the window.
	ErrAuthReplay = errors.New("relay: nonce already used")
	// ErrAuthForged: the signature does not match the cluster secret.
	ErrAuthForged = errors.New("relay: signature does not match")
	// ErrBadRoom: the room parameter is not a room key.
	ErrBadRoom = errors.New("relay: invalid room")
	// ErrBadMessage: a control message could not be decoded or breaks a
	// limit.
	ErrBadMessage = errors.New("relay: invalid control message")
	// ErrTooManyLinks: the origin already serves MaxLinks links.
	ErrTooManyLinks = errors.New("relay: too many relay links")
	// ErrClosed: the link or the relay was closed.
	ErrClosed = errors.New("relay: closed")
)
