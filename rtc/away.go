package rtc

import (
	"time"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// A client that lost its session and entered again — its node died and the
// room was placed anew on another node (docs/cluster.md) — may find the room
// before the others have come back to it. A user who was in the room before
// and is missing after such a re-enter is away, not gone: its streams are
// reported off at once, but OnRemoteUserLeaveRoom waits awayGrace. If the
// user enters meanwhile, neither a leave nor an enter is reported (its
// streams come back on); past the grace it is reported as left with reason
// 1 (timed out), as a dropped user is on a single node.

// awayGrace is how long a user missing after a re-enter may take to come
// back: a dead node's registration expiry plus the SDKs' reconnect backoff.
const awayGrace = 10 * time.Second

// awayUser is one away user's pending leave.
type awayUser struct{ timer *time.Timer }

// markAwayLocked starts the grace of user u (c.mu held).
func (s *roomSession) markAwayLocked(u string) {
	if _, ok := s.away[u]; ok {
		return
	}
	if s.away == nil {
		s.away = map[string]*awayUser{}
	}
	a := &awayUser{}
	s.away[u] = a
	a.timer = time.AfterFunc(awayGrace, func() {
		s.c.mu.Lock()
		gone := s.away[u] == a && s.state != sEnded
		if gone {
			delete(s.away, u)
		}
		s.c.mu.Unlock()
		if gone {
			s.c.msgs.forget(s, u)
			s.c.emit(func(ls Listener) { ls.OnRemoteUserLeaveRoom(u, int(trtc.LeaveTimeout)) })
		}
	})
}

// backLocked reports whether u was away, and ends its grace (c.mu held).
func (s *roomSession) backLocked(u string) bool {
	a, ok := s.away[u]
	if ok {
		a.timer.Stop()
		delete(s.away, u)
	}
	return ok
}

// stopAwayLocked drops every pending leave: the session ended (c.mu held).
func (s *roomSession) stopAwayLocked() {
	for u, a := range s.away {
		a.timer.Stop()
		delete(s.away, u)
	}
}
