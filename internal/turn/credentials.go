package turn

import (
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // RFC 8489 long-term credentials and the TURN REST API use HMAC-SHA1
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// Credentials follow the TURN REST API convention
// (draft-uberti-behave-turn-rest-00 §2.2), which coturn's use-auth-secret
// also implements:
//
//	username   = "<expiry unix seconds>:<SDKAppID>:<userId>"
//	credential = base64(HMAC-SHA1(secret, username))
//
// The server hands them out only in the answer to an enter request, that is
// to a client whose UserSig it has just verified; the TURN server then
// checks them without any state. The user part (SDKAppID:userId) is what
// per-user allocation limits count.

// Credential is one TURN username and password pair.
type Credential struct {
	Username string
	Password string
	Expires  time.Time
}

// sign computes the password of a username.
func sign(secret, username string) string {
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte(username))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Issue returns a credential for user of app valid until expires.
func Issue(secret string, app trtc.SDKAppID, user trtc.UserID, expires time.Time) Credential {
	username := strconv.FormatInt(expires.Unix(), 10) + ":" + strconv.FormatUint(uint64(app), 10) + ":" + string(user)
	return Credential{Username: username, Password: sign(secret, username), Expires: time.Unix(expires.Unix(), 0)}
}

// ParseUsername splits a username made by Issue into its expiry and its
// user key ("SDKAppID:userId"). It rejects anything else, so that a username
// from another scheme cannot slip through with a partial parse.
func ParseUsername(username string) (expires time.Time, user string, err error) {
	exp, rest, ok := strings.Cut(username, ":")
	if !ok {
		return time.Time{}, "", fmt.Errorf("%w: no expiry", ErrBadUsername)
	}
	sec, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || sec <= 0 || exp[0] == '+' || exp[0] == '0' {
		return time.Time{}, "", fmt.Errorf("%w: expiry %.20q is not a positive number", ErrBadUsername, exp)
	}
	app, uid, ok := strings.Cut(rest, ":")
	if !ok {
		return time.Time{}, "", fmt.Errorf("%w: no SDKAppID", ErrBadUsername)
	}
	if n, err := strconv.ParseUint(app, 10, 32); err != nil || n == 0 || app[0] == '+' || app[0] == '0' {
		return time.Time{}, "", fmt.Errorf("%w: SDKAppID %.20q", ErrBadUsername, app)
	}
	if err := trtc.ValidateUserID(uid); err != nil {
		return time.Time{}, "", fmt.Errorf("%w: %v", ErrBadUsername, err)
	}
	return time.Unix(sec, 0), rest, nil
}
