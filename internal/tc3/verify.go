package tc3

import (
	"crypto/hmac"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Verify checks the TC3-HMAC-SHA256 signature of req, whose body has already
// been read into body, for service "trtc". lookup returns the SecretKey of a
// SecretId. window bounds |now − X-TC-Timestamp|; zero or less means
// DefaultWindow.
//
// The checks run in the order TencentCloud reports them, and each error
// wraps one sentinel: ErrMethod, ErrInvalidAuthorization (header missing or
// malformed), ErrSecretIDNotFound, ErrTimestamp, ErrSignatureExpire, then
// ErrSignatureFailure (scope date is not the timestamp's UTC date, scope
// service is not trtc, or the signature differs). Canonical headers are built
// from the request's own values of the headers the client declares in
// SignedHeaders.
//
// secretID is the SecretId the request claims once the header has parsed,
// even on error, so that failures can be logged; it is authenticated only
// when err is nil.
func Verify(req *http.Request, body []byte, lookup func(secretID string) (secretKey string, ok bool), now time.Time, window time.Duration) (secretID string, err error) {
	if req.Method != http.MethodPost && req.Method != http.MethodGet {
		return "", fmt.Errorf("%w: method %q", ErrMethod, req.Method)
	}
	auth := req.Header.Values(HeaderAuthorization)
	switch len(auth) {
	case 0:
		return "", fmt.Errorf("%w: header missing", ErrInvalidAuthorization)
	case 1:
	default:
		return "", fmt.Errorf("%w: header repeated", ErrInvalidAuthorization)
	}
	p, err := ParseAuthorization(auth[0])
	if err != nil {
		return "", err
	}
	key, ok := lookup(p.SecretID)
	if !ok {
		return p.SecretID, ErrSecretIDNotFound
	}

	unix, err := parseTimestamp(req.Header.Get(HeaderTimestamp))
	if err != nil {
		return p.SecretID, err
	}
	if window <= 0 {
		window = DefaultWindow
	}
	if skew := now.Sub(time.Unix(unix, 0)); skew > window || skew < -window {
		return p.SecretID, fmt.Errorf("%w: timestamp %d is %s from server time", ErrSignatureExpire, unix, skew.Round(time.Second))
	}

	if p.Service != Service {
		return p.SecretID, fmt.Errorf("%w: credential scope names service %q, not %q", ErrSignatureFailure, p.Service, Service)
	}
	if want := scopeDate(unix); p.Date != want {
		return p.SecretID, fmt.Errorf("%w: credential scope date %s is not the UTC date %s of X-TC-Timestamp", ErrSignatureFailure, p.Date, want)
	}
	got, err := hex.DecodeString(p.Signature)
	if err != nil { // ParseAuthorization already checked; kept for safety
		return p.SecretID, fmt.Errorf("%w: signature is not hex", ErrSignatureFailure)
	}
	want := signature(key, p, unix, canonicalRequest(req, body, p.SignedHeaders))
	if !hmac.Equal(got, want) {
		return p.SecretID, ErrSignatureFailure
	}
	return p.SecretID, nil
}

// parseTimestamp accepts a non-negative decimal unix time of at most 12
// digits (beyond the year 33000), as the SDKs send it.
func parseTimestamp(s string) (int64, error) {
	if s == "" {
		return 0, fmt.Errorf("%w: header missing", ErrTimestamp)
	}
	if len(s) > 12 {
		return 0, fmt.Errorf("%w: %q is too long", ErrTimestamp, s)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("%w: %q is not a decimal unix time", ErrTimestamp, s)
		}
	}
	return strconv.ParseInt(s, 10, 64)
}
