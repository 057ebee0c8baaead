package whip

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rtcengine/rtcengine/internal/trtc"
	"github.com/rtcengine/rtcengine/usersig"
)

// App is what the endpoints need to know about an application.
type App struct {
	SDKAppID       trtc.SDKAppID
	Secret         string // SDKSecretKey: verifies the tokens
	PrivilegeCheck bool   // "advanced permission control": enforce the token's privilege bits
}

// Apps finds applications by SDKAppID.
type Apps interface {
	Lookup(id trtc.SDKAppID) (App, bool)
}

// grant is a verified token: who may do what, where.
type grant struct {
	token string
	app   App
	user  trtc.UserID
	room  trtc.RoomKey
	// privileges are the token's bits when the app enforces them, else nil
	// (the room service then checks nothing).
	privileges *uint32
}

// bearer extracts the token of an "Authorization: Bearer" header
// (RFC 6750 §2.1); ok is false when there is none.
func bearer(r *http.Request) (string, bool) {
	scheme, token, found := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// authorize verifies the request's token. The token is a PrivateMapKey
// (TLSSigAPIv2 genPrivateMapKey / genPrivateMapKeyWithStringRoomID): a
// UserSig whose userbuf binds it to one room and carries privilege bits.
// The ticket names the app and the user; its userbuf names the room. The
// optional query parameters sdkAppId, userId, roomId and strRoomId must
// agree with the token when present.
func authorize(r *http.Request, apps Apps, now time.Time) (*grant, *httpError) {
	token, ok := bearer(r)
	if !ok {
		return nil, fail(http.StatusUnauthorized, trtc.ErrInvalidUserSig, "missing \"Authorization: Bearer <PrivateMapKey>\"")
	}
	if len(token) > usersig.MaxTicketLen {
		return nil, unauthorized(trtc.ErrUserSigCheckFailed, "token longer than %d bytes", usersig.MaxTicketLen)
	}
	t, err := usersig.Decode(token)
	if err != nil {
		return nil, unauthorized(trtc.ErrUserSigCheckFailed, "token is not a UserSig/PrivateMapKey: %v", err)
	}
	app, ok := apps.Lookup(trtc.SDKAppID(t.SDKAppID))
	if !ok {
		return nil, unauthorized(trtc.ErrSDKAppIDServer, "the token's sdkAppId %d is not configured on this server", t.SDKAppID)
	}
	pm, err := usersig.ParsePrivateMapKey(t.SDKAppID, app.Secret, t.Identifier, token, now)
	switch {
	case errors.Is(err, usersig.ErrExpired), errors.Is(err, usersig.ErrPrivateMapKeyExpired):
		return nil, unauthorized(trtc.ErrUserSigCheckFailed, "token expired")
	case errors.Is(err, usersig.ErrUserBufMismatch):
		return nil, unauthorized(trtc.ErrInvalidPrivateMapKey, "token is a plain UserSig: use a PrivateMapKey, which binds the user to a room")
	case err != nil:
		return nil, unauthorized(trtc.ErrUserSigCheckFailed, "token rejected: %v", err)
	}
	if err := trtc.ValidateUserID(pm.UserID); err != nil {
		return nil, unauthorized(trtc.ErrInvalidUserID, "the token's userId: %v", err)
	}
	var key trtc.RoomKey
	if pm.Version == usersig.PrivateMapStringRoom {
		key, err = trtc.NewRoomKey(app.SDKAppID, 0, pm.StrRoomID)
	} else {
		key, err = trtc.NewRoomKey(app.SDKAppID, uint64(pm.RoomID), "")
	}
	if err != nil {
		return nil, unauthorized(trtc.ErrInvalidRoomID, "the token's room: %v", err)
	}
	g := &grant{token: token, app: app, user: trtc.UserID(pm.UserID), room: key}
	if herr := g.matchQuery(r.URL.Query()); herr != nil {
		return nil, herr
	}
	if app.PrivilegeCheck {
		bits := pm.Privileges
		g.privileges = &bits
	}
	return g, nil
}

// matchQuery checks the optional identity parameters against the token.
func (g *grant) matchQuery(q url.Values) *httpError {
	if v := q.Get("sdkAppId"); v != "" {
		id, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return fail(http.StatusBadRequest, trtc.ErrInvalidSDKAppID, "sdkAppId %.20q is not a number", v)
		}
		if trtc.SDKAppID(id) != g.app.SDKAppID {
			return unauthorized(trtc.ErrUserSigCheckFailed, "the token is for sdkAppId %d, not %d", g.app.SDKAppID, id)
		}
	}
	if v := q.Get("userId"); v != "" && trtc.UserID(v) != g.user {
		return unauthorized(trtc.ErrUserSigCheckFailed, "the token is for userId %q, not %.40q", g.user, v)
	}
	num, str := q.Get("roomId"), q.Get("strRoomId")
	if num == "" && str == "" {
		return nil
	}
	var n uint64
	if num != "" {
		var err error
		if n, err = strconv.ParseUint(num, 10, 64); err != nil {
			return fail(http.StatusBadRequest, trtc.ErrInvalidRoomID, "roomId %.20q is not a number", num)
		}
	}
	key, err := trtc.NewRoomKey(g.app.SDKAppID, n, str)
	if err != nil {
		return fail(http.StatusBadRequest, trtc.ErrInvalidRoomID, "%v", err)
	}
	if key != g.room {
		return unauthorized(trtc.ErrInvalidPrivateMapKey, "the token is for room %s, not %s", g.room.ID(), key.ID())
	}
	return nil
}

// sameToken reports whether a later request (PATCH, DELETE) that carries a
// token carries the resource's own. Requests without one are let through:
// the resource URL, unguessable and known only to its creator, is the
// capability.
func sameToken(r *http.Request, want string) bool {
	if r.Header.Get("Authorization") == "" {
		return true
	}
	got, ok := bearer(r)
	return ok && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}
