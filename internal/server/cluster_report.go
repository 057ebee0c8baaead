package server

import (
	"time"

	"github.com/rtcengine/rtcengine/internal/proto"
	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/signaling"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// reporting wraps the observers that report rooms to the app (webhooks,
// history): on a single node they hear every room event; in a cluster the
// node decides what its copy of a room reports (cluster.Node.Reporting:
// an edge's copy of a LIVE room reports only its own users, under the
// owner's room).
func (c clusterWiring) reporting(obs ...room.Observer) room.Observer {
	if c.node == nil {
		return room.Observers(obs)
	}
	return c.node.Reporting(room.Observers(obs))
}

// reports wraps the quality report sink the same way: an edge's users'
// samples go under the owner's room (its CommId).
func (c clusterWiring) reports(sink signaling.ReportSink) signaling.ReportSink {
	if c.node == nil {
		return sink
	}
	return clusterReports{node: c.node, next: sink}
}

type clusterReports struct {
	node interface {
		ReportedRoom(room.RoomInfo) room.RoomInfo
	}
	next signaling.ReportSink
}

func (r clusterReports) QualityReport(ri room.RoomInfo, session room.SessionID, user trtc.UserID, rep *proto.Report, at time.Time) {
	r.next.QualityReport(r.node.ReportedRoom(ri), session, user, rep, at)
}
