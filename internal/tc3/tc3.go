// Package tc3 implements TencentCloud API 3.0 request signing,
// TC3-HMAC-SHA256, for both sides: Sign for clients and tests, Verify for the
// REST edge (trtc-reference §7.1; TencentCloud "Signature v3",
// https://www.tencentcloud.com/document/api/213/33224).
//
// A signature covers the method, the query string (GET only), the headers
// the client lists in SignedHeaders (content-type and host at least), the
// SHA-256 of the body — or of the literal UNSIGNED-PAYLOAD when the client
// sends X-TC-Content-SHA256: UNSIGNED-PAYLOAD — and X-TC-Timestamp through
// the credential scope date/service/tc3_request.
package tc3

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Algorithm is the only signing algorithm of API 3.0 that this package speaks.
const Algorithm = "TC3-HMAC-SHA256"

// Service is the TencentCloud service name of TRTC; Verify accepts only
// credential scopes naming it.
const Service = "trtc"

// DefaultWindow is how far X-TC-Timestamp may be from the server's clock,
// in either direction, before the signature counts as expired.
const DefaultWindow = 5 * time.Minute

// UnsignedPayload is the X-TC-Content-SHA256 value with which a client asks
// that the body be left out of the signature.
const UnsignedPayload = "UNSIGNED-PAYLOAD"

// Header names used by the signature.
const (
	HeaderAuthorization = "Authorization"
	HeaderTimestamp     = "X-TC-Timestamp"
	HeaderContentSHA256 = "X-TC-Content-SHA256"
)

const (
	scopeTerminator = "tc3_request"
	dateLayout      = "2006-01-02"
)

// Credential is a TencentCloud API key pair.
type Credential struct {
	SecretID  string
	SecretKey string
}

// Sign signs req as the TencentCloud SDKs do: it sets Content-Type when
// unset (application/json, or application/x-www-form-urlencoded for GET),
// X-TC-Timestamp from ts, and Authorization over content-type and host.
// The host is req.Host, or req.URL.Host when that is empty. body must be the
// bytes that will be sent; it is ignored when req carries
// X-TC-Content-SHA256: UNSIGNED-PAYLOAD.
func Sign(req *http.Request, body []byte, cred Credential, service string, ts time.Time) {
	if req.Header == nil {
		req.Header = make(http.Header)
	}
	if req.Header.Get("Content-Type") == "" {
		ct := "application/json"
		if req.Method == http.MethodGet {
			ct = "application/x-www-form-urlencoded"
		}
		req.Header.Set("Content-Type", ct)
	}
	unix := ts.Unix()
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(unix, 10))

	p := Parsed{
		Algorithm:     Algorithm,
		SecretID:      cred.SecretID,
		Date:          scopeDate(unix),
		Service:       service,
		SignedHeaders: []string{"content-type", "host"},
	}
	mac := signature(cred.SecretKey, p, unix, canonicalRequest(req, body, p.SignedHeaders))
	p.Signature = hex.EncodeToString(mac)
	req.Header.Set(HeaderAuthorization, p.String())
}

// canonicalRequest builds the CanonicalRequest of §7.1 for the headers in
// signed, whose names are lower case.
func canonicalRequest(req *http.Request, body []byte, signed []string) string {
	var b strings.Builder
	b.WriteString(req.Method)
	b.WriteString("\n/\n")
	// The canonical URI is always "/" in API 3.0, whatever path the request
	// took. Only GET carries parameters in the query; the SDKs send exactly
	// the canonical query string as the URL's query, so it is used as sent.
	if req.Method == http.MethodGet && req.URL != nil {
		b.WriteString(req.URL.RawQuery)
	}
	b.WriteByte('\n')
	for _, name := range signed {
		b.WriteString(name)
		b.WriteByte(':')
		b.WriteString(headerValue(req, name))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(signed, ";"))
	b.WriteByte('\n')
	b.WriteString(payloadHash(req, body))
	return b.String()
}

// headerValue returns the canonical value of a signed header: the request's
// host for "host", otherwise the header's values, trimmed and joined by ",".
func headerValue(req *http.Request, name string) string {
	if name == "host" {
		if req.Host != "" {
			return strings.TrimSpace(req.Host)
		}
		if req.URL != nil {
			return strings.TrimSpace(req.URL.Host)
		}
		return ""
	}
	vals := req.Header.Values(name)
	switch len(vals) {
	case 0:
		return ""
	case 1:
		return strings.TrimSpace(vals[0])
	}
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = strings.TrimSpace(v)
	}
	return strings.Join(out, ",")
}

func payloadHash(req *http.Request, body []byte) string {
	if strings.TrimSpace(req.Header.Get(HeaderContentSHA256)) == UnsignedPayload {
		body = []byte(UnsignedPayload)
	}
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// signature derives the signing key from secretKey and the credential scope
// of p and returns HMAC-SHA256(kSigning, StringToSign).
func signature(secretKey string, p Parsed, unix int64, canonical string) []byte {
	sum := sha256.Sum256([]byte(canonical))
	stringToSign := Algorithm + "\n" +
		strconv.FormatInt(unix, 10) + "\n" +
		p.Scope() + "\n" +
		hex.EncodeToString(sum[:])

	k := hmacSHA256([]byte("TC3"+secretKey), p.Date)
	k = hmacSHA256(k, p.Service)
	k = hmacSHA256(k, scopeTerminator)
	return hmacSHA256(k, stringToSign)
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// scopeDate is the UTC date of a unix time as the credential scope spells it.
func scopeDate(unix int64) string {
	return time.Unix(unix, 0).UTC().Format(dateLayout)
}
