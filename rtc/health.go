package rtc

import "time"

// A session can lose the server in two ways: its signaling link drops, or
// its media path breaks while signaling still works. TRTC reports both as
// one sequence — OnConnectionLost, OnTryToReconnect for each attempt,
// OnConnectionRecovery once everything works again — so the two sources are
// merged here. Fields are guarded by c.mu.
type health struct {
	signalDown bool
	mediaDown  bool
	announced  bool        // OnConnectionLost was emitted and recovery was not
	budget     *time.Timer // ends the session if recovery takes too long (reconnect.go)
}

// setSignalDown records the signaling link's state.
func (s *roomSession) setSignalDown(down bool) { s.setHealth(func(h *health) { h.signalDown = down }) }

// setMediaDown records the media path's state.
func (s *roomSession) setMediaDown(down bool) { s.setHealth(func(h *health) { h.mediaDown = down }) }

func (s *roomSession) setHealth(change func(*health)) {
	s.c.mu.Lock()
	if s.state == sEnded {
		s.c.mu.Unlock()
		return
	}
	h := &s.health
	change(h)
	down := h.signalDown || h.mediaDown
	lost := down && !h.announced
	recovered := !down && h.announced
	h.announced = down
	switch {
	case lost:
		h.budget = time.AfterFunc(s.c.o.reconnectBudgetOrDefault(), s.giveUp)
	case recovered && h.budget != nil:
		h.budget.Stop()
		h.budget = nil
	}
	s.c.mu.Unlock()
	switch {
	case lost:
		s.c.emit(func(l Listener) { l.OnConnectionLost() })
	case recovered:
		s.c.emit(func(l Listener) { l.OnConnectionRecovery() })
	}
}
