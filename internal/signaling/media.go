package signaling

import (
	"context"
	"errors"
	"time"

	"github.com/rtcengine/rtcengine/internal/conference"
	"github.com/rtcengine/rtcengine/internal/proto"
	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/sfu"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// SubscriberOffer implements conference.Signaler for the membership's
// current connection.
func (ms *memberSink) SubscriberOffer(sdp string) {
	if ms.dropped.Load() {
		return
	}
	ms.s.send(proto.MustEncode(proto.TypeSubOffer, 0, 0, "", proto.SDP{SDP: sdp}))
}

// participant returns the media side of the current membership, or answers
// the request with an error.
func (s *Session) participant(id uint32) (*conference.Participant, bool) {
	if s.srv.media == nil {
		s.strike(id, trtc.ErrNotSupported, "media is not enabled on this server")
		return nil, false
	}
	ms, _, ok := s.member(id)
	if !ok {
		return nil, false
	}
	p := ms.part.Load()
	if p == nil {
		s.strike(id, trtc.ErrInvalidCommand, "no media session")
		return nil, false
	}
	return p, true
}

// offerTimeout bounds answering one publisher offer.
const offerTimeout = 5 * time.Second

func (s *Session) handlePubOffer(msg proto.Message) {
	p, ok := s.participant(msg.ID)
	if !ok {
		return
	}
	var req proto.PubOffer
	if err := proto.DecodeData(msg, &req); err != nil || req.SDP == "" {
		s.strike(msg.ID, trtc.ErrJSONDecode, "pub_offer needs {sdp, tracks}")
		return
	}
	tracks := make(map[string]trtc.StreamType, len(req.Tracks))
	for _, t := range req.Tracks {
		switch t.Stream {
		case proto.LayerBig, proto.StreamAudio:
			tracks[t.ID] = trtc.StreamBig
		case proto.LayerSmall:
			tracks[t.ID] = trtc.StreamSmall
		case proto.StreamSub:
			tracks[t.ID] = trtc.StreamSub
		default:
			s.respond(msg.ID, trtc.ErrInvalidParameter, "track stream must be audio, big, small or sub", nil)
			return
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), offerTimeout)
	defer cancel()
	answer, err := p.PublisherOffer(ctx, req.SDP, tracks)
	if err != nil {
		s.respond(msg.ID, mediaErrorCode(err), err.Error(), nil)
		return
	}
	s.respond(msg.ID, 0, "", proto.SDP{SDP: answer})
}

func (s *Session) handleSubAnswer(msg proto.Message) {
	p, ok := s.participant(msg.ID)
	if !ok {
		return
	}
	var req proto.SDP
	if err := proto.DecodeData(msg, &req); err != nil || req.SDP == "" {
		s.strike(msg.ID, trtc.ErrJSONDecode, "sub_answer needs {sdp}")
		return
	}
	if err := p.SubscriberAnswer(req.SDP); err != nil {
		s.respond(msg.ID, mediaErrorCode(err), err.Error(), nil)
		return
	}
	s.respond(msg.ID, 0, "", nil)
}

func (s *Session) handleCandidate(msg proto.Message) {
	p, ok := s.participant(msg.ID)
	if !ok {
		return
	}
	var req proto.Candidate
	if err := proto.DecodeData(msg, &req); err != nil {
		s.strike(msg.ID, trtc.ErrJSONDecode, err.Error())
		return
	}
	target := map[string]sfu.Target{proto.TargetPub: sfu.TargetPublisher, proto.TargetSub: sfu.TargetSubscriber}[req.Target]
	err := p.Candidate(target, sfu.Candidate{Candidate: req.Candidate, SDPMid: req.SDPMid, SDPMLineIndex: req.SDPMLineIndex})
	switch {
	case err != nil:
		s.strike(msg.ID, mediaErrorCode(err), "candidate: "+err.Error())
	case msg.ID != 0:
		s.respond(msg.ID, 0, "", nil)
	}
}

func (s *Session) handleSubscribe(msg proto.Message) {
	p, ok := s.participant(msg.ID)
	if !ok {
		return
	}
	var req proto.Subscribe
	if err := proto.DecodeData(msg, &req); err != nil {
		s.strike(msg.ID, trtc.ErrJSONDecode, err.Error())
		return
	}
	switch req.Layer {
	case "", proto.LayerAuto, proto.LayerBig, proto.LayerSmall:
	default:
		s.respond(msg.ID, trtc.ErrInvalidParameter, "layer must be big, small or auto", nil)
		return
	}
	if err := p.Subscribe(trtc.UserID(req.UserID), room.ParseStream(req.Stream), req.On, req.Layer); err != nil {
		s.respond(msg.ID, mediaErrorCode(err), err.Error(), nil)
		return
	}
	s.respond(msg.ID, 0, "", nil)
}

func (s *Session) handleRestartICE(msg proto.Message) {
	p, ok := s.participant(msg.ID)
	if !ok {
		return
	}
	p.RestartICE()
	s.respond(msg.ID, 0, "", nil)
}

// mediaErrorCode maps media errors to TRTC codes.
func mediaErrorCode(err error) int {
	switch {
	case errors.Is(err, conference.ErrNotAnchor):
		return trtc.WarnIgnoreUpstreamForAudience
	case errors.Is(err, conference.ErrNoSuchUser):
		return trtc.ErrUserNotFound
	case errors.Is(err, conference.ErrNoSuchStream), errors.Is(err, sfu.ErrInvalidSDP), errors.Is(err, sfu.ErrUnknownTarget):
		return trtc.ErrInvalidParameter
	case errors.Is(err, sfu.ErrNoSupportedCodec), errors.Is(err, sfu.ErrCodecMismatch):
		return trtc.ErrNotSupported
	case errors.Is(err, sfu.ErrUnexpectedAnswer), errors.Is(err, conference.ErrGone):
		return trtc.ErrInvalidCommand
	}
	return trtc.ErrServerProcess
}
