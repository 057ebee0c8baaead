package rtc

import (
	"fmt"
	"time"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// The reconnect budget. A lost connection (signaling, media or both;
// health.go) is retried without end by itself: signaling with backoff up to
// 2 s, media with an ICE restart every 3 s (repair.go), both at once when the
// machine's addresses change (netwatch.go). The budget bounds the whole: if
// the session has not recovered this long after OnConnectionLost, it ends
// with OnError(ErrCodeDisconnected) and OnExitRoom(ExitReasonNetwork).

// DefaultReconnectBudget is how long a session tries to recover before
// giving up: TRTC's 90 s, after which its server has removed the user.
const DefaultReconnectBudget = 90 * time.Second

// ExitReasonNetwork is OnExitRoom's reason when the session gave up
// reconnecting (TRTC's 3, "server state abnormal", in its Chinese docs).
const ExitReasonNetwork = int(trtc.ExitAbnormal)

// WithReconnectBudget sets how long a session keeps trying to recover a
// lost connection (default DefaultReconnectBudget).
func WithReconnectBudget(d time.Duration) Option {
	return func(o *options) { o.reconnectBudget = d }
}

func (o *options) reconnectBudgetOrDefault() time.Duration {
	if o.reconnectBudget > 0 {
		return o.reconnectBudget
	}
	return DefaultReconnectBudget
}

// giveUp ends the session if it is still down when the budget runs out
// (timer goroutine).
func (s *roomSession) giveUp() {
	s.c.mu.Lock()
	down := s.health.announced
	s.c.mu.Unlock()
	if !down {
		return
	}
	budget := s.c.o.reconnectBudgetOrDefault()
	if s.end(-1) {
		msg := fmt.Sprintf("connection lost and not recovered within %v", budget)
		s.c.emit(func(l Listener) { l.OnError(ErrCodeDisconnected, msg) })
		s.c.emit(func(l Listener) { l.OnExitRoom(ExitReasonNetwork) })
	}
}
