package probe

import "errors"

// Errors of the Service; the signaling edge turns them into TRTC codes.
var (
	// ErrBusy: the server runs its maximum of tests, or this test is
	// already sending.
	ErrBusy = errors.New("probe: too many speed tests running")
	// ErrUnknownTest: no test has the token (never issued, or ended).
	ErrUnknownTest = errors.New("probe: no such speed test")
	// ErrExpired: the test outlived Lifetime.
	ErrExpired = errors.New("probe: speed test expired")
	// ErrUnverified: no datagram from the client echoed the server's
	// cookie yet, so its address is not proven.
	ErrUnverified = errors.New("probe: client address not verified (no ping with the cookie arrived)")
	// ErrAttached: the test already has a data channel, or already took
	// datagrams on the media port.
	ErrAttached = errors.New("probe: speed test already has a transport")
	// ErrBadRequest: a rate, duration or size out of range.
	ErrBadRequest = errors.New("probe: rate or duration out of range")
)
