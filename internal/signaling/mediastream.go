package signaling

import (
	"context"

	"github.com/rtcengine/rtcengine/internal/proto"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// Media stream publishing (docs/protocol.md "Publishing media streams"): a
// member asks the server to mix or relay streams of its room to CDN URLs.
// The tasks run in the server's relay service, the one behind the REST
// API's StartPublishCdnStream.

// MediaStreamCaller is the member that sent a request.
type MediaStreamCaller struct {
	Room trtc.RoomKey
	User trtc.UserID
}

// MediaStreams is the server's relay service. Errors carry a TRTC client
// code (MediaStreamError); a refused start may still name a task (one
// that already runs).
type MediaStreams interface {
	StartMediaStream(ctx context.Context, c MediaStreamCaller, req proto.PublishMediaStreamRequest) (taskID string, err error)
	UpdateMediaStream(ctx context.Context, c MediaStreamCaller, req proto.PublishMediaStreamRequest) error
	StopMediaStream(ctx context.Context, c MediaStreamCaller, taskID string) (stopped []string, err error)
}

// MediaStreamError is a refusal with its TRTC client code.
type MediaStreamError struct {
	Code int
	Msg  string
}

func (e *MediaStreamError) Error() string { return e.Msg }

// SetMediaStreams enables media stream publishing. Call it before serving.
func (s *Server) SetMediaStreams(ms MediaStreams) { s.mediaStreams = ms }

// mediaStreamCall checks the sender and decodes the request; ok is false
// when it was answered already.
func (s *Session) mediaStreamCall(msg proto.Message, v any) (MediaStreamCaller, bool) {
	_, m, ok := s.member(msg.ID)
	if !ok {
		return MediaStreamCaller{}, false
	}
	if s.srv.mediaStreams == nil {
		s.respond(msg.ID, trtc.ErrNotSupported, "media stream publishing is not enabled on this server", nil)
		return MediaStreamCaller{}, false
	}
	if err := proto.DecodeData(msg, v); err != nil {
		s.strike(msg.ID, trtc.ErrJSONDecode, err.Error())
		return MediaStreamCaller{}, false
	}
	return MediaStreamCaller{Room: m.Room().Key(), User: m.UserID()}, true
}

// answerMediaStream responds with err's code, or 0.
func (s *Session) answerMediaStream(id uint32, err error, data any) {
	if err == nil {
		s.respond(id, 0, "", data)
		return
	}
	code := trtc.ErrFailed
	if me, ok := err.(*MediaStreamError); ok {
		code = me.Code
	}
	s.respond(id, code, err.Error(), data)
}

func (s *Session) handleStartPublishMediaStream(msg proto.Message) {
	var req proto.PublishMediaStreamRequest
	c, ok := s.mediaStreamCall(msg, &req)
	if !ok {
		return
	}
	id, err := s.srv.mediaStreams.StartMediaStream(context.Background(), c, req)
	s.answerMediaStream(msg.ID, err, proto.PublishMediaStreamResponse{TaskID: id})
}

func (s *Session) handleUpdatePublishMediaStream(msg proto.Message) {
	var req proto.PublishMediaStreamRequest
	c, ok := s.mediaStreamCall(msg, &req)
	if !ok {
		return
	}
	err := s.srv.mediaStreams.UpdateMediaStream(context.Background(), c, req)
	s.answerMediaStream(msg.ID, err, proto.PublishMediaStreamResponse{TaskID: req.TaskID})
}

func (s *Session) handleStopPublishMediaStream(msg proto.Message) {
	var req proto.StopPublishMediaStreamRequest
	c, ok := s.mediaStreamCall(msg, &req)
	if !ok {
		return
	}
	ids, err := s.srv.mediaStreams.StopMediaStream(context.Background(), c, req.TaskID)
	if ids == nil {
		ids = []string{}
	}
	s.answerMediaStream(msg.ID, err, proto.StopPublishMediaStreamResponse{TaskIDs: ids})
}

// NotifyMember sends an event to the sessions of user in room (the member
// that started a media stream task); false when none is connected here.
func (s *Server) NotifyMember(key trtc.RoomKey, user trtc.UserID, typ string, data any) bool {
	frame, err := proto.Encode(typ, 0, 0, "", data)
	if err != nil {
		return false
	}
	s.mu.Lock()
	var to []*Session
	for sess := range s.sessions {
		if ms := sess.cur.Load(); ms != nil {
			if m := ms.member.Load(); m != nil && m.Room().Key() == key && m.UserID() == user {
				to = append(to, sess)
			}
		}
	}
	s.mu.Unlock()
	for _, sess := range to {
		sess.send(frame)
	}
	return len(to) > 0
}
