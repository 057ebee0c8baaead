package turn

import "errors"

var (
	// ErrBadUsername: a TURN username not made by Issue.
	ErrBadUsername = errors.New("turn: malformed username")
	// ErrQuota: the user, or the server, has as many allocations as allowed.
	ErrQuota = errors.New("turn: allocation quota reached")
	// ErrTCPRelay: TCP relays (RFC 6062) are not offered: the only peer is
	// the SFU, which speaks UDP.
	ErrTCPRelay = errors.New("turn: TCP relay allocations are not supported")
	// ErrNoListener: a server needs at least one of UDP, TCP or TLS.
	ErrNoListener = errors.New("turn: no listener configured")
)
