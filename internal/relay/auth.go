package relay

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// Authentication of relay requests. The edge signs each request with the
// cluster secret shared by every node:
//
//	signature = hex(HMAC-SHA256(secret, "rtcengine-relay/1\n" + node + "\n" +
//	                                    room + "\n" + unix seconds + "\n" + nonce))
//
// and sends node, time, nonce and signature as headers. The origin accepts
// a request whose time is within MaxClockSkew of its own clock and whose
// nonce it has not seen within the window, so a captured request can
// neither be replayed nor kept for later.
const (
	// MinSecretLen is the shortest cluster secret accepted, in bytes.
	MinSecretLen = 16
	// MaxClockSkew is how far a request's timestamp may be from the
	// origin's clock.
	MaxClockSkew = 30 * time.Second
	// MaxNonces bounds the replay cache. Nonces expire after twice
	// MaxClockSkew; a flood beyond this many in that time is refused.
	MaxNonces = 100_000
	// MaxNodeIDLen bounds a node id (1..64 of [A-Za-z0-9._-]).
	MaxNodeIDLen = 64

	HeaderNode      = "Rtcengine-Relay-Node"
	HeaderTime      = "Rtcengine-Relay-Time"
	HeaderNonce     = "Rtcengine-Relay-Nonce"
	HeaderSignature = "Rtcengine-Relay-Signature"

	signPrefix = "rtcengine-relay/1\n"
	nonceBytes = 16
)

// sign computes a request's signature.
func sign(secret []byte, node, room string, unix int64, nonce string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(signPrefix + node + "\n" + room + "\n" + strconv.FormatInt(unix, 10) + "\n" + nonce))
	return hex.EncodeToString(m.Sum(nil))
}

// signHeaders returns the authentication headers of a request from node
// for room at now, with a fresh nonce.
func signHeaders(secret []byte, node string, room trtc.RoomKey, now time.Time) http.Header {
	var b [nonceBytes]byte
	_, _ = rand.Read(b[:])
	nonce := hex.EncodeToString(b[:])
	unix := now.Unix()
	h := http.Header{}
	h.Set(HeaderNode, node)
	h.Set(HeaderTime, strconv.FormatInt(unix, 10))
	h.Set(HeaderNonce, nonce)
	h.Set(HeaderSignature, sign(secret, node, room.String(), unix, nonce))
	return h
}

// credentials are the parsed authentication headers.
type credentials struct {
	node, nonce, sig string
	unix             int64
}

// parseCredentials checks the headers' formats.
func parseCredentials(h http.Header) (credentials, error) {
	var c credentials
	c.node, c.nonce, c.sig = h.Get(HeaderNode), h.Get(HeaderNonce), h.Get(HeaderSignature)
	ts := h.Get(HeaderTime)
	if c.node == "" || c.nonce == "" || c.sig == "" || ts == "" {
		return c, ErrAuthMissing
	}
	if err := ValidateNodeID(c.node); err != nil {
		return c, err
	}
	if !isHex(c.nonce, 2*nonceBytes) {
		return c, fmt.Errorf("%w: nonce is not %d hex digits", ErrAuthMalformed, 2*nonceBytes)
	}
	if !isHex(c.sig, 2*sha256.Size) {
		return c, fmt.Errorf("%w: signature is not %d hex digits", ErrAuthMalformed, 2*sha256.Size)
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(ts) > 12 {
		return c, fmt.Errorf("%w: time is not unix seconds", ErrAuthMalformed)
	}
	c.unix = unix
	return c, nil
}

// ValidateNodeID checks a node id: 1..MaxNodeIDLen bytes of [A-Za-z0-9._-].
func ValidateNodeID(s string) error {
	if s == "" || len(s) > MaxNodeIDLen {
		return fmt.Errorf("%w: node id must be 1..%d bytes", ErrAuthMalformed, MaxNodeIDLen)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("%w: node id has a character outside [A-Za-z0-9._-]", ErrAuthMalformed)
		}
	}
	return nil
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// verifier checks signed requests and remembers their nonces.
type verifier struct {
	secret []byte
	now    func() time.Time

	mu   sync.Mutex
	seen map[string]int64 // nonce → unix second it expires
}

func newVerifier(secret []byte, now func() time.Time) *verifier {
	return &verifier{secret: secret, now: now, seen: map[string]int64{}}
}

// verify authenticates a request for room and returns the calling node.
func (v *verifier) verify(h http.Header, room string) (string, error) {
	c, err := parseCredentials(h)
	if err != nil {
		return "", err
	}
	want := sign(v.secret, c.node, room, c.unix, c.nonce)
	if !hmac.Equal([]byte(want), []byte(c.sig)) {
		return c.node, ErrAuthForged
	}
	now := v.now().Unix()
	skew := int64(MaxClockSkew / time.Second)
	if c.unix < now-skew || c.unix > now+skew {
		return c.node, ErrAuthStale
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if _, dup := v.seen[c.nonce]; dup {
		return c.node, ErrAuthReplay
	}
	if len(v.seen) >= MaxNonces/2 {
		for n, exp := range v.seen {
			if exp < now {
				delete(v.seen, n)
			}
		}
	}
	if len(v.seen) >= MaxNonces {
		return c.node, fmt.Errorf("%w: replay cache full", ErrAuthReplay)
	}
	v.seen[c.nonce] = now + 2*skew
	return c.node, nil
}

// ParseRoomKey parses RoomKey.String(): "<sdkappid>/<roomId>" or
// "<sdkappid>/s:<strRoomId>".
func ParseRoomKey(s string) (trtc.RoomKey, error) {
	app, id, ok := strings.Cut(s, "/")
	if !ok {
		return trtc.RoomKey{}, fmt.Errorf("%w: %q", ErrBadRoom, s)
	}
	a, err := strconv.ParseUint(app, 10, 32)
	if err != nil || a == 0 {
		return trtc.RoomKey{}, fmt.Errorf("%w: sdkappid in %q", ErrBadRoom, s)
	}
	var k trtc.RoomKey
	if str, isStr := strings.CutPrefix(id, "s:"); isStr {
		k, err = trtc.NewRoomKey(trtc.SDKAppID(a), 0, str)
	} else {
		n, perr := strconv.ParseUint(id, 10, 64)
		if perr != nil || n == 0 {
			return trtc.RoomKey{}, fmt.Errorf("%w: room id in %q", ErrBadRoom, s)
		}
		k, err = trtc.NewRoomKey(trtc.SDKAppID(a), n, "")
	}
	if err != nil {
		return trtc.RoomKey{}, fmt.Errorf("%w: %w", ErrBadRoom, err)
	}
	return k, nil
}
