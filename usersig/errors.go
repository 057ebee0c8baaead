package usersig

import "errors"

// Errors returned by the verifying and parsing functions. They are wrapped
// with detail; test for them with errors.Is. The signaling edge maps them to
// TRTC codes (-100018 for a UserSig, -100006 for a PrivateMapKey).
var (
	// ErrMalformed: the ticket is not a TLSSigAPIv2 ticket. It is empty or
	// longer than MaxTicketLen, or its Base64, zlib stream or JSON is invalid,
	// or a required field (TLS.identifier, TLS.sdkappid, TLS.time, TLS.sig)
	// is missing, has the wrong type or appears twice, or a PrivateMapKey's
	// userbuf does not follow the layout of trtc-reference §6.3.
	ErrMalformed = errors.New("usersig: malformed ticket")

	// ErrSDKAppIDMismatch: the ticket (or a PrivateMapKey's userbuf) was
	// issued for another SDKAppID. TLSSigAPIv2: "sdk appid not match".
	ErrSDKAppIDMismatch = errors.New("usersig: SDKAppID does not match")

	// ErrIdentifierMismatch: the ticket (or a PrivateMapKey's userbuf) was
	// issued for another user. TLSSigAPIv2: "identifier not match".
	ErrIdentifierMismatch = errors.New("usersig: identifier does not match")

	// ErrExpired: the ticket's TLS.time + TLS.expire is in the past.
	// TLSSigAPIv2: "expired".
	ErrExpired = errors.New("usersig: ticket expired")

	// ErrUserBufMismatch: the ticket carries a userbuf where none was
	// expected (a PrivateMapKey passed as a UserSig), none where one was
	// expected, or a different one. TLSSigAPIv2 reports these as "userbuf
	// type not match" and "userbuf not match".
	ErrUserBufMismatch = errors.New("usersig: userbuf does not match")

	// ErrBadSignature: the HMAC-SHA256 in TLS.sig does not match the
	// ticket's fields under the given key. TLSSigAPIv2: "sig not match".
	ErrBadSignature = errors.New("usersig: signature does not match")

	// ErrPrivateMapKeyExpired: the absolute expiry inside a PrivateMapKey's
	// userbuf is in the past, even though the ticket around it is not.
	ErrPrivateMapKeyExpired = errors.New("usersig: PrivateMapKey expired")

	// ErrInvalidArgument: a generating function was given an argument that
	// cannot produce a verifiable ticket (zero SDKAppID, empty key or user,
	// non-positive expiry, room id 0, …), or a verifying function was given
	// an empty key, with which anyone could forge a ticket.
	ErrInvalidArgument = errors.New("usersig: invalid argument")
)
