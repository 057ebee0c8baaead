package conference

import (
	"context"

	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/sfu"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// ConnectionObserver may be implemented by a Signaler that wants to hear
// its participant's media connection states: a WHIP or WHEP resource, which
// has no signaling connection to watch, ends when ICE fails.
type ConnectionObserver interface {
	MediaConnectionState(target sfu.Target, state sfu.ConnectionState)
}

// OnConnectionStateChange passes connection states to a ConnectionObserver.
func (hd *handler) OnConnectionStateChange(target sfu.Target, state sfu.ConnectionState) {
	hd.p.mu.Lock()
	sig := hd.p.sig
	hd.p.mu.Unlock()
	if o, ok := sig.(ConnectionObserver); ok {
		o.MediaConnectionState(target, state)
	}
}

// viewer is the receive policy of a playback-only participant (a WHEP
// player): its connection was negotiated once by its own offer, with one
// audio and one video slot, so it receives the audio and the main video (or
// the screen share) of one anchor at a time.
type viewer struct {
	pinned    trtc.UserID // the anchor asked for; "" = pick one
	following trtc.UserID // the anchor received now; "" = none
	video     room.Stream // StreamVideo, or StreamSub for a screen-share player
}

func (v *viewer) wants(pub *published) bool {
	s := pub.key.stream
	return v.following != "" && pub.key.user == v.following && (s == room.StreamAudio || s == v.video)
}

// JoinViewer registers a playback-only member whose client offered the
// subscriber connection (sfu.Peer.HandleSubscriberOffer): offer is answered
// before the participant receives anything. It receives anchor's audio and
// main video, or, when anchor is empty, those of the anchor that started
// publishing video first, moving to the next one when that anchor stops
// publishing or leaves. With sub it receives the screen share instead of
// the main video: the sharer's (the room has one at most) or, with anchor,
// that anchor's once it shares, with the sharer's audio. A participant that
// could not be answered is closed and not registered.
func (h *Hub) JoinViewer(ctx context.Context, m *room.Member, anchor trtc.UserID, sub bool, offer string, sig Signaler) (*Participant, string, error) {
	p := h.newParticipant(m, true, true, sig)
	p.viewer = &viewer{pinned: anchor, video: room.StreamVideo}
	if sub {
		p.viewer.video = room.StreamSub
	}
	answer, err := p.ViewerOffer(ctx, offer)
	if err != nil {
		if peer := p.peerOrNil(); peer != nil {
			_ = peer.Close()
		}
		return nil, "", err
	}
	h.register(p)
	return p, answer, nil
}

// ViewerOffer answers a playback-only participant's offer: the first one,
// or a later one restarting ICE.
func (p *Participant) ViewerOffer(ctx context.Context, offer string) (string, error) {
	if p.viewer == nil {
		return "", sfu.ErrUnexpectedOffer
	}
	if !p.member.Active() {
		return "", ErrGone
	}
	peer, err := p.ensurePeer()
	if err != nil {
		return "", err
	}
	return peer.HandleSubscriberOffer(ctx, offer)
}

// Following returns the anchor a viewer receives now ("" for none, and for
// participants that are not viewers).
func (p *Participant) Following() trtc.UserID {
	var u trtc.UserID
	p.hub.loop.Call(func() {
		if p.viewer != nil {
			u = p.viewer.following
		}
	})
	return u
}

// follow moves every viewer of the room to the anchor it should receive
// and re-applies the subscriptions that changes (loop only). The old
// anchor's tracks are let go before the new one's are taken, so the slots
// are free; a slot still held by a track being torn down is taken over.
func (h *Hub) follow(rs *roomState) {
	for _, p := range rs.parts {
		if p.viewer == nil || p.gone {
			continue
		}
		next := pickAnchor(rs, p)
		prev := p.viewer.following
		if next == prev {
			continue
		}
		p.viewer.following = next
		for _, pub := range rs.tracks {
			if pub.key.user == prev {
				h.apply(rs, pub, p)
			}
		}
		for _, pub := range rs.tracks {
			if pub.key.user == next {
				h.apply(rs, pub, p)
			}
		}
	}
}

// pickAnchor is the viewer's choice: the pinned anchor; else the current
// one while it publishes video; else whoever has published video longest;
// else, for an audio-only room, the current one while it publishes audio or
// whoever has published audio longest. A screen-share viewer follows the
// sharer only.
func pickAnchor(rs *roomState, p *Participant) trtc.UserID {
	v := p.viewer
	if v.pinned != "" {
		return v.pinned
	}
	order := []room.Stream{room.StreamVideo, room.StreamAudio}
	if v.video == room.StreamSub {
		order = []room.Stream{room.StreamSub}
	}
	for _, s := range order {
		if v.following != "" && rs.tracks[trackKey{v.following, s}] != nil {
			return v.following
		}
		var best *published
		for k, pub := range rs.tracks {
			if k.stream == s && pub.owner != p && (best == nil || pub.order < best.order) {
				best = pub
			}
		}
		if best != nil {
			return best.key.user
		}
	}
	return ""
}
