package rtc

import (
	"fmt"
	"sync"
	"time"

	"github.com/rtcengine/rtcengine/internal/proto"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// Limits of SendCustomCmdMsg and SendSEIMsg (TRTC's, trtc-reference §3.5).
// Custom and SEI messages share one budget per Cloud.
const (
	MaxCustomCmdID          = trtc.MaxCustomCmdID       // command ids are 1..10
	MaxCustomMsgBytes       = trtc.MaxCustomMsgBytes    // one message (1000 bytes)
	MaxCustomMsgsPerSecond  = trtc.CustomMsgsPerSecond  // 30
	MaxCustomBytesPerSecond = trtc.CustomBytesPerSecond // 8000
	// MaxPendingCustomMsgs bounds the messages sent but not yet acknowledged
	// by the server (two seconds of budget): while the connection is being
	// resumed they wait, and beyond this SendCustomCmdMsg returns false.
	MaxPendingCustomMsgs = 2 * MaxCustomMsgsPerSecond
)

// Codes of refused messages, counted in MessageStats.Refused and, for
// refusals by the server, reported with OnWarning.
const (
	// ErrCodeInvalidParameter (−2): cmdID not 1..10, data empty or over
	// 1000 bytes, reliable ≠ ordered, repeatCount < 1, no video to carry SEI.
	ErrCodeInvalidParameter = trtc.ErrInvalidParameter
	// ErrCodeRefused (−3): over the budget of 30 messages or 8000 bytes per
	// second, or too many messages waiting for the server.
	ErrCodeRefused = trtc.ErrRefused
	// ErrCodeNotInRoom (−100005): messages are sent only in a room.
	ErrCodeNotInRoom = trtc.ErrInvalidCommand
	// WarnCodeAudienceCannotSend (6001): audience members do not send.
	WarnCodeAudienceCannotSend = trtc.WarnIgnoreUpstreamForAudience
)

// MessageStats counts a Cloud's custom and SEI messages since it was created.
type MessageStats struct {
	Sent        uint64         // custom messages the server accepted
	SEISent     uint64         // SEI messages accepted (each rides repeatCount frames)
	Refused     map[int]uint64 // messages refused, by code (above), by the SDK or the server
	Received    uint64         // OnRecvCustomCmdMsg calls
	Missed      uint64         // messages reported by OnMissCustomCmdMsg
	Duplicates  uint64         // messages that arrived again and were dropped
	SEIReceived uint64         // OnRecvSEIMsg calls
}

// MessageStats returns the counters of custom and SEI messages.
func (c *Cloud) MessageStats() MessageStats {
	ms := &c.msgs
	ms.mu.Lock()
	defer ms.mu.Unlock()
	st := ms.stats
	st.Refused = make(map[int]uint64, len(ms.stats.Refused))
	for k, v := range ms.stats.Refused {
		st.Refused[k] = v
	}
	return st
}

// msgBudget is the sender's token buckets, one second of budget deep.
type msgBudget struct {
	msgs, bytes float64
	at          time.Time
}

// take charges n messages of size bytes in all, if the budget allows.
func (b *msgBudget) take(n, size int, now time.Time) bool {
	if b.at.IsZero() {
		b.msgs, b.bytes = MaxCustomMsgsPerSecond, MaxCustomBytesPerSecond
	} else if el := now.Sub(b.at).Seconds(); el > 0 {
		b.msgs = min(MaxCustomMsgsPerSecond, b.msgs+el*MaxCustomMsgsPerSecond)
		b.bytes = min(MaxCustomBytesPerSecond, b.bytes+el*MaxCustomBytesPerSecond)
	}
	b.at = now
	if b.msgs < float64(n) || b.bytes < float64(size) {
		return false
	}
	b.msgs -= float64(n)
	b.bytes -= float64(size)
	return true
}

// messenger is a Cloud's custom messages. As a sender it numbers messages
// per command (the server recognizes a message sent again by its number)
// and keeps each until the server acknowledges it, so that a message in
// flight when the connection breaks is sent again on the resumed one, in
// order. As a receiver it drops what it already got (by the room's message
// index), reports gaps in a sender's numbers as missed, and names the last
// index it got when it resumes, so the server replays the rest.
type messenger struct {
	sendMu sync.Mutex // serializes transmissions: frames go out in outbox order

	mu     sync.Mutex
	budget msgBudget
	stats  MessageStats
	sei    seiQueue // SendSEIMsg (sei.go)

	// The current session's.
	seq       [MaxCustomCmdID + 1]uint32 // last number given, by command
	sess      *roomSession
	link      *link     // where to send; nil until the session is connected
	outbox    []*outMsg // not yet acknowledged, in send order
	lastIndex uint64    // the last room message index received
	lastSeq   map[msgStream]uint32
}

type msgStream struct {
	user string
	cmd  int
}

type outMsg struct {
	req       proto.CustomMsgRequest
	sent      *link // the link it is in flight on, nil if not
	attempted bool  // it was sent at least once
}

func (ms *messenger) refuseLocked(code int) {
	if ms.stats.Refused == nil {
		ms.stats.Refused = map[int]uint64{}
	}
	ms.stats.Refused[code]++
}

// SendCustomCmdMsg sends a message to everyone else in the room
// (sendCustomCmdMsg). They receive it with OnRecvCustomCmdMsg, in order per
// sender and cmdID, exactly once, also across a resumed connection; what
// they cannot get is reported to them with OnMissCustomCmdMsg. reliable and
// ordered must be equal (TRTC's rule): the signaling connection that carries
// messages is reliable and ordered, so both values are delivered the same
// way.
//
// It returns false, counting the refusal in MessageStats, when the message
// breaks a limit: cmdID 1..10 and data of 1..1000 bytes (−2), at most 30
// messages and 8000 bytes per second shared with SendSEIMsg, and at most
// MaxPendingCustomMsgs waiting for the server (−3), only anchors in a room
// (6001, −100005). A message the server refuses is reported with
// OnWarning(code, msg).
func (c *Cloud) SendCustomCmdMsg(cmdID int, data []byte, reliable, ordered bool) bool {
	c.mu.Lock()
	s := c.sess
	inRoom := s != nil && s.state == sInRoom
	audience := inRoom && s.role == RoleAudience
	c.mu.Unlock()
	ms := &c.msgs
	ms.mu.Lock()
	code := 0
	switch {
	case !inRoom:
		code = ErrCodeNotInRoom
	case audience:
		code = WarnCodeAudienceCannotSend
	case !trtc.ValidCustomCmdID(cmdID) || len(data) == 0 || len(data) > MaxCustomMsgBytes || reliable != ordered:
		code = ErrCodeInvalidParameter
	case ms.sess == s && len(ms.outbox) >= MaxPendingCustomMsgs:
		code = ErrCodeRefused
	case !ms.budget.take(1, len(data), time.Now()):
		code = ErrCodeRefused
	}
	if code != 0 {
		ms.refuseLocked(code)
		ms.mu.Unlock()
		return false
	}
	if ms.sess != s {
		ms.resetLocked(s)
	}
	ms.seq[cmdID]++
	ms.outbox = append(ms.outbox, &outMsg{req: proto.CustomMsgRequest{
		CmdID: cmdID, Data: append([]byte(nil), data...), Reliable: reliable, Ordered: ordered, Seq: ms.seq[cmdID],
	}})
	l := ms.link
	ms.mu.Unlock()
	if l != nil {
		ms.pump(s, l)
	}
	return true
}

// resetLocked starts the state of a new session; what the previous one had
// not delivered is counted as refused (−8).
func (ms *messenger) resetLocked(s *roomSession) {
	for range ms.outbox {
		ms.refuseLocked(ErrCodeDisconnected)
	}
	ms.sess, ms.link, ms.outbox = s, nil, nil
	ms.seq = [MaxCustomCmdID + 1]uint32{} // a new member: numbering starts again
	ms.lastIndex, ms.lastSeq = 0, nil
	ms.sei = seiQueue{}
}

// pump sends, in order, every message not yet in flight on l.
func (ms *messenger) pump(s *roomSession, l *link) {
	if l.isDead() {
		return // onConnected sends them on the next link
	}
	ms.sendMu.Lock()
	defer ms.sendMu.Unlock()
	ms.mu.Lock()
	if ms.sess != s || ms.link != l {
		ms.mu.Unlock()
		return
	}
	var todo []*outMsg
	for _, m := range ms.outbox {
		if m.sent == nil {
			m.sent, m.attempted = l, true
			todo = append(todo, m)
		}
	}
	ms.mu.Unlock()
	for _, m := range todo {
		l.request(proto.TypeCustomMsg, m.req, s.c.o.connectTimeout, trtc.ErrJSONCmdTimeout, func(resp proto.Message) {
			ms.onAck(s, l, m, resp)
		})
	}
}

// onAck handles the server's answer to one message (reader goroutine of l,
// a timer, or synchronously when l is already down).
func (ms *messenger) onAck(s *roomSession, l *link, m *outMsg, resp proto.Message) {
	ms.mu.Lock()
	if m.sent != l {
		ms.mu.Unlock()
		return
	}
	m.sent = nil
	switch resp.Code {
	case 0:
		ms.removeLocked(m)
		ms.stats.Sent++
		ms.mu.Unlock()
		return
	case trtc.ErrDisconnected, trtc.ErrJSONCmdTimeout:
		// In doubt: send it again on the current link (the server
		// recognizes a repeat). A message that timed out on a live link
		// reached the server before every later one; on a broken link,
		// onConnected sends everything again in order.
		cur := ms.link
		retry := cur == l && ms.sess == s
		ms.mu.Unlock()
		if retry {
			go ms.pump(s, cur)
		}
		return
	}
	ms.removeLocked(m)
	ms.refuseLocked(resp.Code)
	ms.mu.Unlock()
	code, text := resp.Code, resp.Msg
	s.c.emit(func(ls Listener) { ls.OnWarning(code, text) })
}

func (ms *messenger) removeLocked(m *outMsg) {
	for i, x := range ms.outbox {
		if x == m {
			ms.outbox = append(ms.outbox[:i], ms.outbox[i+1:]...)
			return
		}
	}
}

// onConnected runs when s entered or resumed on l (reader goroutine of l):
// messages waiting for the server go out on l. After a fresh enter the
// server no longer knows which of the messages in flight it had relayed:
// those are dropped (counted as −8 and reported with OnWarning) rather than
// risk delivering them twice; those never sent go out.
func (ms *messenger) onConnected(s *roomSession, l *link, resumed bool) {
	ms.mu.Lock()
	dropped := 0
	if ms.sess != s {
		ms.resetLocked(s)
	} else if !resumed {
		kept := ms.outbox[:0]
		for _, m := range ms.outbox {
			if m.attempted {
				dropped++
				ms.refuseLocked(ErrCodeDisconnected)
				continue
			}
			kept = append(kept, m)
		}
		clear(ms.outbox[len(kept):])
		ms.outbox = kept
		ms.lastIndex, ms.lastSeq = 0, nil
	}
	ms.link = l
	for _, m := range ms.outbox {
		if m.sent != l {
			m.sent = nil // in flight on a broken link: send again, in order
		}
	}
	ms.mu.Unlock()
	if dropped > 0 {
		msg := fmt.Sprintf("%d custom messages in flight when the connection broke may not have been delivered", dropped)
		s.c.emit(func(ls Listener) { ls.OnWarning(ErrCodeDisconnected, msg) })
	}
	ms.pump(s, l)
}

// cursor is the index of the last message s received, for a resume.
func (ms *messenger) cursor(s *roomSession) *uint64 {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	if ms.sess != s {
		return nil
	}
	idx := ms.lastIndex
	return &idx
}

// forget drops what is known of a user who left: if it comes back, its
// numbering starts afresh.
func (ms *messenger) forget(s *roomSession, user string) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	if ms.sess != s {
		return
	}
	for k := range ms.lastSeq {
		if k.user == user {
			delete(ms.lastSeq, k)
		}
	}
}

