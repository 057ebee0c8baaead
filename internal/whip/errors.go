package whip

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// ErrBadFragment wraps every reason ParseFragment refuses a body.
var ErrBadFragment = errors.New("whip: malformed trickle-ice-sdpfrag")

// ErrBadOffer wraps every reason an offer is refused before it reaches the
// media engine.
var ErrBadOffer = errors.New("whip: unusable SDP offer")

// httpError is an answer the edge gives instead of a resource: an HTTP
// status, the TRTC code that names the same failure, and a reason.
type httpError struct {
	status int
	code   int    // TRTC error code (trtc-reference §5)
	msg    string // the reason, for people
	// bearer is the RFC 6750 error attribute of a 401's challenge:
	// "" when the request had no token, "invalid_token" otherwise.
	bearer string
	// location is the Location of a redirect (route.go).
	location string
}

func (e *httpError) Error() string {
	return fmt.Sprintf("%d %s (TRTC code %d)", e.status, e.msg, e.code)
}

func fail(status, code int, format string, args ...any) *httpError {
	return &httpError{status: status, code: code, msg: fmt.Sprintf(format, args...)}
}

func unauthorized(code int, format string, args ...any) *httpError {
	e := fail(http.StatusUnauthorized, code, format, args...)
	e.bearer = "invalid_token"
	return e
}

// write sends the error as text/plain, with the TRTC code in a header too
// and, for 401, a Bearer challenge (RFC 6750 §3).
func (e *httpError) write(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-TRTC-Code", strconv.Itoa(e.code))
	if e.location != "" {
		h.Set("Location", e.location)
	}
	if e.status == http.StatusUnauthorized {
		challenge := `Bearer realm="rtcengine"`
		if e.bearer != "" {
			challenge += `, error="` + e.bearer + `", error_description="` + quotable(e.msg) + `"`
		}
		h.Set("WWW-Authenticate", challenge)
	}
	w.WriteHeader(e.status)
	fmt.Fprintf(w, "%s (TRTC code %d)\n", e.msg, e.code)
}

// quotable keeps what RFC 6750 allows in error_description: printable
// ASCII except '"' and '\'.
func quotable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return '?'
		}
		return r
	}, s)
}
