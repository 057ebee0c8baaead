package server

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/trtc"
	"github.com/rtcengine/rtcengine/internal/whip"
	"github.com/rtcengine/rtcengine/usersig"
)

// newWHIP builds the WHIP/WHEP endpoints over the server's rooms, media and
// apps (docs/whip-whep.md).
func (s *Server) newWHIP(clock room.Clock) *whip.Handler {
	return whip.New(whip.Config{
		Rooms:          s.rooms,
		Media:          s.media,
		Router:         s.whipRouter(), // cluster.go
		Apps:           whipApps{s.apps},
		Log:            s.log,
		Clock:          clock,
		ConnectTimeout: s.cfg.Limits.WHIPConnectTimeout,
		ICEServers: func(app trtc.SDKAppID, user trtc.UserID, host string) []whip.ICEServer {
			var out []whip.ICEServer
			for _, x := range s.ICEServers(app, user, host) {
				out = append(out, whip.ICEServer{URLs: x.URLs, Username: x.Username, Credential: x.Credential})
			}
			return out
		},
	})
}

// whipRoutes mounts the endpoints and, on development servers, the token
// the WHIP and WHEP pages fetch.
func (s *Server) whipRoutes(mux *http.ServeMux) {
	s.whip.Register(mux)
	if s.cfg.Dev {
		mux.HandleFunc("GET /dev/privatemapkey", s.handleDevPrivateMapKey)
	}
}

// whipApps adapts the app table to the WHIP edge.
type whipApps struct{ t appTable }

func (a whipApps) Lookup(id trtc.SDKAppID) (whip.App, bool) {
	app, ok := a.t.byID[id]
	if !ok {
		return whip.App{}, false
	}
	return whip.App{SDKAppID: id, Secret: app.SDKSecret, PrivilegeCheck: app.PrivilegeCheck}, true
}

// handleDevPrivateMapKey issues a PrivateMapKey with every privilege for
// userId in roomId or strRoomId of the first app (or sdkAppId): the WHIP
// and WHEP token. Like /dev/usersig it exists only in development mode.
func (s *Server) handleDevPrivateMapKey(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	q := r.URL.Query()
	refuse := func(status, code int, msg string) {
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]any{"code": code, "message": msg})
	}
	user := q.Get("userId")
	if err := trtc.ValidateUserID(user); err != nil {
		refuse(http.StatusBadRequest, trtc.ErrInvalidUserID, err.Error())
		return
	}
	app := s.cfg.Apps[0]
	if v := q.Get("sdkAppId"); v != "" {
		id, err := strconv.ParseUint(v, 10, 32)
		a, ok := s.cfg.App(uint32(id))
		if err != nil || !ok {
			refuse(http.StatusNotFound, trtc.ErrSDKAppIDServer, "unknown sdkAppId")
			return
		}
		app = a
	}
	num, _ := strconv.ParseUint(q.Get("roomId"), 10, 64)
	key, err := trtc.NewRoomKey(trtc.SDKAppID(app.SDKAppID), num, q.Get("strRoomId"))
	if err != nil {
		refuse(http.StatusBadRequest, trtc.ErrInvalidRoomID, err.Error())
		return
	}
	const expire = 86400
	var pmk string
	if key.IsStr() {
		pmk, err = usersig.GenPrivateMapKeyWithStringRoomID(app.SDKAppID, app.SDKSecret, user, expire, key.Str, usersig.PrivAll)
	} else {
		pmk, err = usersig.GenPrivateMapKey(app.SDKAppID, app.SDKSecret, user, expire, key.Num, usersig.PrivAll)
	}
	if err != nil {
		refuse(http.StatusInternalServerError, trtc.ErrFailed, err.Error())
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"sdkAppId": app.SDKAppID, "userId": user, "privateMapKey": pmk, "expire": expire})
}