// onMessage handles a custom_msg event (reader goroutine).
func (ms *messenger) onMessage(s *roomSession, m proto.Message) {
	var e proto.CustomMsgEvent
	if proto.DecodeData(m, &e) != nil || !trtc.ValidCustomCmdID(e.CmdID) {
		return
	}
	ms.mu.Lock()
	if ms.sess != s {
		ms.mu.Unlock()
		return
	}
	if e.Index != 0 {
		if e.Index <= ms.lastIndex {
			ms.stats.Duplicates++
			ms.mu.Unlock()
			return
		}
		ms.lastIndex = e.Index
	}
	k := msgStream{e.UserID, e.CmdID}
	last, known := ms.lastSeq[k]
	missed := 0
	if known && e.Seq > last+1 {
		missed = int(e.Seq - last - 1)
	}
	if ms.lastSeq == nil {
		ms.lastSeq = map[msgStream]uint32{}
	}
	// A number at or below the last one is a sender that started again
	// (another device with the same userId): it is a new message.
	ms.lastSeq[k] = e.Seq
	ms.stats.Received++
	ms.stats.Missed += uint64(missed)
	ms.mu.Unlock()
	if missed > 0 {
		s.c.emit(func(ls Listener) { ls.OnMissCustomCmdMsg(e.UserID, e.CmdID, trtc.MissedCustomMsgCode, missed) })
	}
	s.c.emit(func(ls Listener) { ls.OnRecvCustomCmdMsg(e.UserID, e.CmdID, e.Seq, e.Data) })
}

// onMiss handles a custom_miss event: messages the server could not keep
// for us (reader goroutine).
func (ms *messenger) onMiss(s *roomSession, m proto.Message) {
	var e proto.CustomMissEvent
	if proto.DecodeData(m, &e) != nil || !trtc.ValidCustomCmdID(e.CmdID) || e.Missed <= 0 {
		return
	}
	ms.mu.Lock()
	if ms.sess != s {
		ms.mu.Unlock()
		return
	}
	k := msgStream{e.UserID, e.CmdID}
	n := e.Missed
	if last, known := ms.lastSeq[k]; known {
		if e.LastSeq <= last {
			ms.mu.Unlock()
			return // already counted as a gap
		}
		n = int(e.LastSeq - last) // also counts what the sender had refused
	}
	if ms.lastSeq == nil {
		ms.lastSeq = map[msgStream]uint32{}
	}
	ms.lastSeq[k] = e.LastSeq
	ms.stats.Missed += uint64(n)
	ms.mu.Unlock()
	code := e.ErrCode
	if code == 0 {
		code = trtc.MissedCustomMsgCode
	}
	s.c.emit(func(ls Listener) { ls.OnMissCustomCmdMsg(e.UserID, e.CmdID, code, n) })
}
