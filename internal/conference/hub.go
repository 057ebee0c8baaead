// Package conference connects the room service to the SFU. Every member
// session has a Participant; the hub subscribes participants to each other's
// published tracks by TRTC's rules: media is forwarded when the publisher
// makes the stream available (published and not muted) and the subscriber
// wants it (automatic receive mode, or StartRemoteView / MuteRemoteAudio(false)
// in manual mode), at the layer the subscriber pinned or its bandwidth allows.
//
// The room service and the SFU each call into the hub while holding their own
// locks; the hub therefore keeps its subscription state on one goroutine (a
// loop) and never calls either of them with a lock of its own held.
//
// Availability is the room's: a stream blocked by SetUserBlocked arrives
// here as unavailable (StreamChanged), so the hub stops forwarding it like
// a muted one and resumes, at a keyframe, when the block is lifted.
package conference

import (
	"errors"
	"log/slog"
	"time"

	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/serial"
	"github.com/rtcengine/rtcengine/internal/sfu"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// Signaler carries a participant's server-initiated media messages to its
// current signaling connection (it changes when a session resumes).
type Signaler interface {
	SubscriberOffer(sdp string)
}

// Errors of the hub.
var (
	ErrNoSuchUser   = errors.New("conference: no such user in the room")
	ErrNoSuchStream = errors.New("conference: no such stream")
	ErrGone         = errors.New("conference: the participant has left")
	ErrNotAnchor    = errors.New("conference: audience members cannot publish")
)

// Hub is the media side of all rooms of one node.
type Hub struct {
	room.NopObserver

	engine *sfu.Engine
	log    *slog.Logger
	loop   *serial.Queue

	// Owned by the loop.
	rooms    map[trtc.RoomKey]*roomState
	parts    map[room.SessionID]*Participant
	pubOrder uint64 // numbers published tracks in the order they appeared (viewer.go)
	// watchers are the in-process watchers of each room (watch.go).
	watchers map[trtc.RoomKey]map[*watch]bool
}

type roomState struct {
	parts  map[trtc.UserID]*Participant
	tracks map[trackKey]*published
}

type trackKey struct {
	user   trtc.UserID
	stream room.Stream
}

type published struct {
	key   trackKey
	track *sfu.PublishedTrack
	owner *Participant
	order uint64 // when it appeared in the room, for viewers (viewer.go)
	// bitrate of the big layer, measured between bandwidth estimates
	lastBytes uint64
	lastAt    time.Time
	bigBps    int
}

// NewHub returns a hub forwarding through engine.
func NewHub(engine *sfu.Engine, log *slog.Logger) *Hub {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Hub{
		engine: engine, log: log, loop: serial.New(),
		rooms: map[trtc.RoomKey]*roomState{},
		parts: map[room.SessionID]*Participant{},
	}
}

// Close stops the hub. The engine (and so every Peer) is closed by its owner.
func (h *Hub) Close() { h.loop.Close(false) }

// Join registers a member's session. autoAudio and autoVideo are its
// SetDefaultStreamRecvMode. Media connections are made lazily, when the
// participant publishes or there is something for it to receive.
func (h *Hub) Join(m *room.Member, autoAudio, autoVideo bool, sig Signaler) *Participant {
	p := h.newParticipant(m, autoAudio, autoVideo, sig)
	h.register(p)
	return p
}

func (h *Hub) newParticipant(m *room.Member, autoAudio, autoVideo bool, sig Signaler) *Participant {
	return &Participant{
		hub: h, member: m, session: m.Session(), key: m.Room().Key(), user: m.UserID(),
		autoAudio: autoAudio, autoVideo: autoVideo, sig: sig,
		avail: m.Streams(),
		prefs: map[trtc.UserID]*prefs{},
		downs: map[sfu.TrackID]*down{},
	}
}

// register adds p to its room's media state, unless its member has
// already left.
func (h *Hub) register(p *Participant) {
	h.loop.Post(func() {
		if p.member.Active() {
			rs := h.roomOf(p.key)
			if old := rs.parts[p.user]; old != nil {
				h.dropLocked(old) // replaced by a newer session of the same user
			}
			rs.parts[p.user] = p
			h.parts[p.session] = p
			h.notifyMember(p, false) // members.go
			h.refreshSubscriber(rs, p)
			h.follow(rs)
		}
	})
}

// Resume points a participant's server-initiated messages at a new
// connection and resends an offer the old one may have lost.
func (h *Hub) Resume(session room.SessionID, sig Signaler) *Participant {
	var p *Participant
	h.loop.Call(func() { p = h.parts[session] })
	if p == nil {
		return nil
	}
	p.mu.Lock()
	p.sig = sig
	offer := p.pendingOffer
	p.mu.Unlock()
	if offer != "" && sig != nil {
		sig.SubscriberOffer(offer)
	}
	return p
}

func (h *Hub) roomOf(k trtc.RoomKey) *roomState {
	rs := h.rooms[k]
	if rs == nil {
		rs = &roomState{parts: map[trtc.UserID]*Participant{}, tracks: map[trackKey]*published{}}
		h.rooms[k] = rs
	}
	return rs
}

// UserLeft implements room.Observer: the member's media goes with it.
func (h *Hub) UserLeft(_ room.RoomInfo, m room.MemberInfo, _ room.Cause, _ time.Time) {
	h.loop.Post(func() {
		if p := h.parts[m.Session]; p != nil {
			h.dropLocked(p)
		}
	})
}

// StreamChanged implements room.Observer: availability gates forwarding.
func (h *Hub) StreamChanged(r room.RoomInfo, m room.MemberInfo, s room.Stream, on bool, _ time.Time) {
	h.loop.Post(func() {
		p := h.parts[m.Session]
		if p == nil {
			return
		}
		switch s {
		case room.StreamAudio:
			p.avail.Audio = on
		case room.StreamVideo:
			p.avail.Video = on
		case room.StreamSub:
			p.avail.Sub = on
		}
		h.notifyMember(p, false) // members.go
		if pub := h.rooms[r.Key].tracks[trackKey{p.user, s}]; pub != nil {
			h.refreshTrack(h.rooms[r.Key], pub)
		}
	})
}

// RoleChanged implements room.Observer: an anchor that becomes audience
// stops publishing (its streams were cleared by the room).
func (h *Hub) RoleChanged(_ room.RoomInfo, m room.MemberInfo, _ time.Time) {
	h.loop.Post(func() { h.roleChanged(m.Session) }) // members.go
	if m.Role != trtc.RoleAudience {
		return
	}
	h.loop.Post(func() {
		p := h.parts[m.Session]
		if p == nil {
			return
		}
		p.avail = room.Streams{}
		rs := h.rooms[p.key]
		for k, pub := range rs.tracks {
			if k.user == p.user {
				h.refreshTrack(rs, pub)
			}
		}
	})
}

// dropLocked removes a participant and closes its media (loop only).
func (h *Hub) dropLocked(p *Participant) {
	delete(h.parts, p.session)
	rs := h.rooms[p.key]
	if rs != nil {
		if rs.parts[p.user] == p {
			delete(rs.parts, p.user)
		}
		for k, pub := range rs.tracks {
			if pub.owner == p {
				delete(rs.tracks, k)
				h.notifyWatchers(p.key, pub, true)
				for _, q := range rs.parts {
					if d := q.downs[pub.track.ID()]; d != nil && d.pub == pub {
						delete(q.downs, pub.track.ID())
					}
				}
			}
		}
		if len(rs.parts) == 0 {
			delete(h.rooms, p.key)
		} else {
			h.follow(rs) // viewers of p move to another anchor
		}
	}
	h.notifyMember(p, true) // members.go
	p.gone = true
	p.downs = map[sfu.TrackID]*down{}
	if peer := p.peerOrNil(); peer != nil {
		go peer.Close() // closes its DownTracks and its published tracks' subscribers
	}
}

// Participants counts the sessions with media state (tests, metrics).
func (h *Hub) Participants() int {
	n := 0
	h.loop.Call(func() { n = len(h.parts) })
	return n
}

var _ room.Observer = (*Hub)(nil)
