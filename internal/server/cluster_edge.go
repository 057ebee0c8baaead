package server

import (
	"context"
	"net/http"

	"github.com/rtcengine/rtcengine/internal/cluster"
	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// wireEdges turns on LIVE rooms across nodes in cluster mode
// (docs/cluster.md): audience enters may be served by nodes that mirror the
// room from its owner over the relay, within the node's user cap.
func (s *Server) wireEdges(mux *http.ServeMux) {
	node := s.cluster.node
	err := node.EnableEdges(cluster.EdgeConfig{
		Host:        edgeHost{s},
		MaxUsers:    s.cfg.Cluster.MaxUsers,
		MaxAudience: s.rooms.Config().LiveMaxAudience,
	})
	if err != nil {
		s.log.Warn("cluster: LIVE rooms across nodes are off", "err", err)
		return
	}
	mux.Handle("POST "+cluster.ReplacePath, node.ReplaceHandler())
}

// edgeHost is what the cluster's edges need from this server.
type edgeHost struct{ s *Server }

func (h edgeHost) Pull(ctx context.Context, ownerURL string, key trtc.RoomKey) (cluster.Mirror, error) {
	m, err := h.s.PullRoom(ctx, ownerURL, key)
	if err != nil {
		return nil, err
	}
	return m, nil
}

func (h edgeHost) Replace(key trtc.RoomKey, user trtc.UserID, session string) error {
	return h.s.rooms.ReplaceSession(key, user, room.SessionID(session))
}

func (h edgeHost) Users() int {
	_, users := h.s.rooms.Stats()
	return users
}
