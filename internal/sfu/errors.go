package sfu

import "errors"

// Sentinel errors returned by this package. The signaling edge maps them to
// TRTC codes; the SFU itself attaches none.
var (
	// ErrClosed is returned by methods of an Engine, Peer or DownTrack that
	// has been closed.
	ErrClosed = errors.New("sfu: closed")

	// ErrInvalidConfig wraps every Config.Validate failure.
	ErrInvalidConfig = errors.New("sfu: invalid config")

	// ErrInvalidSDP is returned when an offer or answer cannot be parsed or
	// applied.
	ErrInvalidSDP = errors.New("sfu: invalid session description")

	// ErrNoSupportedCodec is returned when an offer has media sections but
	// none of them carries a codec the engine forwards.
	ErrNoSupportedCodec = errors.New("sfu: no supported codec")

	// ErrUnexpectedAnswer is returned by HandleSubscriberAnswer when no
	// subscriber offer is outstanding.
	ErrUnexpectedAnswer = errors.New("sfu: no subscriber offer outstanding")

	// ErrUnknownTarget is returned for a Target that is neither publisher
	// nor subscriber.
	ErrUnknownTarget = errors.New("sfu: unknown target")

	// ErrTrackGone is returned by Subscribe when the published track has
	// ended.
	ErrTrackGone = errors.New("sfu: published track has ended")

	// ErrAlreadySubscribed is returned by Subscribe when the peer already
	// receives the published track.
	ErrAlreadySubscribed = errors.New("sfu: already subscribed")

	// ErrSelfSubscribe is returned when a peer subscribes to its own track.
	ErrSelfSubscribe = errors.New("sfu: cannot subscribe to own track")

	// ErrInvalidLayer is returned by SetLayer for anything but StreamBig or
	// StreamSmall.
	ErrInvalidLayer = errors.New("sfu: invalid layer")

	// ErrCodecMismatch is returned when the subscriber's negotiated codecs
	// do not include the publisher's codec.
	ErrCodecMismatch = errors.New("sfu: subscriber does not support the track's codec")

	// ErrUnexpectedOffer is returned by HandleSubscriberOffer on a Peer
	// whose subscriber connection already carries server offers.
	ErrUnexpectedOffer = errors.New("sfu: subscriber connection is negotiated by the server")

	// ErrNoSlot is returned by Subscribe on an answering Peer whose client
	// offered no section to receive the track's kind on.
	ErrNoSlot = errors.New("sfu: the client offered nothing to receive this kind on")
)
