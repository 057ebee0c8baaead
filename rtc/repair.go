package rtc

import (
	"time"

	"github.com/rtcengine/rtcengine/internal/proto"
)

// Repairing a broken media path. A PeerConnection that had connected and
// then went disconnected or failed (a dead route, a new local address, a
// NAT that forgot us) is restarted with an ICE restart: the publisher
// connection by a new offer of ours, the subscriber connection by asking
// the server for one (restart_ice). Both gather candidates afresh, on the
// interfaces the machine has now.
//
// One attempt is not enough: it may go out on a signaling link that is
// itself dead and not yet noticed, or while the network is still down. So
// while a connection stays broken it is restarted again every repairEvery,
// and at once whenever a signaling link comes (back) up. Each attempt is an
// OnTryToReconnect; the session's reconnect budget (reconnect.go) bounds
// the whole.

// repairEvery is how often a broken connection is restarted again.
const repairEvery = 3 * time.Second

// repair restarts ps if it is broken and was not restarted within
// repairEvery, and schedules the next look (worker).
func (m *mediaClient) repair(ps *pcSide) {
	if !ps.broken || ps.pc == nil || m.isClosed() {
		return
	}
	defer m.scheduleRepair()
	if !ps.lastRepair.IsZero() && time.Since(ps.lastRepair) < repairEvery {
		return
	}
	l := m.currentLink()
	if l == nil {
		return // onConnected repairs once a link is back
	}
	ps.lastRepair = time.Now()
	m.c.emit(func(ls Listener) { ls.OnTryToReconnect() })
	m.log.Info("restarting ICE", "target", ps.target)
	if ps.target == proto.TargetPub {
		ps.restart = true
		m.negotiatePub()
		return
	}
	l.request(proto.TypeRestartICE, proto.RestartICE{Target: proto.TargetSub}, m.c.o.connectTimeout, ErrCodeDisconnected, func(msg proto.Message) {
		if msg.Code != 0 {
			m.log.Warn("restart_ice refused", "code", msg.Code, "msg", msg.Msg)
		}
	})
}

// repairNow forgets the throttle and repairs both connections: a new
// signaling link makes a new attempt worthwhile at once (worker).
func (m *mediaClient) repairNow() {
	m.pub.lastRepair, m.sub.lastRepair = time.Time{}, time.Time{}
	m.repair(&m.pub)
	m.repair(&m.sub)
}

// scheduleRepair looks at both connections again after repairEvery,
// unless a look is already scheduled (worker).
func (m *mediaClient) scheduleRepair() {
	if m.repairT != nil || m.isClosed() {
		return
	}
	m.repairT = time.AfterFunc(repairEvery, func() {
		m.post(func() {
			m.repairT = nil
			m.repair(&m.pub)
			m.repair(&m.sub)
		})
	})
}
