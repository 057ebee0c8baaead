package usersig

import (
	"bytes"
	"compress/zlib"
	"crypto/hmac"
	"fmt"
	"time"
	"unicode/utf8"
)

// compressionLevel is the zlib level of generated tickets. The reference Go
// library stores without compression by default (level 0); using the same
// level makes our output identical to its output. Other implementations
// (Python, Java) compress, and Decode accepts every level.
const compressionLevel = zlib.NoCompression

// GenUserSig returns a UserSig for userID, valid for expireSeconds from now
// (trtc-reference §6.1). key is the application's SDKSecretKey.
//
// userID should be at most 32 bytes of [a-zA-Z0-9_-] for TRTC clients; this
// function only requires it to be non-empty valid UTF-8, because a ticket
// for any other string could not be verified.
func GenUserSig(sdkAppID uint32, key, userID string, expireSeconds int) (string, error) {
	return GenUserSigAt(sdkAppID, key, userID, expireSeconds, time.Now())
}

// GenUserSigAt is GenUserSig issuing the ticket at now instead of the
// current time. The result is a function of its arguments.
func GenUserSigAt(sdkAppID uint32, key, userID string, expireSeconds int, now time.Time) (string, error) {
	return generate(sdkAppID, key, userID, expireSeconds, now, nil, compressionLevel)
}

// GenUserSigWithBuf returns a UserSig whose TLS.userbuf carries userbuf, as
// TLSSigAPIv2's GenUserSigWithBuf does. Verify it with VerifyUserSigWithBuf.
// userbuf must not be empty.
func GenUserSigWithBuf(sdkAppID uint32, key, userID string, expireSeconds int, userbuf []byte) (string, error) {
	return GenUserSigWithBufAt(sdkAppID, key, userID, expireSeconds, userbuf, time.Now())
}

// GenUserSigWithBufAt is GenUserSigWithBuf issuing the ticket at now.
func GenUserSigWithBufAt(sdkAppID uint32, key, userID string, expireSeconds int, userbuf []byte, now time.Time) (string, error) {
	if len(userbuf) == 0 {
		// TLSSigAPIv2 signs an empty userbuf but leaves it out of the JSON,
		// yielding a ticket that never verifies; refuse instead.
		return "", fmt.Errorf("%w: empty userbuf", ErrInvalidArgument)
	}
	return generate(sdkAppID, key, userID, expireSeconds, now, userbuf, compressionLevel)
}

// generate signs and encodes a ticket at the given zlib level.
func generate(sdkAppID uint32, key, userID string, expireSeconds int, now time.Time, userbuf []byte, level int) (string, error) {
	switch {
	case sdkAppID == 0:
		return "", fmt.Errorf("%w: SDKAppID is 0", ErrInvalidArgument)
	case key == "":
		return "", fmt.Errorf("%w: empty key", ErrInvalidArgument)
	case userID == "":
		return "", fmt.Errorf("%w: empty user id", ErrInvalidArgument)
	case !utf8.ValidString(userID):
		// JSON would carry U+FFFD instead of the bytes that were signed.
		return "", fmt.Errorf("%w: user id is not valid UTF-8", ErrInvalidArgument)
	case expireSeconds <= 0:
		return "", fmt.Errorf("%w: expiry %d is not positive", ErrInvalidArgument, expireSeconds)
	case now.Unix() <= 0:
		return "", fmt.Errorf("%w: issue time %v is not after 1970", ErrInvalidArgument, now)
	}
	t := &Ticket{
		Version:    version,
		Identifier: userID,
		SDKAppID:   sdkAppID,
		Time:       now.Unix(),
		Expire:     int64(expireSeconds),
		UserBuf:    userbuf,
	}
	t.Sig = t.mac(key)
	return t.encode(level)
}

// VerifyUserSig checks that sig is a UserSig for userID in application
// sdkAppID, signed with key and not expired at now (trtc-reference §6.2).
//
// The checks run in TLSSigAPIv2's order, so both report the same error for
// the same ticket: SDKAppID (ErrSDKAppIDMismatch), user (ErrIdentifierMismatch),
// expiry (ErrExpired), userbuf (ErrUserBufMismatch), then the HMAC
// (ErrBadSignature), compared in constant time. An undecodable ticket is
// ErrMalformed.
//
// Like TLSSigAPIv2's VerifyUserSig, it rejects a ticket that carries a
// userbuf: a PrivateMapKey is not a UserSig. Use VerifyUserSigWithBuf or
// ParsePrivateMapKey for those.
func VerifyUserSig(sdkAppID uint32, key, userID, sig string, now time.Time) error {
	return verify(sdkAppID, key, userID, sig, now, func(buf []byte) error {
		if buf != nil {
			return fmt.Errorf("%w: the ticket carries a userbuf (a PrivateMapKey is not a UserSig)", ErrUserBufMismatch)
		}
		return nil
	})
}

// VerifyUserSigWithBuf is VerifyUserSig for a ticket that must carry exactly
// userbuf, as made by GenUserSigWithBuf. A nil userbuf means the ticket must
// carry none, which is VerifyUserSig.
func VerifyUserSigWithBuf(sdkAppID uint32, key, userID, sig string, now time.Time, userbuf []byte) error {
	if userbuf == nil {
		return VerifyUserSig(sdkAppID, key, userID, sig, now)
	}
	return verify(sdkAppID, key, userID, sig, now, func(buf []byte) error {
		if buf == nil {
			return fmt.Errorf("%w: the ticket carries no userbuf", ErrUserBufMismatch)
		}
		if !bytes.Equal(buf, userbuf) {
			return fmt.Errorf("%w: the ticket carries another userbuf", ErrUserBufMismatch)
		}
		return nil
	})
}

// verify decodes sig and checks it against the expectations; checkBuf
// decides whether the ticket's userbuf is acceptable.
func verify(sdkAppID uint32, key, userID, sig string, now time.Time, checkBuf func([]byte) error) error {
	t, err := Decode(sig)
	if err != nil {
		return err
	}
	return t.verify(sdkAppID, key, userID, now, checkBuf)
}

func (t *Ticket) verify(sdkAppID uint32, key, userID string, now time.Time, checkBuf func([]byte) error) error {
	if key == "" {
		// An HMAC under the empty key is one anybody can compute.
		return fmt.Errorf("%w: empty key", ErrInvalidArgument)
	}
	if t.SDKAppID != sdkAppID {
		return fmt.Errorf("%w: the ticket is for %d, not %d", ErrSDKAppIDMismatch, t.SDKAppID, sdkAppID)
	}
	if t.Identifier != userID {
		return fmt.Errorf("%w: the ticket is for user %q, not %q", ErrIdentifierMismatch, t.Identifier, userID)
	}
	if t.expired(now) {
		return fmt.Errorf("%w at %s", ErrExpired, t.ExpiresAt().Format(time.RFC3339))
	}
	if err := checkBuf(t.UserBuf); err != nil {
		return err
	}
	if !hmac.Equal(t.mac(key), t.Sig) {
		return ErrBadSignature
	}
	return nil
}
