package signaling

import (
	"fmt"
	"time"

	"github.com/rtcengine/rtcengine/internal/proto"
	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// ReportSink keeps the quality reports of members (the history store).
// QualityReport is called on the reporting connection's reader goroutine;
// it must not block.
type ReportSink interface {
	QualityReport(r room.RoomInfo, session room.SessionID, user trtc.UserID, rep *proto.Report, at time.Time)
}

// SetReports hands quality reports to sink. Call it before serving; without
// it reports are checked and discarded.
func (s *Server) SetReports(sink ReportSink) { s.reports = sink }

// handleReport takes an SDK's quality report (proto.TypeReport). Malformed
// or out-of-range reports are strikes; reports from a connection that is
// not in a room, or sooner than MinReportInterval after the previous one,
// are ignored: they are best effort, and an SDK may race its exit.
func (s *Session) handleReport(msg proto.Message) {
	if len(msg.Data) > proto.MaxReportBytes {
		s.strike(msg.ID, trtc.ErrInvalidParameter, fmt.Sprintf("report larger than %d bytes", proto.MaxReportBytes))
		return
	}
	var rep proto.Report
	if err := proto.DecodeData(msg, &rep); err != nil {
		s.strike(msg.ID, trtc.ErrJSONDecode, err.Error())
		return
	}
	if err := rep.Validate(trtc.ValidateUserID); err != nil {
		s.strike(msg.ID, trtc.ErrInvalidParameter, err.Error())
		return
	}
	defer func() {
		if msg.ID != 0 {
			s.respond(msg.ID, 0, "", nil)
		}
	}()
	ms := s.cur.Load()
	if ms == nil {
		return
	}
	m := ms.member.Load()
	if m == nil || !m.Active() {
		return
	}
	now := s.srv.cfg.Now()
	if !s.reportAt.IsZero() && now.Sub(s.reportAt) < proto.MinReportInterval {
		return
	}
	s.reportAt = now
	if sink := s.srv.reports; sink != nil {
		sink.QualityReport(m.Room().Info(), m.Session(), m.UserID(), &rep, now)
	}
}
