package cluster

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Internal calls between nodes carry these headers. The signature is
// HMAC-SHA256 with the cluster secret over the method, path, time, nonce,
// calling node and the body's SHA-256, so nothing of the call can be changed
// without the secret.
const (
	headerNode  = "X-Rtcengine-Node"
	headerTime  = "X-Rtcengine-Time" // Unix milliseconds
	headerNonce = "X-Rtcengine-Nonce"
	headerSig   = "X-Rtcengine-Signature"
)

// Limits of internal call authentication.
const (
	// ReplayWindow: a call whose time is further than this from the
	// receiver's clock is refused; within it, each nonce is accepted once.
	ReplayWindow = 30 * time.Second
	// maxNonces bounds the remembered nonces (calls within one window).
	maxNonces = 100000
)

func signCall(secret []byte, method, path, node, ts, nonce string, body []byte) string {
	sum := sha256.Sum256(body)
	mac := hmac.New(sha256.New, secret)
	fmt.Fprintf(mac, "rtcengine-internal\n%s\n%s\n%s\n%s\n%s\n", method, path, ts, nonce, node)
	mac.Write([]byte(hex.EncodeToString(sum[:])))
	return hex.EncodeToString(mac.Sum(nil))
}

// sign adds the authentication headers to an internal call.
func sign(req *http.Request, secret []byte, from NodeID, body []byte, now time.Time) {
	nonce := make([]byte, 16)
	_, _ = rand.Read(nonce)
	ts := strconv.FormatInt(now.UnixMilli(), 10)
	n := hex.EncodeToString(nonce)
	req.Header.Set(headerNode, string(from))
	req.Header.Set(headerTime, ts)
	req.Header.Set(headerNonce, n)
	req.Header.Set(headerSig, signCall(secret, req.Method, req.URL.Path, string(from), ts, n, body))
}

// verifier checks internal calls and remembers nonces to refuse replays.
type verifier struct {
	secret []byte
	mu     sync.Mutex
	seen   map[string]time.Time // nonce → when it may be forgotten
}

func newVerifier(secret []byte) *verifier {
	return &verifier{secret: secret, seen: make(map[string]time.Time)}
}

// verify returns nil for an authentic, fresh, first-seen call.
func (v *verifier) verify(r *http.Request, body []byte, now time.Time) error {
	node, ts, nonce, sig := r.Header.Get(headerNode), r.Header.Get(headerTime), r.Header.Get(headerNonce), r.Header.Get(headerSig)
	if node == "" || ts == "" || len(nonce) != 32 || sig == "" {
		return fmt.Errorf("%w: missing headers", ErrUnauthorized)
	}
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: bad time", ErrUnauthorized)
	}
	at := time.UnixMilli(ms)
	if at.Before(now.Add(-ReplayWindow)) || at.After(now.Add(ReplayWindow)) {
		return fmt.Errorf("%w: time outside the replay window", ErrUnauthorized)
	}
	want := signCall(v.secret, r.Method, r.URL.Path, node, ts, nonce, body)
	if !hmac.Equal([]byte(want), []byte(sig)) {
		return fmt.Errorf("%w: bad signature", ErrUnauthorized)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if _, dup := v.seen[nonce]; dup {
		return fmt.Errorf("%w: replayed nonce", ErrUnauthorized)
	}
	if len(v.seen) >= maxNonces {
		for k, until := range v.seen {
			if now.After(until) {
				delete(v.seen, k)
			}
		}
		if len(v.seen) >= maxNonces {
			return fmt.Errorf("%w: too many calls in the replay window", ErrUnauthorized)
		}
	}
	v.seen[nonce] = at.Add(2 * ReplayWindow)
	return nil
}
