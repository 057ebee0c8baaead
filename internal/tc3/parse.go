package tc3

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Bounds on what ParseAuthorization accepts; real headers are ~200 bytes
// with two signed headers.
const (
	maxAuthorizationLen = 4096
	maxSignedHeaders    = 32
)

// Parsed is an Authorization header of the form
//
//	TC3-HMAC-SHA256 Credential=<SecretId>/<Date>/<Service>/tc3_request, SignedHeaders=<h1;h2>, Signature=<hex>
//
// The timestamp is not part of the header; it travels in X-TC-Timestamp.
type Parsed struct {
	Algorithm     string   // always Algorithm
	SecretID      string   // the claimed key id; not yet authenticated
	Date          string   // credential scope date, YYYY-MM-DD
	Service       string   // credential scope service, e.g. "trtc"
	SignedHeaders []string // lower-case header names in the client's order
	Signature     string   // 64 hex digits as the client wrote them
}

// Scope returns the credential scope, "<Date>/<Service>/tc3_request".
func (p Parsed) Scope() string {
	return p.Date + "/" + p.Service + "/" + scopeTerminator
}

// String formats p as an Authorization header value.
func (p Parsed) String() string {
	return p.Algorithm + " Credential=" + p.SecretID + "/" + p.Scope() +
		", SignedHeaders=" + strings.Join(p.SignedHeaders, ";") +
		", Signature=" + p.Signature
}

// ParseAuthorization parses a TC3-HMAC-SHA256 Authorization header value.
// Every error wraps ErrInvalidAuthorization. Besides the syntax it requires
// that SignedHeaders name content-type and host, in lower case, and that the
// signature be 64 hex digits; whether the scope matches the request is
// Verify's business.
func ParseAuthorization(h string) (Parsed, error) {
	if len(h) > maxAuthorizationLen {
		return Parsed{}, invalid("header longer than %d bytes", maxAuthorizationLen)
	}
	alg, rest, ok := strings.Cut(h, " ")
	if !ok || alg != Algorithm {
		return Parsed{}, invalid("algorithm is not %s", Algorithm)
	}
	var cred, signed, sig string
	var seen [3]bool
	for part := range strings.SplitSeq(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return Parsed{}, invalid("element %q is not key=value", part)
		}
		var i int
		switch strings.TrimSpace(k) {
		case "Credential":
			i, cred = 0, strings.TrimSpace(v)
		case "SignedHeaders":
			i, signed = 1, strings.TrimSpace(v)
		case "Signature":
			i, sig = 2, strings.TrimSpace(v)
		default:
			return Parsed{}, invalid("unknown element %q", k)
		}
		if seen[i] {
			return Parsed{}, invalid("element %q repeated", k)
		}
		seen[i] = true
	}
	if !seen[0] || !seen[1] || !seen[2] {
		return Parsed{}, invalid("Credential, SignedHeaders and Signature are all required")
	}

	p := Parsed{Algorithm: alg, Signature: sig}
	if err := p.parseCredential(cred); err != nil {
		return Parsed{}, err
	}
	if err := p.parseSignedHeaders(signed); err != nil {
		return Parsed{}, err
	}
	if len(sig) != 64 || !isHex(sig) {
		return Parsed{}, invalid("Signature is not 64 hex digits")
	}
	return p, nil
}

func (p *Parsed) parseCredential(cred string) error {
	parts := strings.Split(cred, "/")
	if len(parts) != 4 {
		return invalid("Credential is not SecretId/Date/Service/tc3_request")
	}
	id, date, service, term := parts[0], parts[1], parts[2], parts[3]
	if id == "" || !isPrintable(id) {
		return invalid("SecretId is empty or has spaces or control characters")
	}
	if d, err := time.Parse(dateLayout, date); err != nil || d.Format(dateLayout) != date {
		return invalid("credential date %q is not YYYY-MM-DD", date)
	}
	if service == "" || !isPrintable(service) {
		return invalid("credential service is empty or malformed")
	}
	if term != scopeTerminator {
		return invalid("credential scope does not end in %s", scopeTerminator)
	}
	p.SecretID, p.Date, p.Service = id, date, service
	return nil
}

func (p *Parsed) parseSignedHeaders(s string) error {
	names := strings.Split(s, ";")
	if len(names) > maxSignedHeaders {
		return invalid("more than %d SignedHeaders", maxSignedHeaders)
	}
	for _, n := range names {
		if !isHeaderName(n) {
			return invalid("SignedHeaders entry %q is not a lower-case header name", n)
		}
	}
	if !slices.Contains(names, "content-type") || !slices.Contains(names, "host") {
		return invalid("SignedHeaders must include content-type and host")
	}
	p.SignedHeaders = names
	return nil
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidAuthorization}, args...)...)
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// isPrintable reports whether s is printable ASCII without space or comma,
// so that it survives a round trip through the header syntax.
func isPrintable(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || c == ',' {
			return false
		}
	}
	return true
}

func isHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}
