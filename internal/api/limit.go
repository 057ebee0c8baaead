package api

import (
	"net"
	"net/http"
)

// API 3.0's frequency-limit codes (trtc-reference §7.2): TencentCloud
// answers RequestLimitExceeded when a caller exceeds its rate, and
// RequestLimitExceeded.IPLimitExceeded when one source address does.
const (
	CodeRequestLimitExceeded = "RequestLimitExceeded"
	CodeIPLimitExceeded      = "RequestLimitExceeded.IPLimitExceeded"
)

// Limiter throttles calls (the server's protection limits,
// docs/deployment.md). Either method may be asked concurrently.
type Limiter interface {
	// AllowIP is asked for every request before its body is read or its
	// signature checked, so that a flood costs little.
	AllowIP(ip string) bool
	// AllowSecretID is asked once the signature is verified.
	AllowSecretID(secretID string) bool
}

// allowIP applies the per-address limit.
func (h *Handler) allowIP(r *http.Request) *Error {
	if h.limiter == nil {
		return nil
	}
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	if !h.limiter.AllowIP(ip) {
		return Errorf(CodeIPLimitExceeded, "Too many requests from your address; retry later.")
	}
	return nil
}

// allowSecretID applies the per-SecretId limit.
func (h *Handler) allowSecretID(id string) *Error {
	if h.limiter == nil || h.limiter.AllowSecretID(id) {
		return nil
	}
	return Errorf(CodeRequestLimitExceeded, "The request rate of this SecretId exceeds its limit; retry later.")
}
