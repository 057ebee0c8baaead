package rtpnack

import "errors"

// Sentinel errors returned by this package.
var (
	// ErrInvalidInterval is returned by NewFactory for an interval outside
	// [MinInterval, MaxInterval].
	ErrInvalidInterval = errors.New("rtpnack: invalid NACK interval")

	// ErrInvalidMaxNacks is returned by NewFactory for a maximum request
	// count outside [1, MaxNacksLimit].
	ErrInvalidMaxNacks = errors.New("rtpnack: invalid maximum NACKs per packet")
)
