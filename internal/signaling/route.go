package signaling

import (
	"context"
	"errors"

	"github.com/rtcengine/rtcengine/internal/proto"
	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// Router decides which node serves a room's enters (the cluster layer; nil
// on a single node, where every room is local).
type Router interface {
	// Route returns the signaling URL of the room's owner when another node
	// owns it; otherwise the enter is served here and done must be called
	// once it has finished.
	Route(ctx context.Context, key trtc.RoomKey) (redirect string, done func(), err error)
}

// EnterRouter is a Router that also knows who enters: in a cluster, a LIVE
// room's audience may be served by a node that does not own the room (an
// edge, docs/cluster.md). A Router that implements it gets every enter
// through RouteEnter.
type EnterRouter interface {
	RouteEnter(ctx context.Context, key trtc.RoomKey, user trtc.UserID, scene trtc.Scene, role trtc.Role) (redirect string, done func(), err error)
}

// SetRouter routes enters through r. Call it before serving.
func (s *Server) SetRouter(r Router) { s.router = r }

// route applies the router to an enter that passed its checks. It returns
// false when the enter has been answered (redirected or refused); otherwise
// done must be called after the local enter.
func (s *Session) route(id uint32, key trtc.RoomKey, user trtc.UserID, scene trtc.Scene, role trtc.Role) (done func(), ok bool) {
	if s.srv.router == nil {
		return func() {}, true
	}
	var url string
	var err error
	if er, isEnter := s.srv.router.(EnterRouter); isEnter {
		url, done, err = er.RouteEnter(context.Background(), key, user, scene, role)
	} else {
		url, done, err = s.srv.router.Route(context.Background(), key)
	}
	if errors.Is(err, room.ErrRoomFull) { // a cluster-wide cap
		s.srv.metrics.Enter(trtc.ErrRoomFull)
		s.respond(id, trtc.ErrRoomFull, err.Error(), nil)
		return nil, false
	}
	if err != nil {
		s.srv.metrics.Enter(trtc.ErrServerOverloaded)
		s.respond(id, trtc.ErrServerOverloaded, "the room's node cannot be reached: "+err.Error(), nil)
		return nil, false
	}
	if url != "" {
		s.srv.metrics.Enter(proto.CodeRedirect)
		s.respond(id, proto.CodeRedirect, "the room is served by another node: enter there", proto.Redirect{URL: url})
		return nil, false
	}
	return done, true
}
