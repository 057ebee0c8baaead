package server

import (
	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/trtc"
	"github.com/rtcengine/rtcengine/internal/whip"
)

// newWHIP builds the WHIP/WHEP endpoints over the server's rooms, media and
// apps (docs/whip-whep.md).
func (s *Server) newWHIP(clock room.Clock) *whip.Handler {
	return whip.New(whip.Config{
		Rooms:          s.rooms,
		Media:          s.media,
		Apps:           whipApps{s.apps},
		Log:            s.log,
		Clock:          clock,
		ConnectTimeout: s.cfg.Limits.WHIPConnectTimeout,
	})
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
