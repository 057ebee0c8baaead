package signaling

import (
	"errors"
	"sync/atomic"

	"github.com/rtcengine/rtcengine/internal/proto"
	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// Custom messages ride on the signaling socket (docs/protocol.md, "Custom
// messages"). The room numbers and relays them and keeps a log; this file
// turns requests into room calls and room messages into frames, and drives a
// member's catch-up when it fell behind: its connection was lost and
// resumed, or its outbound queue was too full to take a message.

// msgSink is the message half of a memberSink (embedded there).
type msgSink struct {
	// hold refuses messages until a resumed membership has been rewound to
	// what its client got (the room then replays in order).
	hold atomic.Bool
	// catchUp is set when the room has messages for this sink that it could
	// not take; the writer replays them once it has flushed the queue.
	catchUp atomic.Bool
}

// msgQueueLimit is the part of the outbound queue custom messages may fill:
// the rest stays free for responses and room events, so that a flood of
// messages never closes a connection for not reading.
func (s *Session) msgQueueLimit() int { return s.srv.cfg.QueueLength * 3 / 4 }

// pushSoft queues a frame only while fewer than limit frames are queued.
func (q *outQueue) pushSoft(frame []byte, limit int) bool {
	q.mu.Lock()
	if len(q.frames) >= limit {
		q.mu.Unlock()
		return false
	}
	q.frames = append(q.frames, frame)
	q.mu.Unlock()
	q.wake()
	return true
}

// wake makes the writer run (flush, then catch up) even if nothing new was queued.
func (q *outQueue) wake() {
	select {
	case q.notify <- struct{}{}:
	default:
	}
}

func (s *Session) handleCustomMsg(msg proto.Message) {
	_, m, ok := s.member(msg.ID)
	if !ok {
		return
	}
	var req proto.CustomMsgRequest
	if err := proto.DecodeData(msg, &req); err != nil {
		s.strike(msg.ID, trtc.ErrJSONDecode, err.Error())
		return
	}
	if req.Reliable != req.Ordered {
		s.refuseMessage(msg.ID, trtc.ErrInvalidParameter, "reliable and ordered must be equal")
		return
	}
	seq, _, err := m.SendMessage(req.CmdID, req.Data, req.Seq)
	if err != nil {
		s.refuseMessage(msg.ID, messageErrorCode(err), err.Error())
		return
	}
	s.respond(msg.ID, 0, "", proto.CustomMsgResponse{Seq: seq})
}

// refuseMessage answers a message over a limit. It is counted but is not a
// strike: a well-behaved client can hit the budget in a burst.
func (s *Session) refuseMessage(id uint32, code int, msg string) {
	s.srv.metrics.BadFrame(code)
	s.respond(id, code, msg, nil)
}

// messageErrorCode maps SendMessage's errors to the codes of
// docs/protocol.md.
func messageErrorCode(err error) int {
	switch {
	case errors.Is(err, room.ErrInvalidCmdID), errors.Is(err, room.ErrEmptyMessage), errors.Is(err, room.ErrMessageTooLarge):
		return trtc.ErrInvalidParameter
	case errors.Is(err, room.ErrAudienceCannotSend):
		return trtc.WarnIgnoreUpstreamForAudience
	case errors.Is(err, room.ErrMessageRate), errors.Is(err, room.ErrMessageBytes):
		return trtc.ErrRefused
	case errors.Is(err, room.ErrNotMember):
		return trtc.ErrInvalidCommand
	}
	return trtc.ErrCenterSystem
}

func encodeCustomMsg(m *room.Message) []byte {
	return proto.MustEncode(proto.TypeCustomMsg, 0, 0, "", proto.CustomMsgEvent{
		UserID: string(m.UserID), CmdID: m.CmdID, Seq: m.Seq, Data: m.Data, Index: m.Index,
	})
}

// DeliverMessage implements room.MessageSink (room lock held).
func (ms *memberSink) DeliverMessage(m *room.Message) bool {
	if ms.dropped.Load() || ms.hold.Load() {
		return false
	}
	if !ms.s.out.pushSoft(m.Frame(encodeCustomMsg), ms.s.msgQueueLimit()) {
		ms.catchUp.Store(true)
		return false
	}
	return true
}

// DeliverMiss implements room.MessageSink (room lock held).
func (ms *memberSink) DeliverMiss(miss room.Miss) bool {
	if ms.dropped.Load() || ms.hold.Load() {
		return false
	}
	frame := proto.MustEncode(proto.TypeCustomMiss, 0, 0, "", proto.CustomMissEvent{
		UserID: string(miss.UserID), CmdID: miss.CmdID, ErrCode: trtc.MissedCustomMsgCode,
		Missed: miss.Count, LastSeq: miss.LastSeq,
	})
	if !ms.s.out.pushSoft(frame, ms.s.msgQueueLimit()) {
		ms.catchUp.Store(true)
		return false
	}
	return true
}

// resumeMessages runs after a resume: delivery restarts after the last
// message the client says it got, and the writer replays the rest.
func (s *Session) resumeMessages(ms *memberSink, m *room.Member, lastIndex *uint64) {
	m.ResumeMessages(lastIndex)
	ms.hold.Store(false)
	s.wakeMessages(ms)
}

// wakeMessages asks the writer to catch ms up.
func (s *Session) wakeMessages(ms *memberSink) {
	ms.catchUp.Store(true)
	s.out.wake()
}

// catchUpMessages runs on the writer after a flush: it replays what the
// current membership missed while its queue was full or its connection gone.
func (s *Session) catchUpMessages() {
	ms := s.cur.Load()
	if ms == nil {
		return
	}
	m := ms.member.Load()
	if m == nil || !ms.catchUp.Swap(false) {
		return
	}
	if !m.CatchUpMessages(ms) {
		ms.catchUp.Store(true) // the queue is full: the next flush tries again
	}
}
